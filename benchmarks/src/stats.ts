/**
 * Summary statistics over latency samples.
 *
 * @module
 */

/** Median, p99, mean, min and max of a sample, in the sample's unit. */
export interface Summary {
  readonly count: number
  readonly median: number
  readonly p99: number
  readonly mean: number
  readonly min: number
  readonly max: number
}

/**
 * The value at quantile `q` (0..1) of an ascending array, by the nearest-rank method.
 *
 * @example
 * ```ts
 * quantile([1, 2, 3, 4], 0.5) // 2
 * ```
 */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(q * sorted.length)))
  return sorted[rank - 1] ?? Number.NaN
}

/**
 * Summarises samples (any order).
 *
 * @example
 * ```ts
 * summarize([3, 1, 2]).median // 2
 * ```
 */
export function summarize(samples: readonly number[]): Summary {
  const sorted = Float64Array.from(samples).sort()
  const values = Array.from(sorted)
  let total = 0
  for (const v of values) total += v
  return {
    count: values.length,
    median: quantile(values, 0.5),
    p99: quantile(values, 0.99),
    mean: values.length === 0 ? Number.NaN : total / values.length,
    min: values[0] ?? Number.NaN,
    max: values[values.length - 1] ?? Number.NaN,
  }
}
