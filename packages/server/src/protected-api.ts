/**
 * `createProtectedApi`: one configuration (validated once), then per request a validated caller who can call
 * downstream APIs as the user — Microsoft.Identity.Web's `AddMicrosoftIdentityWebApi` +
 * `EnableTokenAcquisitionToCallDownstreamApi` + `AddDownstreamApi`, for Node.
 *
 * @module
 */
import type { OnBehalfOfConfig } from '@onbehalf/azure'
import { invalidTokenError } from './api-auth-error.ts'
import { createCaller, type Caller, type CallerContext } from './caller.ts'
import { createCredentialFactory } from './credential-factory.ts'
import { resolveOptions, type ProtectedApiOptions } from './options.ts'
import type { Requirement } from './requirements.ts'
import { createSigningKeys } from './signing-keys.ts'
import { createTokenValidator, type ValidatedToken } from './token-validator.ts'

/** Anything with request headers: a Web `Request`, Node's `IncomingMessage`, Express, Fastify, Hono's raw request. */
export interface RequestLike {
  readonly headers: Headers | { readonly get: (name: string) => string | null } | Readonly<Record<string, unknown>>
}

/** Counters, for diagnostics and tests. */
export interface ProtectedApiStats {
  /** Tokens remembered as verified. */
  readonly verifiedTokens: number
  /** OpenID configuration documents fetched. */
  readonly metadataFetches: number
  /** JWKS documents fetched. */
  readonly jwksFetches: number
}

/**
 * A protected API. Besides `authenticate`, it exposes what a resource-metadata layer (MCP, RFC 9728) publishes.
 *
 * @example
 * ```ts
 * const caller = await api.authenticate(request, requireScopes('access_as_user'))
 * ```
 */
export interface ProtectedApi {
  /**
   * Validates the request's bearer token and checks `requirements`; returns the caller.
   *
   * @throws ApiAuthError 401 (`MISSING_TOKEN`, `INVALID_TOKEN`, `TOKEN_EXPIRED`, `TENANT_NOT_ALLOWED`),
   *   403 (`INSUFFICIENT_SCOPE`), 503 (`METADATA_UNAVAILABLE`).
   */
  authenticate(request: RequestLike, ...requirements: Requirement[]): Promise<Caller>
  /** Validates a bare token (no requirements), for transports that carry it elsewhere. */
  validateToken(token: string): Promise<ValidatedToken>
  /** The API's client ID. */
  readonly clientId: string
  /** The configured tenant (GUID, domain, `organizations` or `common`). */
  readonly tenantId: string
  /** The API's first App ID URI (the RFC 8707 `resource` of MCP clients). */
  readonly appIdUri: string
  readonly appIdUris: readonly string[]
  /** The Entra host, e.g. `https://login.microsoftonline.com`. */
  readonly authorityHost: string
  /** The authorization server: `${authorityHost}/${tenantId}/v2.0`. */
  readonly authority: string
  /** The delegated scopes the API exposes (from options), fully qualified with the App ID URI. */
  readonly scopes: readonly string[]
  stats(): ProtectedApiStats
}

const bearerPrefix = /^bearer +/i
const jwtShape = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/

/**
 * Creates a protected API. Options are validated here, once: a `TypeError` names the option (including the
 * client credential, checked by building an `OnBehalfOfCredential`).
 *
 * @example
 * ```ts
 * import { createProtectedApi, requireScopes } from '@onbehalf/server'
 *
 * const api = createProtectedApi({
 *   tenantId: process.env.TENANT_ID!,
 *   clientId: process.env.CLIENT_ID!,
 *   clientSecret: process.env.CLIENT_SECRET!,
 *   downstreamApis: { graph: { baseUrl: 'https://graph.microsoft.com/v1.0', scopes: ['User.Read'] } },
 * })
 * const caller = await api.authenticate(request, requireScopes('access_as_user'))
 * const me = await caller.fetch('graph', '/me')
 * ```
 */
export function createProtectedApi(options: ProtectedApiOptions): ProtectedApi {
  const settings = resolveOptions(options)
  // Without a client credential the API only validates tokens (a downstream API that calls nothing further).
  const hasCredential = credentialNames.some((name) => options[name] !== undefined)
  // Validates the client credential (and parses a certificate) once, with the credential's own rules. `pick`
  // loses which credential was given: the options' type allowed at most one, and createOnBehalfOf checks exactly
  // one at run time (for JavaScript callers too).
  const credentialFor = hasCredential
    ? createCredentialFactory({
        ...pick(options, [
          'clientSecret',
          'clientCertificate',
          'clientCertificatePath',
          'getClientAssertion',
          'password',
          'sendCertificateChain',
          'disableInstanceDiscovery',
          'cache',
          'engine',
          'fetch',
        ]),
        tenantId: settings.tenantId,
        clientId: settings.clientId,
        authority: settings.authorityHost,
      } as OnBehalfOfConfig)
    : undefined
  const keys = createSigningKeys({
    authorityHost: settings.authorityHost,
    tenant: settings.metadataTenant,
    fetch: settings.fetch,
    refreshIntervalMs: settings.jwksRefreshIntervalMs,
    maxAgeMs: settings.jwksMaxAgeMs,
    now: settings.now,
  })
  const validator = createTokenValidator(settings, keys)
  const context: CallerContext = {
    clientId: settings.clientId,
    authorityHost: settings.authorityHost,
    downstreamApis: settings.downstreamApis,
    credentialFor,
  }
  const appIdUri = settings.appIdUris[0] as string

  return {
    async authenticate(request, ...requirements) {
      const token = bearerTokenOf(request)
      const validated = await validator.validate(token)
      for (const requirement of requirements) requirement.check(validated)
      return createCaller(context, validated, token)
    },
    validateToken: (token) => validator.validate(token),
    clientId: settings.clientId,
    tenantId: settings.tenantId,
    appIdUri,
    appIdUris: settings.appIdUris,
    authorityHost: settings.authorityHost,
    authority: `${settings.authorityHost}/${settings.tenantId}/v2.0`,
    scopes: settings.scopes.map((s) => `${appIdUri.replace(/\/+$/, '')}/${s}`),
    stats: () => ({ verifiedTokens: validator.verifiedTokens(), ...keys.stats() }),
  }
}

const credentialNames = ['clientSecret', 'clientCertificate', 'clientCertificatePath', 'getClientAssertion'] as const

function pick<T extends object, K extends keyof T>(source: T, names: readonly K[]): Partial<Pick<T, K>> {
  const out: Partial<Pick<T, K>> = {}
  for (const name of names) if (source[name] !== undefined) out[name] = source[name]
  return out
}

function headerOf(request: RequestLike): unknown {
  if (typeof request !== 'object' || request === null || typeof request.headers !== 'object') {
    throw new TypeError('authenticate: pass a request with headers (a Web Request or a Node/Express/Fastify request).')
  }
  const headers = request.headers as { get?: unknown } & Readonly<Record<string, unknown>>
  if (typeof headers.get === 'function') return (headers as { get: (name: string) => unknown }).get('authorization')
  // Node lower-cases header names; a hand-made object may not.
  return headers['authorization'] ?? headers['Authorization']
}

function bearerTokenOf(request: RequestLike): string {
  const value = headerOf(request)
  if (value === undefined || value === null || value === '') {
    throw invalidTokenError('Send an access token for this API as "Authorization: Bearer <token>".', 'MISSING_TOKEN')
  }
  const text = typeof value === 'string' ? value.trim() : ''
  const token = text.replace(bearerPrefix, '')
  if (token === text || !jwtShape.test(token)) {
    throw invalidTokenError('The Authorization header must be "Bearer <token>" with one JWT access token.')
  }
  return token
}
