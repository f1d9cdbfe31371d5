/**
 * The `Retry-After` header, as Entra and gateways in front of it send it.
 *
 * @module
 */

/**
 * The longest `Retry-After` honoured: 1 hour, as MSAL caps it. A larger value (a 400-digit number, a date in
 * year 9999) would block the throttled user's key for the life of the process.
 */
export const maxRetryAfterMs = 3_600_000

/**
 * `Retry-After` in milliseconds from `nowMs`: integer seconds (what Entra sends) or an HTTP date, clamped to
 * `[0, maxRetryAfterMs]`; `undefined` when absent or unreadable (the caller's default applies).
 *
 * @example
 * ```ts
 * parseRetryAfterMs('2') // 2000
 * parseRetryAfterMs('99999999') // 3600000: capped at 1 hour
 * parseRetryAfterMs(response.headers.get('retry-after'), Date.now())
 * ```
 */
export function parseRetryAfterMs(value: string | null | undefined, nowMs: number = Date.now()): number | undefined {
  if (value === null || value === undefined) return undefined
  const text = value.trim()
  // Digits only: however many there are, the value is a finite or infinite count of seconds, never garbage.
  if (/^\d+$/.test(text)) return clampRetryAfterMs(Number(text) * 1000)
  const date = Date.parse(text)
  return Number.isNaN(date) ? undefined : clampRetryAfterMs(date - nowMs)
}

/**
 * A `retryAfterMs` from any source (a header, an engine, an error) made safe to wait on: negative → 0, larger
 * than {@link maxRetryAfterMs} (or `Infinity`) → the cap, `NaN` or not a number → `undefined` (use the default).
 *
 * @example
 * ```ts
 * const waitMs = clampRetryAfterMs(error.retryAfterMs) ?? defaultThrottleMs
 * ```
 */
export function clampRetryAfterMs(ms: number | undefined): number | undefined {
  if (typeof ms !== 'number' || Number.isNaN(ms)) return undefined
  return Math.min(Math.max(0, ms), maxRetryAfterMs)
}
