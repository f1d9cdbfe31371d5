import { errors } from '../entra-error.ts'
import { NO_STORE, json } from '../http/reply.ts'
import { WELL_KNOWN_TENANTS, refuseInTenant, underTenant } from './route.ts'
import type { Route } from './route.ts'

/**
 * The v2.0 token endpoint (POST), and Entra's answers to a GET on it and to the v1 endpoint.
 * @example
 * ```ts
 * const routes = [...discoveryRoutes, ...tokenRoutes]
 * ```
 */
export const tokenRoutes: readonly Route[] = [
  {
    name: 'token',
    endpoint: 'token',
    match: underTenant(['oauth2/v2.0/token'], 'POST'),
    handle: async (request, emulator) => {
      const segment = request.tenant ?? ''
      let resolved = emulator.directory.findTenant(segment)
      if (resolved === undefined && WELL_KNOWN_TENANTS.has(segment.toLowerCase()) && request.clientId !== undefined) {
        // On /common and /organizations the client's home tenant answers.
        const app = emulator.directory.findApp(request.clientId)
        if (app !== undefined) resolved = emulator.directory.findTenant(app.tenantId)
      }
      if (resolved === undefined) throw errors.tenantNotFound(segment)
      const { body } = await emulator.tokens.token({
        tenant: resolved,
        tenantSegment: segment,
        form: request.fields,
        authorization: request.headers['authorization'],
      })
      return json(200, body, NO_STORE)
    },
  },
  {
    name: 'token-get',
    endpoint: 'token',
    match: underTenant(['oauth2/v2.0/token']),
    handle: refuseInTenant({
      status: 400,
      error: 'invalid_request',
      codes: [900561],
      message: 'The endpoint only accepts POST requests. Received a GET request.',
    }),
  },
  {
    name: 'token-v1',
    endpoint: 'token',
    match: underTenant(['oauth2/token']),
    handle: refuseInTenant({
      status: 400,
      error: 'invalid_request',
      codes: [90056],
      message: 'This emulator serves only the v2.0 token endpoint (/oauth2/v2.0/token).',
    }),
  },
]
