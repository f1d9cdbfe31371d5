/**
 * When a failed request is tried again: transient answers (429, 5xx) and dropped connections are retried a few
 * times with exponential backoff and full jitter, inside one deadline. A `Retry-After` the deadline cannot
 * honour ends the request with the server's answer at once, so the caller fails fast and the token provider
 * can scope the throttle to what was throttled.
 *
 * @module
 */
import { OboError } from '../errors.ts'
import { abortableDelay } from './caller-abort.ts'

/** Limits of one request's network work. */
export interface RetryPolicy {
  /** Attempts, the first included. */
  readonly maxAttempts: number
  /** The whole request's limit, in milliseconds, retries and waits included. */
  readonly deadlineMs: number
  /** The first backoff step, in milliseconds; doubled per attempt, with full jitter. */
  readonly baseDelayMs: number
  /** The cap of one backoff step, in milliseconds (a server's `Retry-After` is honoured as given). */
  readonly maxDelayMs: number
}

/**
 * Both engines' defaults: 3 attempts within 30 s, backoff from 250 ms capped at 4 s.
 *
 * @example
 * ```ts
 * const policy: RetryPolicy = { ...defaultRetryPolicy, deadlineMs: 10_000 }
 * ```
 */
export const defaultRetryPolicy: RetryPolicy = {
  maxAttempts: 3,
  deadlineMs: 30_000,
  baseDelayMs: 250,
  maxDelayMs: 4_000,
}

/**
 * Whether an HTTP status is worth another attempt (429 and 5xx).
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
 * The wait after attempt `attempt` (counted from 1): the server's `Retry-After` when given, else exponential
 * backoff with full jitter (spreads a burst of retrying clients).
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

/** An HTTP answer as far as retrying is concerned. */
export interface RetryableAnswer {
  readonly status: number
  /** From `Retry-After`, when present and valid. */
  readonly retryAfterMs?: number | undefined
}

/** Input of {@link retryTransient}. */
export interface RetryTransientOptions<T extends RetryableAnswer> {
  readonly policy: RetryPolicy
  /** The caller's abort: stops a backoff wait with `ABORTED` (the attempt itself must honour it too). */
  readonly signal?: AbortSignal | undefined
  /**
   * One attempt. `deadlineAt` (epoch ms) is the end of the whole request. Rejects with an `OboError`; only
   * `NETWORK_ERROR` is retried (an abort is final and a timeout used the deadline).
   */
  readonly attempt: (deadlineAt: number) => Promise<T>
}

/**
 * Runs `attempt` until it gives a non-retryable answer, or the attempts or the deadline are used up. Resolves
 * with the last answer (which may be a 429 / 5xx: the caller maps it); rejects with the last `NETWORK_ERROR`,
 * any other error of an attempt at once, or `ABORTED` when `signal` fires during a wait.
 *
 * @example
 * ```ts
 * const answer = await retryTransient({ policy, signal, attempt: (deadlineAt) => fetchOnce(url, deadlineAt) })
 * ```
 */
export async function retryTransient<T extends RetryableAnswer>(options: RetryTransientOptions<T>): Promise<T> {
  const { policy, signal } = options
  const deadlineAt = Date.now() + policy.deadlineMs
  for (let attempt = 1; ; attempt += 1) {
    let outcome: T | OboError
    try {
      outcome = await options.attempt(deadlineAt)
    } catch (error) {
      if (!(error instanceof OboError) || error.code !== 'NETWORK_ERROR') throw error
      outcome = error
    }
    if (!(outcome instanceof OboError) && !isRetryableStatus(outcome.status)) return outcome
    const waitMs = backoffMs(policy, attempt, outcome instanceof OboError ? undefined : outcome.retryAfterMs)
    if (attempt >= policy.maxAttempts || Date.now() + waitMs >= deadlineAt) {
      if (outcome instanceof OboError) throw outcome
      return outcome
    }
    await abortableDelay(waitMs, signal)
  }
}
