/**
 * The `Retry-After` header, as Entra and gateways in front of it send it.
 *
 * @module
 */

/**
 * `Retry-After` in milliseconds from `nowMs`: integer seconds (what Entra sends) or an HTTP date (never
 * negative); `undefined` when absent or unreadable.
 *
 * @example
 * ```ts
 * parseRetryAfterMs('2') // 2000
 * parseRetryAfterMs(response.headers.get('retry-after'), Date.now())
 * ```
 */
export function parseRetryAfterMs(value: string | null | undefined, nowMs: number = Date.now()): number | undefined {
  if (value === null || value === undefined) return undefined
  const text = value.trim()
  if (/^\d+$/.test(text)) return Number(text) * 1000
  const date = Date.parse(text)
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowMs)
}
