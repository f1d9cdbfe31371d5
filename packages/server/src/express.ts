/**
 * Express 5 adapter: `authenticate(api, ...requirements)` puts the validated caller on `req.caller` or answers
 * the refusal; `apiAuthErrors()` answers `ApiAuthError`s thrown later in handlers (step-up, consent, throttling).
 *
 * @module
 */
import type { ErrorRequestHandler, RequestHandler, Response } from 'express'
import { ApiAuthError } from './api-auth-error.ts'
import type { Caller } from './caller.ts'
import type { ProtectedApi } from './protected-api.ts'
import type { Requirement } from './requirements.ts'

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      /** The validated caller, set by `authenticate` from `@onbehalf/server/express`. */
      caller?: Caller
    }
  }
}

function send(res: Response, error: ApiAuthError): void {
  res.status(error.status).set(error.headers).set('Cache-Control', 'no-store').json(error.body)
}

/**
 * Middleware that authenticates the request (and checks `requirements`), then sets `req.caller`.
 *
 * @example
 * ```ts
 * import { authenticate, apiAuthErrors } from '@onbehalf/server/express'
 *
 * app.get('/me', authenticate(api, requireScopes('access_as_user')), async (req, res) => {
 *   const me = await req.caller!.fetch('graph', '/me')
 *   res.status(me.status).json(await me.json())
 * })
 * app.use(apiAuthErrors())
 * ```
 */
export function authenticate(api: ProtectedApi, ...requirements: Requirement[]): RequestHandler {
  return (req, res, next) => {
    api.authenticate(req, ...requirements).then(
      (caller) => {
        req.caller = caller
        next()
      },
      (error: unknown) => {
        if (error instanceof ApiAuthError) send(res, error)
        else next(error)
      },
    )
  }
}

/**
 * Error middleware that answers an `ApiAuthError` (from `caller.getToken` / `caller.fetch` in a handler) with
 * its status, `WWW-Authenticate` / `Retry-After` and JSON body; other errors go on.
 *
 * @example
 * ```ts
 * app.use(apiAuthErrors())
 * ```
 */
export function apiAuthErrors(): ErrorRequestHandler {
  return (error: unknown, _req, res, next) => {
    if (error instanceof ApiAuthError && !res.headersSent) send(res, error)
    else next(error)
  }
}
