/**
 * Number formatting shared by the Markdown report and the charts.
 *
 * @module
 */

/**
 * A duration given in microseconds, in the unit that reads best (µs, ms or s).
 *
 * @example
 * ```ts
 * formatMicros(2.345) // '2.35 µs'
 * formatMicros(21_700) // '21.7 ms'
 * ```
 */
export function formatMicros(us: number): string {
  if (!Number.isFinite(us)) return '–'
  if (us < 10) return `${us.toFixed(2)} µs`
  if (us < 1_000) return `${us.toFixed(1)} µs`
  if (us < 10_000) return `${(us / 1_000).toFixed(2)} ms`
  if (us < 1_000_000) return `${(us / 1_000).toFixed(1)} ms`
  return `${(us / 1_000_000).toFixed(2)} s`
}

/**
 * A duration in milliseconds.
 *
 * @example
 * ```ts
 * formatMillis(0.0123) // '12.3 µs'
 * ```
 */
export function formatMillis(ms: number): string {
  return formatMicros(ms * 1_000)
}

/**
 * An integer with thousands separators.
 *
 * @example
 * ```ts
 * formatCount(100000) // '100,000'
 * ```
 */
export function formatCount(n: number): string {
  return Math.round(n).toLocaleString('en-US')
}

/**
 * A byte count in B, KB or MB (1 KB = 1,024 B).
 *
 * @example
 * ```ts
 * formatBytes(2048) // '2.0 KB'
 * ```
 */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return '–'
  if (Math.abs(bytes) < 1_024) return `${Math.round(bytes)} B`
  if (Math.abs(bytes) < 1_024 * 1_024) return `${(bytes / 1_024).toFixed(1)} KB`
  return `${(bytes / 1_024 / 1_024).toFixed(1)} MB`
}

/**
 * A ratio as `N×`.
 *
 * @example
 * ```ts
 * formatRatio(6543.2) // '6,543×'
 * ```
 */
export function formatRatio(ratio: number): string {
  if (!Number.isFinite(ratio)) return '–'
  return ratio >= 100 ? `${formatCount(ratio)}×` : `${ratio.toFixed(1)}×`
}
