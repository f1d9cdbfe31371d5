import type { EmulatorDirectory, EmulatorTenant } from '../directory.ts'
import { EntraError, errors } from '../entra-error.ts'
import type { EntraErrorSpec } from '../entra-error.ts'
import type { EndpointKind, FaultInjector } from '../faults.ts'
import type { Reply } from '../http/reply.ts'
import type { Federation } from '../federation.ts'
import type { TokenIssuer } from '../token-issuer.ts'
import type { TokenService } from '../token-service.ts'

/**
 * What route handlers can use: the emulator's directory, keys, token service and faults.
 * @example
 * ```ts
 * const handle: RouteHandler = (request, emulator) => json(200, emulator.issuer.jwks('{tenantid}'))
 * ```
 */
export interface EmulatorServices {
  readonly authorityHost: string
  /** `host:port` names this emulator answers to in instance discovery. */
  readonly hostAliases: readonly string[]
  readonly directory: EmulatorDirectory
  readonly issuer: TokenIssuer
  readonly tokens: TokenService
  readonly faults: FaultInjector
  /** Managed identities, the Kubernetes issuer and federated credentials (routes/managed-identity.ts, kubernetes.ts). */
  readonly identity: IdentityServices
}

/**
 * What the managed identity and Kubernetes issuer routes need.
 * @example
 * ```ts
 * const identity: IdentityServices = { federation, identityHeader, managedIdentityTokenSeconds: () => 86400, nowSeconds }
 * ```
 */
export interface IdentityServices {
  readonly federation: Federation
  /** The secret the App Service style endpoint expects in `X-IDENTITY-HEADER`. */
  readonly identityHeader: string
  readonly managedIdentityTokenSeconds: () => number
  readonly nowSeconds: () => number
}

/**
 * A request as routes see it: parsed once by the router.
 * @example
 * ```ts
 * const handle: RouteHandler = (request) => json(200, { tenant: request.tenant, fields: [...request.fields.keys()] })
 * ```
 */
export interface RouteRequest {
  /** Upper-case HTTP method. */
  readonly method: string
  readonly url: URL
  /** The tenant segment the route matched, if the route is under a tenant. */
  readonly tenant: string | undefined
  /** Request headers, lower-case names. */
  readonly headers: Readonly<Record<string, string>>
  /** Raw body text. */
  readonly body: string
  /** Form fields (or top-level JSON fields) of the body. */
  readonly fields: ReadonlyMap<string, string>
  /** `client_id`, or the HTTP Basic user name. */
  readonly clientId: string | undefined
}

/**
 * Answers a matched request. Throw an `EntraError` for an Entra error answer; any other exception becomes a
 * generic Entra 500 (so internals never reach the client).
 * @example
 * ```ts
 * const handle: RouteHandler = () => json(200, { ok: true })
 * ```
 */
export type RouteHandler = (request: RouteRequest, emulator: EmulatorServices) => Reply | Promise<Reply>

/**
 * A request path, split: decoded segments, the first one, and the rest joined and lower-cased.
 * @example
 * ```ts
 * // /Contoso.onmicrosoft.com/OAuth2/v2.0/token
 * const path: RoutePath = { segments: [...], first: 'Contoso.onmicrosoft.com', tail: 'oauth2/v2.0/token' }
 * ```
 */
export interface RoutePath {
  readonly segments: readonly string[]
  readonly first: string | undefined
  readonly tail: string
}

/**
 * Decides whether a route serves a path: `undefined` if not, else the tenant segment it found (if any).
 * @example
 * ```ts
 * const matcher: RouteMatcher = (path) => (path.first === 'health' ? { tenant: undefined } : undefined)
 * ```
 */
export type RouteMatcher = (path: RoutePath, method: string) => { readonly tenant: string | undefined } | undefined

/**
 * One endpoint of the emulator. Routes are tried in the order of `routes/all-routes.ts`; the first match answers.
 * @example
 * ```ts
 * export const healthRoutes: readonly Route[] = [
 *   { name: 'health', endpoint: 'other', match: fixedPath('health'), handle: () => json(200, { ok: true }) },
 * ]
 * ```
 */
export interface Route {
  /** Short name, unique among routes. */
  readonly name: string
  /** What fault matches (`match.endpoint`) and `emu.requests[i].endpoint` call this endpoint. */
  readonly endpoint: EndpointKind
  readonly match: RouteMatcher
  /** Injected faults never fire here (the fault control route, so an `'any'` fault can always be removed). */
  readonly faultExempt?: boolean
  /**
   * Refuse requests a browser sends from another origin (403), and send no CORS headers: for the test endpoints,
   * which mint tokens and inject faults, so that no web page the developer opens can call them.
   */
  readonly sameOriginOnly?: boolean
  readonly handle: RouteHandler
}

/**
 * Matches `/{tenant}/<tail>` for any of the given tails (compared lower-case), optionally for one method only.
 * @example
 * ```ts
 * underTenant(['oauth2/v2.0/token'], 'POST')
 * ```
 */
export function underTenant(tails: readonly string[], method?: string): RouteMatcher {
  return (path, requestMethod) =>
    path.first !== undefined && tails.includes(path.tail) && (method === undefined || method === requestMethod)
      ? { tenant: path.first }
      : undefined
}

/**
 * Matches one fixed path (segments compared lower-case; a trailing slash is ignored), outside any tenant.
 * @example
 * ```ts
 * exactPath('metadata/identity/oauth2/token')
 * ```
 */
export function exactPath(path: string): RouteMatcher {
  const wanted = path.split('/').filter((s) => s !== '')
  return (p) =>
    p.segments.length === wanted.length && p.segments.every((s, i) => s.toLowerCase() === wanted[i])
      ? { tenant: undefined }
      : undefined
}

/**
 * Tenant names Entra serves without a directory of their own.
 * @example
 * ```ts
 * WELL_KNOWN_TENANTS.has('common') // true
 * ```
 */
export const WELL_KNOWN_TENANTS: ReadonlySet<string> = new Set(['common', 'organizations', 'consumers'])

/**
 * The tenant a URL segment (GUID or domain) names.
 * @throws EntraError AADSTS90002 when there is no such tenant.
 * @example
 * ```ts
 * const tenant = tenantOf(emulator.directory, request.tenant ?? '')
 * ```
 */
export function tenantOf(directory: EmulatorDirectory, segment: string): EmulatorTenant {
  const tenant = directory.findTenant(segment)
  if (tenant === undefined) throw errors.tenantNotFound(segment)
  return tenant
}

/**
 * A handler that answers with an Entra error, once the tenant is known to exist (an unknown tenant is AADSTS90002
 * first, as on Entra).
 * @example
 * ```ts
 * handle: refuseInTenant({ status: 400, error: 'invalid_request', codes: [90056], message: 'Not emulated.' })
 * ```
 */
export function refuseInTenant(spec: EntraErrorSpec): RouteHandler {
  return (request, emulator) => {
    tenantOf(emulator.directory, request.tenant ?? '')
    throw new EntraError(spec)
  }
}
