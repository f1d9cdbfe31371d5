import { entraErrorBody } from '../entra-error.ts'
import type { EntraErrorSpec } from '../entra-error.ts'

/**
 * An answer to send: status, headers and body text.
 * @example
 * ```ts
 * const reply: Reply = { status: 204, headers: {}, body: '' }
 * ```
 */
export interface Reply {
  status: number
  headers: Record<string, string>
  body: string
}

/** Headers Entra sends on token and error answers. */
export const NO_STORE: Readonly<Record<string, string>> = { 'Cache-Control': 'no-store, no-cache', Pragma: 'no-cache' }

/** Headers Entra sends on discovery documents and keys (cacheable, readable from any origin). */
export const DISCOVERY_CACHE: Readonly<Record<string, string>> = {
  'Cache-Control': 'max-age=86400, private',
  'Access-Control-Allow-Origin': '*',
}

/** CORS preflight answer of the Entra endpoints (not the test endpoints, which are same-origin only). */
export const CORS: Readonly<Record<string, string>> = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Allow-Methods': 'GET, POST, DELETE, OPTIONS',
  'Access-Control-Allow-Headers': 'Content-Type, Authorization, client-request-id',
}

/**
 * A JSON answer.
 * @example
 * ```ts
 * json(200, { keys: [] }, DISCOVERY_CACHE)
 * ```
 */
export function json(status: number, value: unknown, headers: Readonly<Record<string, string>> = {}): Reply {
  return {
    status,
    headers: { 'Content-Type': 'application/json; charset=utf-8', ...headers },
    body: JSON.stringify(value),
  }
}

/**
 * Identifiers Entra puts in every error body.
 * @example
 * ```ts
 * const ids: ErrorIds = { traceId: newTraceId(), correlationId: 'from-client-request-id' }
 * ```
 */
export interface ErrorIds {
  readonly traceId: string
  readonly correlationId: string
}

/**
 * An Entra error answer (`error`, `error_codes`, `trace_id`, ...), not cacheable.
 * @example
 * ```ts
 * entraErrorReply(errors.serverError().spec, ids, 'https://127.0.0.1:8443')
 * ```
 */
export function entraErrorReply(spec: EntraErrorSpec, ids: ErrorIds, authorityHost: string): Reply {
  return json(
    spec.status,
    entraErrorBody(spec, {
      traceId: ids.traceId,
      correlationId: ids.correlationId,
      now: new Date(),
      errorUriBase: authorityHost,
    }),
    { ...NO_STORE, ...(spec.headers ?? {}) },
  )
}
