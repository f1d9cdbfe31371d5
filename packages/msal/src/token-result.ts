/**
 * The engine's result, read from the token endpoint's raw answer: MSAL's `AuthenticationResult` drops the
 * refresh token and rounds expiry to whole seconds; the jose engine reports the server's own fields, and so
 * does this one.
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
  const refreshAt = refreshInSeconds !== undefined && refreshInSeconds > 0 ? raw.sentAt + refreshInSeconds * 1000 : undefined
  const scope = body['scope']
  const tokenType = body['token_type']
  const refreshToken = body['refresh_token']
  // MSAL always adds offline_access, so Entra always returns a refresh token. Like the jose engine, hand it on
  // only when the caller asked for one: no long-lived credential lands in a cache nobody meant to fill.
  const wantsRefreshToken = requestedScopes.some((item) => item.toLowerCase() === 'offline_access')
  return {
    accessToken: body['access_token'] as string,
    tokenType: typeof tokenType === 'string' && tokenType.length > 0 ? tokenType : 'Bearer',
    scopes: typeof scope === 'string' && scope.trim() !== '' ? scope.trim().split(/\s+/) : [...requestedScopes],
    expiresAt: raw.sentAt + expiresInSeconds * 1000,
    ...optional('refreshAt', refreshAt),
    ...optional(
      'refreshToken',
      wantsRefreshToken && typeof refreshToken === 'string' && refreshToken.length > 0 ? refreshToken : undefined,
    ),
  }
}
