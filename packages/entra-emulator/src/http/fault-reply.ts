import { errors } from '../entra-error.ts'
import type { FaultSpec } from '../faults.ts'
import { entraErrorReply } from './reply.ts'
import type { ErrorIds, Reply } from './reply.ts'

/**
 * The answer an injected fault gives in place of the emulator's, or `'drop'` to close the connection unanswered.
 * @example
 * ```ts
 * const reply = faultReply({ kind: 'throttle', retryAfterSeconds: 5 }, ids, authorityHost)
 * ```
 */
export function faultReply(spec: FaultSpec, ids: ErrorIds, authorityHost: string): Reply | 'drop' {
  const errorReply = (errorSpec: Parameters<typeof entraErrorReply>[0]): Reply =>
    entraErrorReply(errorSpec, ids, authorityHost)
  switch (spec.kind) {
    case 'latency':
      return errorReply(errors.serverError().spec)
    case 'drop':
      return 'drop'
    case 'throttle': {
      const retryAfter = { 'Retry-After': String(spec.retryAfterSeconds ?? 60) }
      if (spec.body === 'text') {
        return { status: 429, headers: { 'Content-Type': 'text/plain', ...retryAfter }, body: 'Too Many Requests' }
      }
      return errorReply({
        status: 429,
        error: 'temporarily_unavailable',
        codes: [90055],
        message:
          'TenantThrottlingError: There are too many incoming requests. This exception is thrown for blocked tenants.',
        headers: retryAfter,
      })
    }
    case 'server-error': {
      const status = spec.status ?? 500
      const base = status === 503 ? errors.temporarilyUnavailable().spec : errors.serverError().spec
      return errorReply({
        ...base,
        status,
        ...(spec.retryAfterSeconds !== undefined ? { headers: { 'Retry-After': String(spec.retryAfterSeconds) } } : {}),
      })
    }
    case 'malformed':
      return {
        status: spec.status ?? 200,
        headers: { 'Content-Type': spec.contentType ?? 'text/html; charset=utf-8' },
        body:
          spec.body ??
          '<html><head><title>Service Unavailable</title></head><body>The service is temporarily unavailable.</body></html>',
      }
    case 'error':
      return errorReply({
        status: spec.status ?? 400,
        error: spec.error,
        codes: [spec.errorCode],
        message: spec.message ?? 'Injected error.',
        ...(spec.suberror !== undefined ? { suberror: spec.suberror } : {}),
        ...(spec.claims !== undefined ? { claims: spec.claims } : {}),
      })
  }
}
