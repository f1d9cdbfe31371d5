/**
 * Strict reading of a token endpoint answer, the same for both engines: a success becomes a `TokenResult`; an
 * Entra error body becomes core's `OAuthError` with every field kept; a 429 or 5xx without one keeps its
 * meaning (throttled / server error); anything else unusable is `INVALID_RESPONSE` with the status.
 *
 * @module
 */
import { oauthErrorFromBody, optional } from '../errors.ts'
import type { TokenResult } from '../engine.ts'
import { InvalidResponseError } from './invalid-response-error.ts'
import { isRetryableStatus } from './retry-policy.ts'

/** One answer of the token endpoint, its body already parsed. */
export interface TokenAnswer {
  readonly status: number
  /** The body as a JSON object; `undefined` when it was empty or not a JSON object. */
  readonly body: Readonly<Record<string, unknown>> | undefined
  /** From `Retry-After`, when present and valid. */
  readonly retryAfterMs?: number | undefined
}

const remedy = '; check that the authority host is Entra (not a proxy or captive portal) and retry later'

/** The longest token lifetime accepted: 7 days (Entra issues 1–28 hours, CAE tokens included). */
const maxLifetimeSeconds = 7 * 24 * 3600

/**
 * The body of a usable token answer, or throws the typed error the answer stands for. Fields the engine does
 * not use (`ext_expires_in`) are validated too: a malformed answer is refused whole.
 *
 * @throws OAuthError for an Entra error body (any status) or a 429 / 5xx without a JSON body;
 *   InvalidResponseError (`INVALID_RESPONSE`) for anything else unusable.
 * @example
 * ```ts
 * const body = checkTokenAnswer({ status: 200, body: parseJsonObject(text), retryAfterMs })
 * ```
 */
export function checkTokenAnswer(answer: TokenAnswer): Readonly<Record<string, unknown>> {
  const { status, body } = answer
  const extra = { ...optional('retryAfterMs', answer.retryAfterMs) }
  if (body === undefined) {
    // A 429 or 5xx from a gateway is often plain text or HTML: keep its meaning (throttled / server error).
    if (isRetryableStatus(status)) throw oauthErrorFromBody(status, {}, extra)
    throw invalid('an empty body or one that is not a JSON object', status)
  }
  if (status < 200 || status > 299 || body['error'] !== undefined) throw oauthErrorFromBody(status, body, extra)
  const accessToken = body['access_token']
  if (typeof accessToken !== 'string' || accessToken.length === 0) throw invalid('no access_token', status)
  if (body['expires_in'] === undefined) throw invalid('no expires_in', status)
  const expiresIn = parseSeconds(body['expires_in'])
  // No Entra token lives longer than a day; a lifetime of years (or 1e308) would be cached forever.
  if (expiresIn === undefined || expiresIn <= 0 || expiresIn > maxLifetimeSeconds) {
    throw invalid('an invalid expires_in', status)
  }
  for (const name of ['ext_expires_in', 'refresh_in']) {
    if (body[name] !== undefined && body[name] !== null && parseSeconds(body[name]) === undefined) {
      throw invalid(`an invalid ${name}`, status)
    }
  }
  for (const name of ['token_type', 'scope', 'refresh_token']) {
    if (body[name] !== undefined && typeof body[name] !== 'string') throw invalid(`an invalid ${name}`, status)
  }
  if (body['token_type'] === '') throw invalid('an invalid token_type', status)
  return body
}

/** Input of {@link tokenResultFromBody}. */
export interface TokenResultOptions {
  /** Reported when the server omits `scope` (as Entra may). */
  readonly requestedScopes: readonly string[]
  /** When the request that got this answer was sent (epoch ms): the base of `expiresAt` and `refreshAt`. */
  readonly sentAt: number
}

/**
 * The `TokenResult` of a body that passed {@link checkTokenAnswer}, with the server's own fields: exact
 * `expires_in` / `refresh_in` (no rounding) and the refresh token when one came.
 *
 * @example
 * ```ts
 * const token = tokenResultFromBody(checkTokenAnswer(answer), { requestedScopes: scopes, sentAt })
 * ```
 */
export function tokenResultFromBody(body: Readonly<Record<string, unknown>>, options: TokenResultOptions): TokenResult {
  const { sentAt } = options
  const expiresInSeconds = parseSeconds(body['expires_in']) ?? 0
  const refreshInSeconds = parseSeconds(body['refresh_in'])
  const scope = body['scope']
  const tokenType = body['token_type']
  const refreshToken = body['refresh_token']
  return {
    accessToken: body['access_token'] as string,
    tokenType: typeof tokenType === 'string' && tokenType.length > 0 ? tokenType : 'Bearer',
    scopes: typeof scope === 'string' && scope.trim() !== '' ? scope.trim().split(/\s+/) : [...options.requestedScopes],
    expiresAt: sentAt + expiresInSeconds * 1000,
    // A refresh advice at or past expiry advises nothing (and an absurd one must not become Infinity).
    ...optional(
      'refreshAt',
      refreshInSeconds !== undefined && refreshInSeconds > 0 && refreshInSeconds < expiresInSeconds
        ? sentAt + refreshInSeconds * 1000
        : undefined,
    ),
    ...optional('refreshToken', typeof refreshToken === 'string' && refreshToken.length > 0 ? refreshToken : undefined),
  }
}

/**
 * A non-negative number of seconds from a JSON number or a numeric string (Entra's v1 endpoints send strings);
 * `undefined` for anything else.
 *
 * @example
 * ```ts
 * parseSeconds('3599') // 3599
 * parseSeconds('soon') // undefined
 * ```
 */
export function parseSeconds(value: unknown): number | undefined {
  const number =
    typeof value === 'number'
      ? value
      : typeof value === 'string' && /^\s*\d+(\.\d+)?\s*$/.test(value)
        ? Number(value)
        : Number.NaN
  return Number.isFinite(number) && number >= 0 ? number : undefined
}

function invalid(what: string, status: number): InvalidResponseError {
  return new InvalidResponseError(`The token endpoint answered with ${what}${remedy}`, status)
}
