/**
 * MSAL takes no abort signal, so the engine stops waiting instead: the caller's abort rejects at once, the
 * call's network requests are cancelled through its context, and the MSAL promise settles in the background
 * with its rejection handled.
 *
 * @module
 */
import { OboError } from '@onbehalf/core'

/**
 * Resolves or rejects like `work`, or rejects with `ABORTED` as soon as `signal` fires (calling `onAbort`
 * first). `work`'s own later rejection is always handled.
 *
 * @example
 * ```ts
 * return raceAbort(acquire(), request.signal, () => context.controller.abort())
 * ```
 */
export function raceAbort<T>(work: Promise<T>, signal: AbortSignal | undefined, onAbort: () => void): Promise<T> {
  work.catch(() => undefined)
  if (signal === undefined) return work
  if (signal.aborted) {
    onAbort()
    return Promise.reject(abortedError(signal))
  }
  return new Promise<T>((resolve, reject) => {
    const listener = (): void => {
      onAbort()
      reject(abortedError(signal))
    }
    signal.addEventListener('abort', listener, { once: true })
    work.then(
      (value) => {
        signal.removeEventListener('abort', listener)
        resolve(value)
      },
      (error: unknown) => {
        signal.removeEventListener('abort', listener)
        reject(error instanceof Error ? error : new Error(String(error)))
      },
    )
  })
}

/**
 * The `ABORTED` error for `signal`, with its reason as the cause.
 *
 * @example
 * ```ts
 * if (signal.aborted) throw abortedError(signal)
 * ```
 */
export function abortedError(signal: AbortSignal): OboError {
  return new OboError('The request was aborted by the caller.', { code: 'ABORTED', cause: signal.reason })
}
