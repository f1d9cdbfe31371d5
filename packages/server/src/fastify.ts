/**
 * Fastify 5 adapter: the `protectedApi` plugin decorates `request.caller` and answers `ApiAuthError`s as HTTP;
 * `authenticate(api, ...requirements)` is the `onRequest` / `preHandler` hook of a protected route (or, given
 * as the plugin's `requirements`, of every route).
 *
 * @module
 */
import type { FastifyPluginCallback, FastifyReply, FastifyRequest, onRequestHookHandler } from 'fastify'
import { ApiAuthError } from './api-auth-error.ts'
import type { Caller } from './caller.ts'
import type { ProtectedApi } from './protected-api.ts'
import type { Requirement } from './requirements.ts'

declare module 'fastify' {
  interface FastifyRequest {
    /** The validated caller, set by `authenticate` from `@onbehalf/server/fastify` (`null` before). */
    caller: Caller | null
  }
}

/** Options of {@link protectedApi}. */
export interface ProtectedApiPluginOptions {
  readonly api: ProtectedApi
  /** Authenticate every route with these requirements; omit to choose per route with {@link authenticate}. */
  readonly requirements?: readonly Requirement[]
}

function send(reply: FastifyReply, error: ApiAuthError): FastifyReply {
  return reply.code(error.status).headers(error.headers).header('Cache-Control', 'no-store').send(error.body)
}

/**
 * A hook that authenticates the request and sets `request.caller`.
 *
 * @example
 * ```ts
 * app.get('/me', { onRequest: authenticate(api, requireScopes('access_as_user')) }, async (request) => {
 *   return (await request.caller!.fetch('graph', '/me')).json()
 * })
 * ```
 */
export function authenticate(api: ProtectedApi, ...requirements: Requirement[]): onRequestHookHandler {
  // Fastify awaits a hook that returns a promise; its hook type lists the callback form only.
  // eslint-disable-next-line @typescript-eslint/no-misused-promises
  return async function authenticateHook(request: FastifyRequest, reply: FastifyReply) {
    try {
      request.caller = await api.authenticate(request, ...requirements)
    } catch (error) {
      if (error instanceof ApiAuthError) return send(reply, error)
      throw error
    }
    return undefined
  }
}

const plugin: FastifyPluginCallback<ProtectedApiPluginOptions> = (fastify, options, done) => {
  fastify.decorateRequest('caller', null)
  if (options.requirements !== undefined) {
    fastify.addHook('onRequest', authenticate(options.api, ...options.requirements))
  }
  const previous = fastify.errorHandler
  fastify.setErrorHandler(function onError(error, request, reply) {
    if (error instanceof ApiAuthError) return send(reply, error)
    return previous.call(this, error, request, reply)
  })
  done()
}
// Not encapsulated (what `fastify-plugin` does): the decorator and error handler apply where it is registered.
;(plugin as unknown as Record<symbol, unknown>)[Symbol.for('skip-override')] = true

/**
 * The plugin: `request.caller`, `ApiAuthError` answers (status, `WWW-Authenticate`, `Retry-After`, JSON body),
 * and optionally authentication of every route.
 *
 * @example
 * ```ts
 * import { protectedApi, authenticate } from '@onbehalf/server/fastify'
 *
 * await app.register(protectedApi, { api })
 * app.get('/me', { onRequest: authenticate(api) }, (request) => request.caller!.claims)
 * ```
 */
export const protectedApi: FastifyPluginCallback<ProtectedApiPluginOptions> = plugin
