/**
 * `ApiAuthError`: why a protected API refuses a request, already in HTTP terms (status, `WWW-Authenticate`,
 * `Retry-After`, a JSON body). Its message and body never hold token text.
 *
 * @module
 */
import { formatBearerChallenge, type BearerChallengeParameters } from './bearer-challenge.ts'

/**
 * Stable codes of {@link ApiAuthError} (branch on these, not on messages).
 *
 * - `MISSING_TOKEN` (401): no `Authorization: Bearer` header.
 * - `INVALID_TOKEN` (401): malformed, wrong signature or algorithm, unknown key, wrong issuer or audience.
 * - `TOKEN_EXPIRED` (401): `exp` (or `nbf`) outside the allowed clock skew.
 * - `TENANT_NOT_ALLOWED` (401): the token comes from a tenant not in `allowedTenants`.
 * - `INSUFFICIENT_SCOPE` (403): a required delegated scope or app role is missing.
 * - `APP_ONLY_TOKEN` (403): an app-only token where a user is needed (On-Behalf-Of).
 * - `INSUFFICIENT_CLAIMS` (401): the user must satisfy a claims challenge (MFA, Conditional Access).
 * - `CONSENT_REQUIRED` (403): the user or an administrator must consent; retrying does not help.
 * - `THROTTLED` (503): Entra throttled the token exchange; `Retry-After` says when to come back.
 * - `METADATA_UNAVAILABLE` (503): Entra's metadata or signing keys could not be fetched.
 * - `TOKEN_EXCHANGE_FAILED` (502): the On-Behalf-Of exchange failed for another reason (see `cause`).
 * - `UNKNOWN_DOWNSTREAM_API` (500): `caller.fetch`/`getToken` named an API that is not configured.
 */
export type ApiAuthErrorCode =
  | 'MISSING_TOKEN'
  | 'INVALID_TOKEN'
  | 'TOKEN_EXPIRED'
  | 'TENANT_NOT_ALLOWED'
  | 'INSUFFICIENT_SCOPE'
  | 'APP_ONLY_TOKEN'
  | 'INSUFFICIENT_CLAIMS'
  | 'CONSENT_REQUIRED'
  | 'THROTTLED'
  | 'METADATA_UNAVAILABLE'
  | 'TOKEN_EXCHANGE_FAILED'
  | 'UNKNOWN_DOWNSTREAM_API'

/** Options of {@link ApiAuthError}. */
export interface ApiAuthErrorOptions {
  readonly code: ApiAuthErrorCode
  /** HTTP status of the answer (401, 403, 500, 502, 503). */
  readonly status: number
  /** Parameters of the `WWW-Authenticate: Bearer` challenge; none means no such header. */
  readonly challenge?: BearerChallengeParameters
  /** For 503: seconds until the client may retry (`Retry-After`). */
  readonly retryAfterSeconds?: number
  /** The OAuth error name for the body (`invalid_token`, `insufficient_scope`, …). */
  readonly error: string
  readonly cause?: unknown
}

/** The JSON body of an {@link ApiAuthError} answer. */
export interface ApiAuthErrorBody {
  readonly error: string
  readonly code: ApiAuthErrorCode
  readonly message: string
}

/**
 * A refusal to send as it is: `status`, `wwwAuthenticate` (the exact `WWW-Authenticate` value, or `undefined`),
 * `retryAfterSeconds`, `headers` (both, ready to set) and `body` (JSON, no token details). Adapters send it for
 * you; with a bare server use {@link ApiAuthError.toResponse} or the fields.
 *
 * @example
 * ```ts
 * try {
 *   const caller = await api.authenticate(request)
 * } catch (error) {
 *   if (error instanceof ApiAuthError) return error.toResponse()
 *   throw error
 * }
 * ```
 */
export class ApiAuthError extends Error {
  readonly code: ApiAuthErrorCode
  readonly status: number
  /** The exact `WWW-Authenticate` header value, when the answer carries one. */
  readonly wwwAuthenticate: string | undefined
  /** The challenge's parameters, to re-render with more (e.g. MCP's `resource_metadata`). */
  readonly challenge: BearerChallengeParameters | undefined
  readonly retryAfterSeconds: number | undefined
  /** The OAuth error name used in the body. */
  readonly error: string

  constructor(message: string, options: ApiAuthErrorOptions) {
    super(message, { cause: options.cause })
    this.name = 'ApiAuthError'
    this.code = options.code
    this.status = options.status
    this.error = options.error
    this.challenge = options.challenge
    this.wwwAuthenticate = options.challenge === undefined ? undefined : formatBearerChallenge(options.challenge)
    this.retryAfterSeconds = options.retryAfterSeconds
  }

  /**
   * The headers of the answer: `WWW-Authenticate` and `Retry-After` when present.
   *
   * @example
   * ```ts
   * for (const [name, value] of Object.entries(error.headers)) res.setHeader(name, value)
   * ```
   */
  get headers(): Record<string, string> {
    const headers: Record<string, string> = {}
    if (this.wwwAuthenticate !== undefined) headers['WWW-Authenticate'] = this.wwwAuthenticate
    if (this.retryAfterSeconds !== undefined) headers['Retry-After'] = String(this.retryAfterSeconds)
    return headers
  }

  /**
   * The JSON body: `{ error, code, message }`. No token text is ever in it.
   *
   * @example
   * ```ts
   * res.status(error.status).json(error.body)
   * ```
   */
  get body(): ApiAuthErrorBody {
    return { error: this.error, code: this.code, message: this.message }
  }

  /**
   * The whole answer as a Web `Response` (status, headers, JSON body).
   *
   * @example
   * ```ts
   * app.onError((error) => (error instanceof ApiAuthError ? error.toResponse() : new Response(null, { status: 500 })))
   * ```
   */
  toResponse(): Response {
    return new Response(JSON.stringify(this.body), {
      status: this.status,
      headers: { ...this.headers, 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' },
    })
  }
}

/**
 * A 401 `invalid_token` refusal whose challenge carries `message` as its `error_description`.
 *
 * @example
 * ```ts
 * throw invalidTokenError('The token has expired.', 'TOKEN_EXPIRED')
 * ```
 */
export function invalidTokenError(
  message: string,
  code: ApiAuthErrorCode = 'INVALID_TOKEN',
  cause?: unknown,
): ApiAuthError {
  return new ApiAuthError(message, {
    code,
    status: 401,
    error: 'invalid_token',
    challenge: { error: 'invalid_token', error_description: message },
    cause,
  })
}
