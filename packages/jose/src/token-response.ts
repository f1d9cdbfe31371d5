/**
 * Strict reading of a token endpoint answer: a success becomes a `TokenResult`; an Entra error body becomes
 * core's `OAuthError` with every field kept; anything else is `INVALID_RESPONSE` with the status.
 *
 * @module
 */
import { oauthErrorFromBody, optional, type TokenResult } from '@onbehalf/core'
import { InvalidResponseError } from './errors.ts'
import { parseJsonObject, type HttpResponse } from './http.ts'

/**
 * Turns the final HTTP answer into a token, or throws the error it stands for.
 *
 * @param requestedScopes Used when the server omits `scope` (as MSAL does).
 * @param nowMs The time the request was sent, the base of `expiresAt` / `refreshAt`.
 * @example
 * ```ts
 * const token = readTokenResponse(response, request.scopes, startedAt)
 * ```
 */
export function readTokenResponse(response: HttpResponse, requestedScopes: readonly string[], nowMs: number): TokenResult {
  const { status } = response
  if (response.text.trim() === '') {
    if (status === 429 || status >= 500) throw oauthErrorFromBody(status, {}, retryAfter(response))
    throw new InvalidResponseError('The token endpoint answered with an empty body', status)
  }
  const body = parseJsonObject(response.text)
  if (body === undefined) {
    // A 429 or 5xx from a gateway is often plain text or HTML: keep its meaning (throttled / server error).
    if (status === 429 || status >= 500) throw oauthErrorFromBody(status, {}, retryAfter(response))
    throw new InvalidResponseError('The token endpoint answered with a body that is not a JSON object', status)
  }
  if (status < 200 || status >= 300 || body['error'] !== undefined) {
    throw oauthErrorFromBody(status, body, retryAfter(response))
  }
  const accessToken = body['access_token']
  if (typeof accessToken !== 'string' || accessToken.length === 0) {
    throw new InvalidResponseError('The token endpoint answer has no access_token', status)
  }
  const expiresIn = seconds(body, 'expires_in', status)
  if (expiresIn === undefined) throw new InvalidResponseError('The token endpoint answer has no expires_in', status)
  if (expiresIn <= 0) throw new InvalidResponseError('The token endpoint answer has a non-positive expires_in', status)
  // Validated for shape even though the engine does not use it: a malformed answer is refused whole.
  seconds(body, 'ext_expires_in', status)
  const refreshIn = seconds(body, 'refresh_in', status)
  const tokenType = body['token_type']
  if (tokenType !== undefined && (typeof tokenType !== 'string' || tokenType.length === 0)) {
    throw new InvalidResponseError('The token endpoint answer has an invalid token_type', status)
  }
  const scope = body['scope']
  if (scope !== undefined && typeof scope !== 'string') {
    throw new InvalidResponseError('The token endpoint answer has an invalid scope', status)
  }
  const refreshToken = body['refresh_token']
  if (refreshToken !== undefined && typeof refreshToken !== 'string') {
    throw new InvalidResponseError('The token endpoint answer has an invalid refresh_token', status)
  }
  const grantedScopes = scope === undefined ? [...requestedScopes] : scope.split(/\s+/).filter((item) => item.length > 0)
  return {
    accessToken,
    tokenType: tokenType ?? 'Bearer',
    scopes: grantedScopes,
    expiresAt: nowMs + expiresIn * 1000,
    ...optional('refreshAt', refreshIn !== undefined && refreshIn > 0 ? nowMs + refreshIn * 1000 : undefined),
    ...optional('refreshToken', refreshToken !== undefined && refreshToken.length > 0 ? refreshToken : undefined),
  }
}

/** A number of seconds given as a JSON number or a numeric string (v1 style); `undefined` when absent. */
function seconds(body: Record<string, unknown>, name: string, status: number): number | undefined {
  const value = body[name]
  if (value === undefined || value === null) return undefined
  const parsed = typeof value === 'number' ? value : typeof value === 'string' && /^\s*\d+(\.\d+)?\s*$/.test(value) ? Number(value) : Number.NaN
  if (!Number.isFinite(parsed) || parsed < 0) {
    throw new InvalidResponseError(`The token endpoint answer has an invalid ${name}`, status)
  }
  return parsed
}

function retryAfter(response: HttpResponse): { retryAfterMs?: number } {
  return response.retryAfterMs === undefined ? {} : { retryAfterMs: response.retryAfterMs }
}
