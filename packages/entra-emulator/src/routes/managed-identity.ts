import { json, NO_STORE } from '../http/reply.ts'
import type { Reply } from '../http/reply.ts'
import { exactPath } from './route.ts'
import type { IdentityServices, Route } from './route.ts'

function refusal(status: number, error: string, description: string): Reply {
  return json(status, { error, error_description: description }, NO_STORE)
}

/** A managed identity token answer, in the shape of IMDS or of the App Service endpoint (2019-08-01). */
function managedIdentityToken(
  style: 'imds' | 'app-service',
  query: URLSearchParams,
  identity: IdentityServices,
): Reply {
  const resource = query.get('resource')
  if (resource === null || resource === '') {
    return refusal(400, 'invalid_request', "Required query variable 'resource' is missing")
  }
  const found = identity.federation.findManagedIdentity(query.get('client_id') ?? query.get('clientid') ?? undefined)
  if (found === undefined) return refusal(400, 'invalid_request', 'Identity not found')
  const lifetimeSeconds = identity.managedIdentityTokenSeconds()
  const token = identity.federation.mintManagedIdentityToken(found, resource, lifetimeSeconds)
  const now = identity.nowSeconds()
  const expiresOn = String(now + lifetimeSeconds)
  return style === 'imds'
    ? json(
        200,
        {
          access_token: token,
          client_id: found.clientId,
          expires_in: String(lifetimeSeconds),
          expires_on: expiresOn,
          ext_expires_in: String(lifetimeSeconds),
          not_before: String(now),
          resource,
          token_type: 'Bearer',
        },
        NO_STORE,
      )
    : json(
        200,
        { access_token: token, expires_on: expiresOn, resource, token_type: 'Bearer', client_id: found.clientId },
        NO_STORE,
      )
}

/**
 * Managed identity endpoints on loopback: IMDS (`GET /metadata/identity/oauth2/token`, header `Metadata: true`)
 * and the App Service / Functions / Container Apps endpoint (`GET /msi/token`, header `X-IDENTITY-HEADER`). They
 * issue tokens signed by the emulator: `sub` and `oid` = the identity's principal ID, `aud` = the `resource`.
 * @example
 * ```ts
 * const routes = [...managedIdentityRoutes, ...tokenRoutes]
 * ```
 */
export const managedIdentityRoutes: readonly Route[] = [
  {
    name: 'imds-token',
    endpoint: 'managed-identity',
    match: exactPath('metadata/identity/oauth2/token'),
    handle: (request, emulator) => {
      if (request.method !== 'GET') return refusal(405, 'invalid_request', 'Use GET.')
      if (request.headers['metadata']?.toLowerCase() !== 'true') {
        return refusal(400, 'invalid_request', 'Required metadata header not specified')
      }
      if (request.url.searchParams.get('api-version') === null) {
        return refusal(400, 'invalid_request', "Required query variable 'api-version' is missing")
      }
      return managedIdentityToken('imds', request.url.searchParams, emulator.identity)
    },
  },
  {
    name: 'app-service-identity-token',
    endpoint: 'managed-identity',
    match: exactPath('msi/token'),
    handle: (request, emulator) => {
      if (request.method !== 'GET') return refusal(405, 'invalid_request', 'Use GET.')
      if (request.headers['x-identity-header'] !== emulator.identity.identityHeader) {
        return refusal(401, 'unauthorized_client', 'The X-IDENTITY-HEADER header is missing or wrong.')
      }
      return managedIdentityToken('app-service', request.url.searchParams, emulator.identity)
    },
  },
]
