/**
 * The engine's result, read from the token endpoint's raw answer: MSAL's `AuthenticationResult` drops the
 * refresh token and rounds expiry to whole seconds, and the jose engine reports the server's own fields.
 *
 * @module
 */
import type { AuthenticationResult } from '@azure/msal-node'
import { OboError, optional, type TokenResult } from '@onbehalf/core'
import type { RawTokenResponse } from './call-context.ts'
import { parseSeconds } from './network-client.ts'

/**
 * Builds the {@link TokenResult} for a successful call.
 *
 * @example
 * ```ts
 * return toTokenResult(context.tokenResponse, msalResult, request.scopes)
 * ```
 */
export function toTokenResult(
  raw: RawTokenResponse | undefined,
  msalResult: AuthenticationResult | null,
  requestedScopes: readonly string[],
): TokenResult {
  if (raw === undefined) {
    // Every network answer passes through our network client, so this means MSAL answered without one.
    throw new OboError('MSAL returned a result that did not come from the token endpoint.', {
      code: 'INVALID_RESPONSE',
      cause: msalResult?.fromCache,
    })
  }
  const body = raw.body
  const expiresInSeconds = parseSeconds(body['expires_in']) ?? 0
  const refreshInSeconds = parseSeconds(body['refresh_in'])
  const scope = body['scope']
  const tokenType = body['token_type']
  const refreshToken = body['refresh_token']
  return {
    accessToken: body['access_token'] as string,
    tokenType: typeof tokenType === 'string' && tokenType.length > 0 ? tokenType : 'Bearer',
    scopes: typeof scope === 'string' && scope.trim() !== '' ? scope.trim().split(/\s+/) : [...requestedScopes],
    expiresAt: raw.sentAt + expiresInSeconds * 1000,
    ...optional('refreshAt', refreshInSeconds === undefined ? undefined : raw.sentAt + refreshInSeconds * 1000),
    ...optional('refreshToken', typeof refreshToken === 'string' && refreshToken.length > 0 ? refreshToken : undefined),
  }
}
