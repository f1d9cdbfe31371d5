/**
 * The options of `createProtectedApi` and the one function that validates them (once, at start), throwing a
 * `TypeError` that names the option.
 *
 * @module
 */
import type { ClientCredentialOptions } from '@onbehalf/azure'
import { AzureAuthorityHosts, type EngineFactory, type TokenCache } from '@onbehalf/core'
import { normalizeAuthorityHost } from '@onbehalf/core/engine'

/**
 * A downstream API the caller may call by name, as Microsoft.Identity.Web's `AddDownstreamApi` configures.
 *
 * @example
 * ```ts
 * const graph: DownstreamApiOptions = { baseUrl: 'https://graph.microsoft.com/v1.0', scopes: ['User.Read'] }
 * ```
 */
export interface DownstreamApiOptions {
  /** Base URL; `caller.fetch(name, '/me')` appends the path to it. */
  readonly baseUrl: string
  /** Scopes of one resource, e.g. `['https://graph.microsoft.com/User.Read']` or `['api://orders/.default']`. */
  readonly scopes: readonly string[]
  /** Declare CAE capability (`cp1`), so the downstream may send claims challenges. Default `true`. */
  readonly enableCae?: boolean
  /** The `fetch` for this API's calls. Default: the global `fetch`. */
  readonly fetch?: typeof globalThis.fetch
}

/**
 * Options of `createProtectedApi`. To call downstream APIs as the caller, give exactly one client credential
 * (`clientSecret`, `clientCertificate`, `clientCertificatePath` or `getClientAssertion`), as for
 * `OnBehalfOfCredential` (`ClientCredentialOptions` of `@onbehalf/azure`); without one the API only validates
 * tokens. Two credentials, or one whose type allows `undefined` (an unchecked `process.env` read, which would
 * silently make a validation-only API), do not compile.
 *
 * @example
 * ```ts
 * const options: ProtectedApiOptions = {
 *   tenantId, clientId, clientSecret,
 *   downstreamApis: { graph: { baseUrl: 'https://graph.microsoft.com/v1.0', scopes: ['User.Read'] } },
 * }
 * ```
 */
export type ProtectedApiOptions = (
  | ClientCredentialOptions
  // No client credential: the API only validates tokens (`caller.getToken`, `fetch` and `credential` throw).
  | {
      readonly clientSecret?: undefined
      readonly clientCertificate?: undefined
      readonly clientCertificatePath?: undefined
      readonly getClientAssertion?: undefined
    }
) & {
  /**
   * The API's home tenant (GUID or domain), or `organizations` / `common` for a multi-tenant API (then
   * `allowedTenants` is required).
   */
  readonly tenantId: string
  /** The API's application (client) ID: the `aud` of v2 tokens. */
  readonly clientId: string
  /** The API's App ID URI(s): the `aud` of v1 tokens. Default `api://<clientId>`. */
  readonly appIdUri?: string | readonly string[]
  /**
   * Tenants (GUIDs) whose users may call a multi-tenant API, besides a GUID `tenantId`; `'*'` allows any tenant
   * (never the default).
   */
  readonly allowedTenants?: readonly string[] | '*'
  /**
   * Client apps allowed to call (the token's `azp` in v2, `appid` in v1); default: any client of an allowed
   * tenant. A downstream API that only the middle tier may call lists the middle tier here.
   */
  readonly allowedClientApps?: readonly string[]
  /** Delegated scopes the API exposes (names such as `access_as_user`); published by resource-metadata layers. */
  readonly scopes?: readonly string[]
  /** Password of an encrypted PEM key or a PKCS#12 file. */
  readonly password?: string | Uint8Array
  readonly sendCertificateChain?: boolean
  /** Named downstream APIs for `caller.getToken(name)` / `caller.fetch(name, path)`. */
  readonly downstreamApis?: Readonly<Record<string, DownstreamApiOptions>>
  /** Entra host or https URL (sovereign clouds: `login.microsoftonline.us`, `login.chinacloudapi.cn`). */
  readonly authority?: string
  /** Skip instance discovery for the token exchange (private clouds, the emulator). */
  readonly disableInstanceDiscovery?: boolean
  /** The `fetch` for every call to Entra (metadata, keys, token exchange). */
  readonly fetch?: typeof globalThis.fetch
  /** The OBO token cache. Default: the process-wide memory cache. */
  readonly cache?: TokenCache
  /** The OBO protocol engine. Default: the jose engine. */
  readonly engine?: EngineFactory
  /** Allowed clock skew on `exp` / `nbf`, in seconds. Default 300 (IdentityModel's). */
  readonly clockSkewSeconds?: number
  /** At most one signing-key refetch per this many ms when a token names an unknown `kid`. Default 300,000. */
  readonly jwksRefreshIntervalMs?: number
  /** Keys and metadata are refetched after this long even without an unknown `kid`. Default 12 h. */
  readonly jwksMaxAgeMs?: number
  /** How many verified tokens to remember (until each one's expiry). Default 10,000. */
  readonly maxVerifiedTokens?: number
  /** The clock, in epoch milliseconds. Default `Date.now` (tests move it). */
  readonly now?: () => number
}

/** Validated settings. */
export interface ProtectedApiSettings {
  readonly tenantId: string
  readonly clientId: string
  readonly appIdUris: readonly string[]
  /** Lower-cased, trailing slashes removed: what `aud` is compared with. */
  readonly audiences: ReadonlySet<string>
  /** `undefined` = any tenant (only with an explicit `'*'`). */
  readonly allowedTenants: ReadonlySet<string> | undefined
  /** The tenant whose metadata is read: `tenantId`, or `organizations` when several tenants are allowed. */
  readonly metadataTenant: string
  readonly scopes: readonly string[]
  /** Lower-cased client IDs; `undefined` = any client. */
  readonly allowedClientApps: ReadonlySet<string> | undefined
  readonly authorityHost: string
  readonly downstreamApis: ReadonlyMap<string, ResolvedDownstreamApi>
  readonly fetch: typeof globalThis.fetch
  readonly clockSkewSeconds: number
  readonly jwksRefreshIntervalMs: number
  readonly jwksMaxAgeMs: number
  readonly maxVerifiedTokens: number
  readonly now: () => number
}

/** A validated downstream API. */
export interface ResolvedDownstreamApi {
  readonly name: string
  readonly baseUrl: string
  readonly scopes: readonly string[]
  readonly enableCae: boolean
  readonly fetch: typeof globalThis.fetch | undefined
}

const multiTenantSegments = new Set(['organizations', 'common'])
const guidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

function fail(option: string, what: string): never {
  throw new TypeError(`createProtectedApi: "${option}" ${what}`)
}

function nonEmptyString(value: unknown, option: string): string {
  if (typeof value !== 'string' || value.trim() === '') fail(option, 'must be a non-empty string.')
  return value.trim()
}

function positive(value: unknown, option: string, fallback: number, allowZero = false): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || (!allowZero && value === 0)) {
    fail(option, `must be a ${allowZero ? 'non-negative' : 'positive'} finite number.`)
  }
  return value
}

/** Lower-cases and drops trailing slashes, as Entra compares audiences. */
export function normalizeAudience(audience: string): string {
  return audience.replace(/\/+$/, '').toLowerCase()
}

/**
 * Validates the options once; throws `TypeError` naming the option. The client credential is validated by
 * building an `OnBehalfOfCredential` (see the protected API), so both report the same problems.
 *
 * @example
 * ```ts
 * const settings = resolveOptions({ tenantId, clientId, clientSecret })
 * ```
 */
export function resolveOptions(options: ProtectedApiOptions): ProtectedApiSettings {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError('createProtectedApi: pass an options object with tenantId, clientId and a client credential.')
  }
  const tenantId = nonEmptyString(options.tenantId, 'tenantId').toLowerCase()
  if (!/^[a-z0-9.-]+$/.test(tenantId)) fail('tenantId', 'must be a tenant GUID, a domain, or organizations/common.')
  if (tenantId === 'consumers') fail('tenantId', 'cannot be consumers: personal accounts cannot call an API by OBO.')
  const clientId = nonEmptyString(options.clientId, 'clientId')

  const uris =
    options.appIdUri === undefined
      ? [`api://${clientId}`]
      : typeof options.appIdUri === 'string'
        ? [options.appIdUri]
        : [...options.appIdUri]
  if (uris.length === 0) fail('appIdUri', 'must name at least one App ID URI.')
  const appIdUris = uris.map((uri, i) =>
    nonEmptyString(uri, `appIdUri${typeof options.appIdUri === 'string' ? '' : `[${String(i)}]`}`),
  )

  const multiTenant = multiTenantSegments.has(tenantId)
  let allowedTenants: Set<string> | undefined
  const allowed = options.allowedTenants
  if (allowed === '*') {
    allowedTenants = undefined
  } else if (allowed === undefined) {
    if (multiTenant) {
      fail(
        'allowedTenants',
        `is required when tenantId is "${tenantId}": list the tenant IDs whose users may call this API, or pass '*' to allow every tenant.`,
      )
    }
    allowedTenants = new Set([tenantId])
  } else {
    if (!Array.isArray(allowed)) fail('allowedTenants', "must be an array of tenant IDs (GUIDs) or '*'.")
    allowedTenants = new Set(multiTenant ? [] : [tenantId])
    for (const [i, t] of (allowed as readonly unknown[]).entries()) {
      if (typeof t !== 'string' || !guidPattern.test(t)) {
        fail(`allowedTenants[${String(i)}]`, "must be a tenant ID (GUID); use allowedTenants: '*' to allow any tenant.")
      }
      allowedTenants.add(t.toLowerCase())
    }
  }
  // A single-tenant API reads its own tenant's metadata; one that admits other tenants reads the
  // `organizations` metadata, whose issuer is a template filled with each token's `tid`.
  const metadataTenant = multiTenant
    ? tenantId
    : allowedTenants === undefined || allowedTenants.size > 1
      ? 'organizations'
      : tenantId

  const scopes = options.scopes === undefined ? [] : [...options.scopes]
  for (const [i, s] of scopes.entries()) nonEmptyString(s, `scopes[${String(i)}]`)

  let allowedClientApps: Set<string> | undefined
  if (options.allowedClientApps !== undefined) {
    if (!Array.isArray(options.allowedClientApps) || options.allowedClientApps.length === 0) {
      fail('allowedClientApps', 'must be a non-empty array of client IDs (omit it to allow any client).')
    }
    allowedClientApps = new Set(
      options.allowedClientApps.map((c, i) => nonEmptyString(c, `allowedClientApps[${String(i)}]`).toLowerCase()),
    )
  }

  const authorityHost = normalizeAuthorityHost(
    options.authority ?? readAuthorityHostEnv() ?? AzureAuthorityHosts.AzurePublicCloud,
    'createProtectedApi: "authority"',
  )

  const downstreamApis = new Map<string, ResolvedDownstreamApi>()
  if (options.downstreamApis !== undefined) {
    if (typeof options.downstreamApis !== 'object' || options.downstreamApis === null) {
      fail('downstreamApis', 'must be an object of named APIs: { graph: { baseUrl, scopes } }.')
    }
    for (const [name, api] of Object.entries(options.downstreamApis)) {
      const at = `downstreamApis.${name}`
      if (typeof api !== 'object' || api === null) fail(at, 'must be { baseUrl, scopes }.')
      const baseUrl = nonEmptyString(api.baseUrl, `${at}.baseUrl`)
      let url: URL
      try {
        url = new URL(baseUrl)
      } catch (error) {
        throw new TypeError(`createProtectedApi: "${at}.baseUrl" is not a valid URL.`, { cause: error })
      }
      if (url.protocol !== 'https:' && url.protocol !== 'http:') fail(`${at}.baseUrl`, 'must be an http(s) URL.')
      if (!Array.isArray(api.scopes) || api.scopes.length === 0) {
        fail(`${at}.scopes`, "must be a non-empty array of scopes of one resource, e.g. ['User.Read'].")
      }
      const apiScopes = api.scopes.map((s, i) => nonEmptyString(s, `${at}.scopes[${String(i)}]`))
      if (api.fetch !== undefined && typeof api.fetch !== 'function') fail(`${at}.fetch`, 'must be a function.')
      downstreamApis.set(name, {
        name,
        baseUrl: baseUrl.replace(/\/+$/, ''),
        scopes: apiScopes,
        enableCae: api.enableCae ?? true,
        fetch: api.fetch,
      })
    }
  }
  if (options.fetch !== undefined && typeof options.fetch !== 'function') fail('fetch', 'must be a function.')
  if (options.now !== undefined && typeof options.now !== 'function') fail('now', 'must be a function.')

  const maxVerifiedTokens = positive(options.maxVerifiedTokens, 'maxVerifiedTokens', 10_000, true)
  if (!Number.isInteger(maxVerifiedTokens)) fail('maxVerifiedTokens', 'must be an integer.')

  return {
    tenantId,
    clientId,
    appIdUris,
    audiences: new Set([clientId, ...appIdUris].map(normalizeAudience)),
    allowedTenants,
    metadataTenant,
    scopes,
    allowedClientApps,
    authorityHost,
    downstreamApis,
    fetch: options.fetch ?? ((input, init) => globalThis.fetch(input, init)),
    clockSkewSeconds: positive(options.clockSkewSeconds, 'clockSkewSeconds', 300, true),
    jwksRefreshIntervalMs: positive(options.jwksRefreshIntervalMs, 'jwksRefreshIntervalMs', 300_000, true),
    jwksMaxAgeMs: positive(options.jwksMaxAgeMs, 'jwksMaxAgeMs', 12 * 3_600_000),
    maxVerifiedTokens,
    now: options.now ?? Date.now,
  }
}

function readAuthorityHostEnv(): string | undefined {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env
  const value = env?.['AZURE_AUTHORITY_HOST']
  return value === undefined || value === '' ? undefined : value
}
