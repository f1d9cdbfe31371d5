import { randomUUID } from 'node:crypto'

/**
 * An Entra error about to be sent: OAuth `error`, AADSTS code, message and HTTP status.
 * @example
 * ```ts
 * throw new EntraError({ status: 400, error: 'invalid_grant', codes: [50196], message: 'Loop detected.' })
 * ```
 */
export interface EntraErrorSpec {
  readonly status: number
  readonly error: string
  /** AADSTS number(s); the first one prefixes the description. */
  readonly codes: readonly number[]
  /** The message after `AADSTSnnnn: ` (without the trace trailer). */
  readonly message: string
  readonly suberror?: string
  /** JSON text of a claims challenge (raw JSON, not base64, as Entra sends it). */
  readonly claims?: string
  /** Extra response headers (e.g. `WWW-Authenticate` for Basic client authentication failures). */
  readonly headers?: Readonly<Record<string, string>>
}

/**
 * The JSON body of an Entra error response.
 * @example
 * ```ts
 * const body = (await res.json()) as EntraErrorBody
 * body.error_codes // [65001]
 * ```
 */
export interface EntraErrorBody {
  error: string
  error_description: string
  error_codes: number[]
  timestamp: string
  trace_id: string
  correlation_id: string
  error_uri: string
  suberror?: string
  claims?: string
}

/**
 * Thrown inside request handlers to answer with an Entra error.
 * @example
 * ```ts
 * throw errors.consentRequired(app.clientId, app.displayName)
 * ```
 */
export class EntraError extends Error {
  readonly spec: EntraErrorSpec
  constructor(spec: EntraErrorSpec) {
    super(`AADSTS${spec.codes[0] ?? 0}: ${spec.message}`)
    this.name = 'EntraError'
    this.spec = spec
  }
}

/**
 * Entra's timestamp format in error bodies: `YYYY-MM-DD HH:MM:SSZ`.
 *
 * @example
 * ```ts
 * entraTimestamp(new Date(0)) // '1970-01-01 00:00:00Z'
 * ```
 */
export function entraTimestamp(date: Date): string {
  return `${date.toISOString().slice(0, 19).replace('T', ' ')}Z`
}

/**
 * Renders an error body in Entra's shape, with the trace trailer in the description.
 *
 * @example
 * ```ts
 * const body = entraErrorBody(spec, { traceId, correlationId, now: new Date(), errorUriBase: 'https://127.0.0.1:4000' })
 * ```
 */
export function entraErrorBody(
  spec: EntraErrorSpec,
  context: { traceId: string; correlationId: string; now: Date; errorUriBase: string },
): EntraErrorBody {
  const timestamp = entraTimestamp(context.now)
  const first = spec.codes[0] ?? 0
  const body: EntraErrorBody = {
    error: spec.error,
    error_description: `AADSTS${first}: ${spec.message} Trace ID: ${context.traceId} Correlation ID: ${context.correlationId} Timestamp: ${timestamp}`,
    error_codes: [...spec.codes],
    timestamp,
    trace_id: context.traceId,
    correlation_id: context.correlationId,
    error_uri: `${context.errorUriBase}/error?code=${first}`,
  }
  if (spec.suberror !== undefined) body.suberror = spec.suberror
  if (spec.claims !== undefined) body.claims = spec.claims
  return body
}

/**
 * A new trace ID (what Entra returns in `trace_id` and `x-ms-request-id`).
 *
 * @example
 * ```ts
 * newTraceId() // '3f0c…'
 * ```
 */
export function newTraceId(): string {
  return randomUUID()
}

const fail = (spec: EntraErrorSpec): EntraError => new EntraError(spec)

/**
 * The AADSTS errors the emulator answers with, by name. Each returns an {@link EntraError} to throw.
 * @example
 * ```ts
 * throw errors.wrongAudience(aud, app.clientId, app.displayName)
 * ```
 */
export const errors = {
  /** 90002: tenant not found. */
  tenantNotFound: (tenant: string) =>
    fail({
      status: 400,
      error: 'invalid_tenant',
      codes: [90002],
      message: `Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.`,
    }),
  /** 50049: instance discovery for a host this emulator is not. */
  unknownInstance: () =>
    fail({ status: 400, error: 'invalid_instance', codes: [50049], message: 'Unknown or invalid instance.' }),
  /** 900144: a required body parameter is missing. */
  missingParameter: (name: string) =>
    fail({
      status: 400,
      error: 'invalid_request',
      codes: [900144],
      message: `The request body must contain the following parameter: '${name}'.`,
    }),
  /** 90014: a required field is missing or malformed. */
  missingField: (name: string) =>
    fail({
      status: 400,
      error: 'invalid_request',
      codes: [90014],
      message: `The required field '${name}' is missing from the credential. Ensure that you have all the necessary parameters for the login request.`,
    }),
  /** 70003: unsupported grant type. */
  unsupportedGrant: (grant: string) =>
    fail({
      status: 400,
      error: 'unsupported_grant_type',
      codes: [70003],
      message: `The app requested an unsupported grant type '${grant}'.`,
    }),
  /** 901002: v1 `resource` parameter on the v2 endpoint. */
  resourceParameter: () =>
    fail({
      status: 400,
      error: 'invalid_request',
      codes: [901002],
      message: "The 'resource' request parameter is not supported.",
    }),
  /** 700016: unknown app in this tenant. */
  appNotFound: (clientId: string, tenant: string) =>
    fail({
      status: 400,
      error: 'unauthorized_client',
      codes: [700016],
      message: `Application with identifier '${clientId}' was not found in the directory '${tenant}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.`,
    }),
  /** 7000218: no client credential on a confidential-client request. */
  credentialMissing: (basic: boolean) =>
    fail({
      status: 401,
      error: 'invalid_client',
      codes: [7000218],
      message: "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
      ...basicChallenge(basic),
    }),
  /** 7000215: wrong client secret. */
  invalidSecret: (clientId: string, basic: boolean) =>
    fail({
      status: 401,
      error: 'invalid_client',
      codes: [7000215],
      message: `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${clientId}'.`,
      ...basicChallenge(basic),
    }),
  /** 700027: client assertion signature or key problem. */
  invalidAssertionSignature: (detail: string) =>
    fail({
      status: 401,
      error: 'invalid_client',
      codes: [700027],
      message: `Client assertion failed signature validation. ${detail}`,
    }),
  /** 50012: client assertion claims (audience, issuer) invalid. */
  invalidAssertionClaims: (detail: string) =>
    fail({ status: 401, error: 'invalid_client', codes: [50012], message: detail }),
  /** 700024: client assertion outside its time range. */
  assertionTimeRange: (detail: string) =>
    fail({
      status: 400,
      error: 'invalid_client',
      codes: [700024],
      message: `Client assertion is not within its valid time range. ${detail}`,
    }),
  /** 50048: client assertion `sub` differs from `iss`. */
  subjectMismatch: () =>
    fail({
      status: 401,
      error: 'invalid_client',
      codes: [50048],
      message: 'Subject mismatches Issuer claim in the client assertion.',
    }),
  /** 50013: the user assertion is malformed or its signature/issuer is invalid. */
  invalidUserAssertion: (detail: string) =>
    fail({
      status: 400,
      error: 'invalid_grant',
      codes: [50013],
      message: `Assertion failed signature validation. [Reason - ${detail}]`,
    }),
  /** 500133: the user assertion is expired or not yet valid. */
  expiredUserAssertion: (nowSeconds: number, expSeconds: number) =>
    fail({
      status: 400,
      error: 'invalid_grant',
      codes: [500133],
      message: `Assertion is not within its valid time range. Ensure that the access token is not expired before using it for user assertion, or request a new token. Current time: ${new Date(nowSeconds * 1000).toISOString()}, expiry time of assertion ${new Date(expSeconds * 1000).toISOString()}.`,
    }),
  /** 500131: the user assertion was issued for another app. */
  wrongAudience: (aud: string, clientId: string, displayName: string) =>
    fail({
      status: 400,
      error: 'invalid_grant',
      codes: [500131],
      message: `Assertion audience does not match the Client app presenting the assertion. The audience in the assertion was '${aud}' and the expected audience is '${clientId}' or one of the Application Uris of this application with App ID '${clientId}'(${displayName}). The downstream client must request a token for the expected audience (the application that made the OBO request) and this application should use that token as the assertion.`,
    }),
  /** 240002: an id_token presented as the assertion. */
  idTokenAsAssertion: () =>
    fail({
      status: 400,
      error: 'invalid_grant',
      codes: [240002],
      message: "Input id_token cannot be used as 'urn:ietf:params:oauth:grant-type:jwt-bearer' grant.",
    }),
  /** 7000114: an app-only token presented as the user assertion. */
  appOnlyAssertion: (clientId: string, displayName: string) =>
    fail({
      status: 400,
      error: 'invalid_grant',
      codes: [7000114],
      message: `Application '${clientId}'(${displayName}) is not allowed to make application on-behalf-of calls.`,
    }),
  /** 50057: user disabled. */
  userDisabled: () =>
    fail({ status: 400, error: 'invalid_grant', codes: [50057], message: 'The user account is disabled.' }),
  /** 50034: user not in the directory. */
  userNotFound: (tenant: string) =>
    fail({
      status: 400,
      error: 'invalid_grant',
      codes: [50034],
      message: `The user account does not exist in the ${tenant} directory.`,
    }),
  /** 70011: invalid scope. */
  invalidScope: (detail: string) =>
    fail({
      status: 400,
      error: 'invalid_scope',
      codes: [70011],
      message: `The provided request must include a 'scope' input parameter. The provided value for the input parameter 'scope' is not valid. ${detail}`,
    }),
  /** 700022: scopes of more than one resource. */
  multipleResources: () =>
    fail({
      status: 400,
      error: 'invalid_scope',
      codes: [700022],
      message:
        'The provided value for the input parameter scope is not valid because it contains more than one resource. The scope is not valid.',
    }),
  /** 1002012: client credentials need `/.default`. */
  clientCredentialsScope: (scope: string) =>
    fail({
      status: 400,
      error: 'invalid_scope',
      codes: [1002012],
      message: `The provided value for scope ${scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`,
    }),
  /** 500011: resource not found in the tenant. */
  resourceNotFound: (resource: string, tenant: string) =>
    fail({
      status: 400,
      error: 'invalid_resource',
      codes: [500011],
      message: `The resource principal named ${resource} was not found in the tenant named ${tenant}. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant.`,
    }),
  /** 65001: the user has not consented. */
  consentRequired: (clientId: string, displayName: string) =>
    fail({
      status: 400,
      error: 'invalid_grant',
      codes: [65001],
      message: `The user or administrator has not consented to use the application with ID '${clientId}' named '${displayName}'. Send an interactive authorization request for this user and resource.`,
      suberror: 'consent_required',
    }),
  /** 50076: MFA required by Conditional Access; carries the claims challenge. */
  mfaRequired: (claims: string) =>
    fail({
      status: 400,
      error: 'interaction_required',
      codes: [50076],
      message:
        'Due to a configuration change made by your administrator, or because you moved to a new location, you must use multi-factor authentication to access the resource.',
      suberror: 'basic_action',
      claims,
    }),
  /** 70000 / 70008 / 9002313: refresh token problems. */
  invalidRefreshToken: (reason: 'malformed' | 'expired' | 'wrong-client') =>
    reason === 'expired'
      ? fail({
          status: 400,
          error: 'invalid_grant',
          codes: [70008],
          message:
            'The provided authorization code or refresh token has expired due to inactivity. Send a new interactive authorization request for this user and resource.',
        })
      : reason === 'wrong-client'
        ? fail({
            status: 400,
            error: 'invalid_grant',
            codes: [70000],
            message: 'Provided grant is invalid or malformed. The refresh token was issued to a different client.',
          })
        : fail({
            status: 400,
            error: 'invalid_grant',
            codes: [9002313],
            message: 'Invalid request. Request is malformed or invalid.',
          }),
  /** 90014: malformed `claims` parameter (Entra's exact code for this is not documented). */
  malformedClaims: () =>
    fail({
      status: 400,
      error: 'invalid_request',
      codes: [90014],
      message: "The 'claims' parameter is not a valid JSON claims request.",
    }),
  /** 50000: generic server error (fault injection). */
  serverError: () =>
    fail({
      status: 500,
      error: 'server_error',
      codes: [50000],
      message: 'There was an error issuing a token or an issue with our sign-in service.',
    }),
  /** 90033-style transient outage (fault injection). */
  temporarilyUnavailable: () =>
    fail({
      status: 503,
      error: 'temporarily_unavailable',
      codes: [90033],
      message: 'A transient error has occurred. Please try again.',
    }),
}

function basicChallenge(basic: boolean): { headers?: Record<string, string> } {
  // RFC 6749 §5.2: a failed Basic authentication answers 401 with a Basic challenge.
  return basic ? { headers: { 'WWW-Authenticate': 'Basic realm="token"' } } : {}
}
