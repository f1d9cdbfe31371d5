/**
 * When a failed token request is tried again. Transient answers (429, 5xx, a dropped connection, a timeout)
 * are retried a few times with jittered backoff inside one deadline; a `Retry-After` the deadline cannot
 * honour ends the call with the server's answer, so the token provider can scope the throttle to this key.
 *
 * @module
 */

/** Limits of one engine call's network work. */
export interface RetryPolicy {
  /** Attempts of one token request, the first included. */
  readonly maxAttempts: number
  /** The whole request's limit, in milliseconds, retries and waits included. */
  readonly deadlineMs: number
  /** The first backoff step, in milliseconds; doubled per attempt, with full jitter. */
  readonly baseDelayMs: number
  /** The cap of one backoff step, in milliseconds (a server's `Retry-After` is honoured as given). */
  readonly maxDelayMs: number
}

/** The policy the engine uses: the jose engine's defaults (3 attempts within 30 s, 250 ms base, 4 s cap). */
export const defaultRetryPolicy: RetryPolicy = {
  maxAttempts: 3,
  deadlineMs: 30_000,
  baseDelayMs: 250,
  maxDelayMs: 4_000,
}

/**
 * Whether an HTTP status is worth another attempt.
 *
 * @example
 * ```ts
 * isRetryableStatus(503) // true
 * ```
 */
export function isRetryableStatus(status: number): boolean {
  return status === 429 || (status >= 500 && status <= 599)
}

/**
 * Parses `Retry-After` (delta seconds or an HTTP date) to milliseconds from `nowMs`.
 *
 * @example
 * ```ts
 * parseRetryAfterMs('5', Date.now()) // 5000
 * ```
 */
export function parseRetryAfterMs(value: string | undefined, nowMs: number): number | undefined {
  if (value === undefined) return undefined
  const text = value.trim()
  if (/^\d+$/.test(text)) return Number(text) * 1000
  const date = Date.parse(text)
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowMs)
}

/**
 * The wait before attempt `attempt + 1` (attempt counts from 1): the server's `Retry-After` when given,
 * else exponential backoff with full jitter.
 *
 * @example
 * ```ts
 * backoffMs(defaultRetryPolicy, 1, undefined) // between 0 and 250
 * ```
 */
export function backoffMs(policy: RetryPolicy, attempt: number, retryAfterMs: number | undefined): number {
  if (retryAfterMs !== undefined) return retryAfterMs
  return Math.round(Math.random() * Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1)))
}
