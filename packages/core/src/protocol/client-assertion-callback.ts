/**
 * The caller's client-assertion callback (`{ kind: 'assertion', getAssertion }`), called the same way by both
 * engines.
 *
 * @module
 */
import { OboError } from '../errors.ts'

/**
 * Calls `getAssertion` once and returns its assertion. The assertion itself never appears in an error.
 *
 * @throws OboError `CLIENT_ASSERTION_FAILED` when the callback throws (the error is the cause) or returns
 *   anything but a non-blank string; no token request is made then.
 * @example
 * ```ts
 * const form = { client_assertion_type: jwtBearerType, client_assertion: await callClientAssertion(getAssertion) }
 * ```
 */
export async function callClientAssertion(getAssertion: () => string | Promise<string>): Promise<string> {
  let assertion: unknown
  try {
    assertion = await getAssertion()
  } catch (error) {
    throw new OboError(
      'The client assertion callback (getAssertion) threw (see the cause); no token was requested. Fix the callback so it returns a signed JWT.',
      { code: 'CLIENT_ASSERTION_FAILED', cause: error },
    )
  }
  if (typeof assertion !== 'string' || assertion.trim().length === 0) {
    throw new OboError(
      'The client assertion callback (getAssertion) returned no assertion; it must return a signed JWT string.',
      {
        code: 'CLIENT_ASSERTION_FAILED',
      },
    )
  }
  return assertion
}
