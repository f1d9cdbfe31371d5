import { errors } from '../entra-error.ts'
import { DISCOVERY_CACHE, json } from '../http/reply.ts'
import type { Reply } from '../http/reply.ts'
import { WELL_KNOWN_TENANTS, tenantOf, underTenant } from './route.ts'
import type { EmulatorServices, Route } from './route.ts'

// What MSAL and @azure/identity read before the first token request: Entra's instance discovery, a tenant's
// OpenID configuration and its signing keys.

function instanceDiscovery(query: URLSearchParams, emulator: EmulatorServices): Reply {
  const endpoint = query.get('authorization_endpoint')
  if (endpoint === null) throw errors.missingParameter('authorization_endpoint')
  let url: URL
  try {
    url = new URL(endpoint)
  } catch {
    throw errors.unknownInstance()
  }
  if (!emulator.hostAliases.includes(url.host.toLowerCase())) throw errors.unknownInstance()
  const tenant = url.pathname.split('/').filter((s) => s !== '')[0] ?? 'common'
  const preferred = emulator.hostAliases[0] ?? url.host
  return json(
    200,
    {
      tenant_discovery_endpoint: `${emulator.authorityHost}/${tenant}/v2.0/.well-known/openid-configuration`,
      'api-version': '1.1',
      metadata: [{ preferred_network: preferred, preferred_cache: preferred, aliases: [...emulator.hostAliases] }],
    },
    DISCOVERY_CACHE,
  )
}

function openIdConfiguration(segment: string, emulator: EmulatorServices): Reply {
  const wellKnown = WELL_KNOWN_TENANTS.has(segment.toLowerCase())
  // Entra answers a domain-named tenant with GUID-based endpoints.
  const tenantPath = wellKnown ? segment.toLowerCase() : tenantOf(emulator.directory, segment).id
  const issuerTenant = wellKnown ? '{tenantid}' : tenantPath
  const base = `${emulator.authorityHost}/${tenantPath}`
  return json(
    200,
    {
      token_endpoint: `${base}/oauth2/v2.0/token`,
      token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
      jwks_uri: `${base}/discovery/v2.0/keys`,
      response_modes_supported: ['query', 'fragment', 'form_post'],
      subject_types_supported: ['pairwise'],
      id_token_signing_alg_values_supported: ['RS256'],
      response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
      scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
      issuer: `${emulator.authorityHost}/${issuerTenant}/v2.0`,
      request_uri_parameter_supported: false,
      userinfo_endpoint: 'https://graph.microsoft.com/oidc/userinfo',
      authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
      device_authorization_endpoint: `${base}/oauth2/v2.0/devicecode`,
      http_logout_supported: true,
      frontchannel_logout_supported: true,
      end_session_endpoint: `${base}/oauth2/v2.0/logout`,
      claims_supported: [
        'sub',
        'iss',
        'cloud_instance_name',
        'cloud_instance_host_name',
        'cloud_graph_host_name',
        'msgraph_host',
        'aud',
        'exp',
        'iat',
        'auth_time',
        'acr',
        'nonce',
        'preferred_username',
        'name',
        'tid',
        'ver',
        'at_hash',
        'c_hash',
        'email',
      ],
      kerberos_endpoint: `${base}/kerberos`,
      tenant_region_scope: wellKnown ? null : 'NA',
      cloud_instance_name: 'microsoftonline.com',
      cloud_graph_host_name: 'graph.windows.net',
      msgraph_host: 'graph.microsoft.com',
      rbac_url: 'https://pas.windows.net',
    },
    DISCOVERY_CACHE,
  )
}

function jwks(segment: string, emulator: EmulatorServices): Reply {
  const issuerTenant = WELL_KNOWN_TENANTS.has(segment.toLowerCase())
    ? '{tenantid}'
    : tenantOf(emulator.directory, segment).id
  return json(200, emulator.issuer.jwks(issuerTenant), DISCOVERY_CACHE)
}

/**
 * Instance discovery (`/common/discovery/instance`), OpenID configuration and JWKS.
 * @example
 * ```ts
 * const routes = [...discoveryRoutes, ...tokenRoutes]
 * ```
 */
export const discoveryRoutes: readonly Route[] = [
  {
    name: 'instance',
    endpoint: 'instance-discovery',
    match: (path) =>
      path.first?.toLowerCase() === 'common' && path.tail === 'discovery/instance' ? { tenant: path.first } : undefined,
    handle: (request, emulator) => instanceDiscovery(request.url.searchParams, emulator),
  },
  {
    name: 'oidc',
    endpoint: 'openid-configuration',
    match: underTenant(['v2.0/.well-known/openid-configuration']),
    handle: (request, emulator) => openIdConfiguration(request.tenant ?? '', emulator),
  },
  {
    name: 'jwks',
    endpoint: 'jwks',
    match: underTenant(['discovery/v2.0/keys', 'discovery/keys']),
    handle: (request, emulator) => jwks(request.tenant ?? 'common', emulator),
  },
]
