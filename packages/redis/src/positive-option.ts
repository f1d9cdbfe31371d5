/**
 * Validation of numeric options.
 *
 * @module
 */

/**
 * A validated positive number option, or its default.
 *
 * @example
 * ```ts
 * const timeoutMs = positive(options.timeoutMs, 100, 'timeoutMs')
 * ```
 */
export function positive(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new TypeError(`${name} must be a positive number.`)
  }
  return value
}
