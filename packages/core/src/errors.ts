/**
 * One error base class with a stable string `code`, and one subclass for answers from the token endpoint.
 * Messages say what to do next; they never contain a secret, an assertion or a token.
 *
 * @module
 */

/**
 * Stable error codes. Branch on these, never on message text.
 *
 * - `INVALID_ARGUMENT`: the caller passed something unusable (scopes, tenant, options).
 * - `INVALID_CERTIFICATE`: the client certificate cannot be read (format, password, missing or unsupported key).
 * - `TENANT_NOT_ALLOWED`: a request named a tenant the credential is not allowed to use.
 * - `INVALID_AUTHORITY`: the authority is not https, malformed, or not a known/validated Entra host.
 * - `CLIENT_ASSERTION_FAILED`: the client-assertion callback threw or returned nothing usable.
 * - `INTERACTION_REQUIRED`: the user must satisfy a claims challenge (MFA, Conditional Access, consent).
 * - `INVALID_GRANT`: the user assertion was rejected (expired, wrong audience, bad signature).
 * - `INVALID_CLIENT`: the client credential was rejected (wrong secret, unregistered certificate).
 * - `INVALID_SCOPE`: the scopes were rejected.
 * - `OAUTH_ERROR`: any other error answer from the token endpoint.
 * - `THROTTLED`: the token endpoint answered 429; see `retryAfterMs`.
 * - `SERVER_ERROR`: the token endpoint failed (5xx) after the allowed retries.
 * - `INVALID_RESPONSE`: the answer could not be understood (not JSON, missing fields, too large).
 * - `NETWORK_ERROR`: the token endpoint could not be reached.
 * - `TIMEOUT`: no answer within the deadline.
 * - `ABORTED`: the caller's abort signal fired.
 * - `CLOSED`: the credential or engine was closed.
 * - `INTERNAL_ERROR`: a bug: something threw that should not have; the cause says what.
 */
export type OboErrorCode =
  | 'INVALID_ARGUMENT'
  | 'INVALID_CERTIFICATE'
  | 'INVALID_AUTHORITY'
  | 'TENANT_NOT_ALLOWED'
  | 'CLIENT_ASSERTION_FAILED'
  | 'INTERACTION_REQUIRED'
  | 'INVALID_GRANT'
  | 'INVALID_CLIENT'
  | 'INVALID_SCOPE'
  | 'OAUTH_ERROR'
  | 'THROTTLED'
  | 'SERVER_ERROR'
  | 'INVALID_RESPONSE'
  | 'NETWORK_ERROR'
  | 'TIMEOUT'
  | 'ABORTED'
  | 'CLOSED'
  | 'INTERNAL_ERROR'

/** Options every {@link OboError} takes. */
export interface OboErrorOptions {
  readonly code: OboErrorCode
  readonly cause?: unknown
}

/**
 * The base of every error this project throws.
 *
 * @example
 * ```ts
 * try {
 *   await provider.getToken(request)
 * } catch (error) {
 *   if (error instanceof OboError && error.code === 'INVALID_GRANT') reply.status(401)
 * }
 * ```
 */
export class OboError extends Error {
  readonly code: OboErrorCode

  constructor(message: string, options: OboErrorOptions) {
    super(message, { cause: options.cause })
    this.name = new.target.name
    this.code = options.code
  }
}

/** The fields of Entra's error body, camel-cased. */
export interface OAuthErrorBody {
  readonly error: string
  readonly errorDescription?: string
  readonly errorCodes?: readonly number[]
  readonly timestamp?: string
  readonly traceId?: string
  readonly correlationId?: string
  readonly errorUri?: string
  readonly suberror?: string
  /** The claims challenge (JSON text, not base64) to relay to the calling client. */
  readonly claims?: string
}

/** Options for {@link OAuthError}. */
export interface OAuthErrorOptions extends OAuthErrorBody {
  /** The HTTP status of the answer. */
  readonly status: number
  /** From a 429's `Retry-After` header, in milliseconds. */
  readonly retryAfterMs?: number
  readonly cause?: unknown
}

const interactionErrors = new Set(['interaction_required', 'consent_required', 'login_required', 'bad_token'])
const interactionSuberrors = new Set([
  'consent_required',
  'basic_action',
  'additional_action',
  'message_only',
  'user_password_expired',
  'bad_token',
])

function codeFor(options: OAuthErrorOptions): OboErrorCode {
  if (options.status === 429) return 'THROTTLED'
  if (
    interactionErrors.has(options.error) ||
    (options.suberror !== undefined && interactionSuberrors.has(options.suberror)) ||
    options.claims !== undefined
  ) {
    return 'INTERACTION_REQUIRED'
  }
  switch (options.error) {
    case 'invalid_grant':
      return 'INVALID_GRANT'
    case 'invalid_client':
    case 'unauthorized_client':
      return 'INVALID_CLIENT'
    case 'invalid_scope':
      return 'INVALID_SCOPE'
    default:
      return options.status >= 500 ? 'SERVER_ERROR' : 'OAUTH_ERROR'
  }
}

const remedies: Partial<Record<OboErrorCode, string>> = {
  INTERACTION_REQUIRED:
    'Relay the claims challenge to the calling client (see toWwwAuthenticate()) so the user can satisfy it, then retry with a new token.',
  INVALID_GRANT: 'The incoming user token was rejected: the calling client must get a fresh token for this API.',
  INVALID_CLIENT: "Check the app's client secret or that its certificate is registered in Entra.",
  INVALID_SCOPE: 'Request scopes of one resource that the app is allowed to call.',
  THROTTLED: 'Retry after the interval the server gave.',
  SERVER_ERROR: 'Entra failed to answer; retry later.',
  OAUTH_ERROR:
    'Look up the AADSTS code (error_codes, errorUri) and check the request: tenant, client ID, scopes and the app registration.',
}

// AADSTS70021 and its finer variants (issuer 700211, audience 700212, subject 700213): no federated identity
// credential of the app matches the presented assertion.
const federatedCredentialCodes = new Set([70021, 700211, 700212, 700213])
const federatedCredentialRemedy =
  "No federated identity credential on the app registration matches the assertion's issuer, subject and audience: add one with exactly those values. A new or changed one can take minutes to propagate; retry with backoff."

/**
 * An error answer from the token endpoint, with every field of Entra's error body.
 *
 * @example
 * ```ts
 * catch (error) {
 *   if (error instanceof OAuthError && error.code === 'INTERACTION_REQUIRED') {
 *     reply.status(401).header('WWW-Authenticate', error.toWwwAuthenticate())
 *   }
 * }
 * ```
 */
export class OAuthError extends OboError {
  readonly status: number
  readonly error: string
  readonly errorDescription: string | undefined
  readonly errorCodes: readonly number[]
  readonly timestamp: string | undefined
  readonly traceId: string | undefined
  readonly correlationId: string | undefined
  readonly errorUri: string | undefined
  readonly suberror: string | undefined
  readonly claims: string | undefined
  readonly retryAfterMs: number | undefined

  constructor(options: OAuthErrorOptions) {
    const code = codeFor(options)
    // The description is Entra's text (AADSTS code and trace IDs); it never echoes request secrets.
    const summary = options.errorDescription?.split(/\r?\n| Trace ID:/)[0] ?? options.error
    const remedy = options.errorCodes?.some((c) => federatedCredentialCodes.has(c))
      ? federatedCredentialRemedy
      : (remedies[code] ?? '')
    super(`${options.error} (HTTP ${options.status}): ${summary} ${remedy}`.trim(), {
      code,
      cause: options.cause,
    })
    this.status = options.status
    this.error = options.error
    this.errorDescription = options.errorDescription
    this.errorCodes = options.errorCodes ?? []
    this.timestamp = options.timestamp
    this.traceId = options.traceId
    this.correlationId = options.correlationId
    this.errorUri = options.errorUri
    this.suberror = options.suberror
    this.claims = options.claims
    this.retryAfterMs = options.retryAfterMs
  }

  /**
   * The `WWW-Authenticate` value for the 401 your API sends to its caller when the user must act, else
   * `undefined`. With a claims challenge (MFA, Conditional Access):
   * `Bearer error="insufficient_claims", claims="<base64 of the claims JSON>"`, which MSAL-based clients parse
   * and satisfy. Without one (consent missing): `Bearer error="interaction_required", error_description="<kind>"`.
   * `AuthenticationError` in `@onbehalf/azure` answers the same (it asks this error).
   *
   * @example
   * ```ts
   * const header = error.toWwwAuthenticate()
   * if (header !== undefined) reply.status(401).header('WWW-Authenticate', header)
   * ```
   */
  toWwwAuthenticate(): string | undefined {
    if (this.claims !== undefined) return renderClaimsChallenge(this.claims)
    if (this.code !== 'INTERACTION_REQUIRED') return undefined
    const kind = (this.suberror ?? this.error).replace(/[^A-Za-z0-9_]/g, '')
    return `Bearer error="interaction_required", error_description="${kind === '' ? 'interaction_required' : kind}"`
  }
}

/**
 * Renders the standard claims challenge for a calling client:
 * `Bearer error="insufficient_claims", claims="<base64 of the claims JSON>"`.
 *
 * @example
 * ```ts
 * reply.status(401).header('WWW-Authenticate', renderClaimsChallenge(error.claims))
 * ```
 * @see https://learn.microsoft.com/entra/identity-platform/claims-challenge
 */
export function renderClaimsChallenge(claims: string): string {
  const bytes = new TextEncoder().encode(claims)
  let binary = ''
  for (const byte of bytes) binary += String.fromCharCode(byte)
  return `Bearer error="insufficient_claims", claims="${btoa(binary)}"`
}

/**
 * Builds an {@link OAuthError} from a parsed Entra error body (snake_case as on the wire). Fields of the
 * wrong type are dropped rather than trusted.
 *
 * @example
 * ```ts
 * throw oauthErrorFromBody(response.status, await response.json(), { retryAfterMs })
 * ```
 */
export function oauthErrorFromBody(
  status: number,
  body: Record<string, unknown>,
  extra: { readonly retryAfterMs?: number; readonly cause?: unknown } = {},
): OAuthError {
  const text = (name: string): string | undefined => {
    const value = body[name]
    return typeof value === 'string' && value.length > 0 ? value.slice(0, 4096) : undefined
  }
  const rawCodes: unknown = body['error_codes']
  const codes = Array.isArray(rawCodes)
    ? (rawCodes as readonly unknown[])
        .map((value) => (typeof value === 'string' ? Number(value) : value))
        .filter((value): value is number => typeof value === 'number' && Number.isInteger(value))
    : []
  return new OAuthError({
    status,
    error: text('error') ?? (status === 429 ? 'throttled' : 'unknown_error'),
    ...optional('errorDescription', text('error_description')),
    errorCodes: codes,
    ...optional('timestamp', text('timestamp')),
    ...optional('traceId', text('trace_id')),
    ...optional('correlationId', text('correlation_id')),
    ...optional('errorUri', text('error_uri')),
    ...optional('suberror', text('suberror')),
    ...optional('claims', text('claims')),
    ...optional('retryAfterMs', extra.retryAfterMs),
    cause: extra.cause,
  })
}

/** `{ [key]: value }` when value is defined, else `{}`: spreads cleanly under exactOptionalPropertyTypes. */
export function optional<TKey extends string, TValue>(key: TKey, value: TValue | undefined): { [K in TKey]?: TValue } {
  return (value === undefined ? {} : { [key]: value }) as { [K in TKey]?: TValue }
}
