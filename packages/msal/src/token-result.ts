/**
 * The engine's result, read from the token endpoint's raw answer: MSAL's `AuthenticationResult` drops the
 * refresh token and rounds expiry to whole seconds; the jose engine reports the server's own fields, and so
 * does this one.
 *
 * @module
 */
import type { AuthenticationResult } from '@azure/msal-node'
import { OboError, type TokenResult } from '@onbehalf/core'
import { optional, tokenResultFromBody } from '@onbehalf/core/engine'
import type { RawTokenResponse } from './call-context.ts'

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
  const { refreshToken, ...result } = tokenResultFromBody(raw.body, { requestedScopes, sentAt: raw.sentAt })
  // MSAL always adds offline_access, so Entra always returns a refresh token. Like the jose engine, hand it on
  // only when the caller asked for one: no long-lived credential lands in a cache nobody meant to fill.
  const wantsRefreshToken = requestedScopes.some((item) => item.toLowerCase() === 'offline_access')
  return { ...result, ...optional('refreshToken', wantsRefreshToken ? refreshToken : undefined) }
}
