/**
 * The checks every engine makes on one token request before anything is sent, so both refuse the same
 * requests with the same codes.
 *
 * @module
 */
import type { TokenRequestBase } from '../engine.ts'
import { OboError } from '../errors.ts'

const tenantPattern = /^[A-Za-z0-9.-]+$/

/**
 * Throws unless the request names a well-formed tenant and a non-empty list of scopes without blanks.
 *
 * @throws OboError `INVALID_ARGUMENT`.
 * @example
 * ```ts
 * assertTokenRequest({ tenantId, scopes: ['https://graph.microsoft.com/.default'] })
 * ```
 */
export function assertTokenRequest(request: TokenRequestBase): void {
  if (typeof request.tenantId !== 'string' || !tenantPattern.test(request.tenantId)) {
    throw new OboError('tenantId must be a tenant GUID or domain (characters A-Z, a-z, 0-9, "." and "-").', {
      code: 'INVALID_ARGUMENT',
    })
  }
  const { scopes } = request
  if (
    !Array.isArray(scopes) ||
    scopes.length === 0 ||
    scopes.some((scope) => typeof scope !== 'string' || scope.trim() === '' || /\s/.test(scope))
  ) {
    throw new OboError(
      'scopes must be a non-empty list of scopes of one resource, e.g. ["https://graph.microsoft.com/.default"].',
      {
        code: 'INVALID_ARGUMENT',
      },
    )
  }
}

/**
 * Throws unless `userAssertion` (the incoming user access token of an exchange) is a non-empty string.
 *
 * @throws OboError `INVALID_ARGUMENT` (the message never contains the value).
 * @example
 * ```ts
 * assertUserAssertion(request.userAssertion)
 * ```
 */
export function assertUserAssertion(userAssertion: unknown): asserts userAssertion is string {
  if (typeof userAssertion !== 'string' || userAssertion.length === 0) {
    throw new OboError('userAssertion is required: pass the access token the caller sent.', {
      code: 'INVALID_ARGUMENT',
    })
  }
}

/**
 * Throws unless `refreshToken` is a non-empty string.
 *
 * @throws OboError `INVALID_ARGUMENT` (the message never contains the value).
 * @example
 * ```ts
 * assertRefreshToken(request.refreshToken)
 * ```
 */
export function assertRefreshToken(refreshToken: unknown): asserts refreshToken is string {
  if (typeof refreshToken !== 'string' || refreshToken.length === 0) {
    throw new OboError('refreshToken is required: pass the refresh token from an earlier result.', {
      code: 'INVALID_ARGUMENT',
    })
  }
}
