/**
 * The protected API written with `@onbehalf/server`: one `createProtectedApi` per process, then per request
 * `api.authenticate(request)` and `caller.getToken(apiName)`, the framework-neutral core that every adapter
 * (Express, Fastify, Hono) calls.
 *
 * @module
 */
import { createMemoryTokenCache } from '@onbehalf/core'
import { createJoseEngine } from '@onbehalf/jose'
import { createMsalEngine } from '@onbehalf/msal'
import { createProtectedApi } from '@onbehalf/server'
import type { EmulatorAccess } from '../child-protocol.ts'
import type { ProtectedTier } from './protected-tier.ts'

/**
 * `@onbehalf/server` with the jose or the msal engine, over its own memory cache.
 *
 * @example
 * ```ts
 * const tier = serverTier('ours-jose', access)
 * ```
 */
export function serverTier(id: 'ours-jose' | 'ours-msal', access: EmulatorAccess): ProtectedTier {
  const api = createProtectedApi({
    tenantId: access.tenantId,
    clientId: access.clientId,
    clientSecret: access.clientSecret,
    authority: access.authorityHost,
    disableInstanceDiscovery: true,
    cache: createMemoryTokenCache(),
    engine: id === 'ours-jose' ? createJoseEngine() : createMsalEngine(),
    // CAE off, as the hand-written tier asks (it has no claims-challenge handling).
    downstreamApis: { downstream: { baseUrl: 'https://downstream.invalid', scopes: [access.scope], enableCae: false } },
  })
  return {
    id,
    pattern: '`createProtectedApi` once; per request `api.authenticate(request)` + `caller.getToken(name)`',
    validate: async (request) => {
      const caller = await api.authenticate(request)
      return {
        oid: String(caller.claims.oid),
        token: async () => (await caller.getToken('downstream')).token,
      }
    },
  }
}
