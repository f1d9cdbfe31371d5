import type { Federation } from './federation.ts'

/**
 * An HTTP answer of the identity routes.
 * @example
 * ```ts
 * const reply: IdentityReply = { status: 200, headers: {}, body: '{}' }
 * ```
 */
export interface IdentityReply {
  status: number
  headers: Record<string, string>
  body: string
}

/**
 * What the managed identity and Kubernetes routes need.
 * @example
 * ```ts
 * const routes = createIdentityRoutes({ federation, identityHeader, managedIdentityTokenSeconds: () => 86400, ... })
 * ```
 */
export interface IdentityRoutesContext {
  readonly federation: Federation
  /** The secret the App Service style endpoint expects in `X-IDENTITY-HEADER`. */
  readonly identityHeader: string
  readonly managedIdentityTokenSeconds: () => number
  readonly nowSeconds: () => number
  /** The JWKS of the emulator's signing key. */
  readonly jwks: () => { keys: readonly object[] }
}

/** The routes this module serves, by path. */
export type IdentityRoute = 'imds' | 'app-service' | 'kubernetes-oidc' | 'kubernetes-jwks'

/**
 * The route of a path, or `undefined` when it is not an identity route.
 * @example
 * ```ts
 * identityRoute('/metadata/identity/oauth2/token') // 'imds'
 * ```
 */
export function identityRoute(path: string): IdentityRoute | undefined {
  switch (path.replace(/\/+$/, '').toLowerCase()) {
    case '/metadata/identity/oauth2/token':
      return 'imds'
    case '/msi/token':
      return 'app-service'
    case '/kubernetes/.well-known/openid-configuration':
      return 'kubernetes-oidc'
    case '/kubernetes/openid/v1/jwks':
      return 'kubernetes-jwks'
    default:
      return undefined
  }
}

const jsonHeaders = { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' }

function reply(status: number, value: unknown): IdentityReply {
  return { status, headers: { ...jsonHeaders }, body: JSON.stringify(value) }
}

function refusal(status: number, error: string, description: string): IdentityReply {
  return reply(status, { error, error_description: description })
}

/**
 * Answers the identity routes: IMDS (`GET /metadata/identity/oauth2/token`, header `Metadata: true`), the App
 * Service / Functions / Container Apps endpoint (`GET /msi/token`, header `X-IDENTITY-HEADER`), and the
 * emulated cluster's OIDC discovery and JWKS.
 *
 * @example
 * ```ts
 * const answer = createIdentityRoutes(context)('imds', 'GET', url.searchParams, headers)
 * ```
 */
export function createIdentityRoutes(
  ctx: IdentityRoutesContext,
): (
  route: IdentityRoute,
  method: string,
  query: URLSearchParams,
  headers: Readonly<Record<string, string>>,
) => IdentityReply {
  const managedIdentityToken = (style: 'imds' | 'app-service', query: URLSearchParams): IdentityReply => {
    const resource = query.get('resource')
    if (resource === null || resource === '') {
      return refusal(400, 'invalid_request', "Required query variable 'resource' is missing")
    }
    const clientId = query.get('client_id') ?? query.get('clientid') ?? undefined
    const identity = ctx.federation.findManagedIdentity(clientId)
    if (identity === undefined) {
      return refusal(400, 'invalid_request', 'Identity not found')
    }
    const lifetimeSeconds = ctx.managedIdentityTokenSeconds()
    const token = ctx.federation.mintManagedIdentityToken(identity, resource, lifetimeSeconds)
    const now = ctx.nowSeconds()
    const expiresOn = String(now + lifetimeSeconds)
    return style === 'imds'
      ? reply(200, {
          access_token: token,
          client_id: identity.clientId,
          expires_in: String(lifetimeSeconds),
          expires_on: expiresOn,
          ext_expires_in: String(lifetimeSeconds),
          not_before: String(now),
          resource,
          token_type: 'Bearer',
        })
      : reply(200, {
          access_token: token,
          expires_on: expiresOn,
          resource,
          token_type: 'Bearer',
          client_id: identity.clientId,
        })
  }

  return (route, method, query, headers) => {
    if (method !== 'GET') return refusal(405, 'invalid_request', 'Use GET.')
    switch (route) {
      case 'imds':
        if (headers['metadata']?.toLowerCase() !== 'true') {
          return refusal(400, 'invalid_request', 'Required metadata header not specified')
        }
        if (query.get('api-version') === null) {
          return refusal(400, 'invalid_request', "Required query variable 'api-version' is missing")
        }
        return managedIdentityToken('imds', query)
      case 'app-service':
        if (headers['x-identity-header'] !== ctx.identityHeader) {
          return refusal(401, 'unauthorized_client', 'The X-IDENTITY-HEADER header is missing or wrong.')
        }
        return managedIdentityToken('app-service', query)
      case 'kubernetes-oidc':
        return reply(200, {
          issuer: ctx.federation.kubernetesIssuer,
          jwks_uri: `${ctx.federation.kubernetesIssuer}/openid/v1/jwks`,
          response_types_supported: ['id_token'],
          subject_types_supported: ['public'],
          id_token_signing_alg_values_supported: ['RS256'],
        })
      case 'kubernetes-jwks':
        return reply(200, { keys: ctx.jwks().keys })
    }
  }
}
