import { OboError } from '../src/errors.ts'

/** The `code` of the `OboError` that `run` throws; `undefined` when it does not throw. */
export function thrownCode(run: () => unknown): string | undefined {
  try {
    run()
    return undefined
  } catch (error) {
    return error instanceof OboError ? error.code : 'not an OboError'
  }
}

/** The `OboError` that `promise` rejects with; fails the test when it resolves or rejects with anything else. */
export async function rejection(promise: Promise<unknown>): Promise<OboError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  )
  if (!(error instanceof OboError)) throw new Error('expected a rejection with an OboError')
  return error
}
