/**
 * Hono 4 adapter: `authenticate(api, ...requirements)` sets `c.get('caller')` or answers the refusal;
 * `apiAuthErrorResponse` answers `ApiAuthError`s from `app.onError`. Web-standard only (no Node API), so it runs
 * wherever Hono does.
 *
 * @module
 */
import type { MiddlewareHandler } from 'hono'
import { ApiAuthError } from './api-auth-error.ts'
import type { Caller } from './caller.ts'
import type { ProtectedApi } from './protected-api.ts'
import type { Requirement } from './requirements.ts'

/** The variables the middleware sets: `c.get('caller')`. */
export interface CallerVariables {
  caller: Caller
}

/**
 * Middleware that authenticates the request (and checks `requirements`), then sets `caller`.
 *
 * @example
 * ```ts
 * import { authenticate, apiAuthErrorResponse } from '@onbehalf/server/hono'
 *
 * const app = new Hono<{ Variables: CallerVariables }>()
 * app.get('/me', authenticate(api, requireScopes('access_as_user')), async (c) => c.json(c.get('caller').claims))
 * app.onError((error, c) => apiAuthErrorResponse(error) ?? c.text('Internal Server Error', 500))
 * ```
 */
export function authenticate(
  api: ProtectedApi,
  ...requirements: Requirement[]
): MiddlewareHandler<{ Variables: CallerVariables }> {
  return async (c, next) => {
    try {
      c.set('caller', await api.authenticate(c.req.raw, ...requirements))
    } catch (error) {
      if (error instanceof ApiAuthError) return error.toResponse()
      throw error
    }
    await next()
    return undefined
  }
}

/**
 * The answer for an `ApiAuthError` (status, `WWW-Authenticate`, `Retry-After`, JSON body); `undefined` for any
 * other error.
 *
 * @example
 * ```ts
 * app.onError((error, c) => apiAuthErrorResponse(error) ?? c.text('Internal Server Error', 500))
 * ```
 */
export function apiAuthErrorResponse(error: unknown): Response | undefined {
  return error instanceof ApiAuthError ? error.toResponse() : undefined
}
