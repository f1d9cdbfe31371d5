/**
 * The HTTP layer: core's one attempt (`fetchAttempt`: deadline, the caller's abort, a bounded body read) under
 * core's retry loop (`retryTransient`: full jitter on network errors, 5xx and 429, honouring `Retry-After`).
 *
 * @module
 */
import { fetchAttempt, retryTransient, type FetchedAnswer, type RetryPolicy } from '@onbehalf/core/engine'

/** Retry, deadline and size limits of one request. */
export interface HttpPolicy extends RetryPolicy {
  /** Bodies larger than this are refused. */
  readonly maxResponseBytes: number
}

/** One HTTP request. */
export interface HttpRequest {
  readonly method: 'GET' | 'POST'
  readonly url: string
  readonly headers: Readonly<Record<string, string>>
  readonly body?: string
  readonly signal?: AbortSignal | undefined
}

/** The `fetch` to use, looked up per call so a replaced global is honoured. */
export type FetchSource = () => typeof globalThis.fetch

/**
 * Sends a request with retries. Resolves with the last answer (which may be a 4xx, or a 5xx / 429 once the
 * retries or the deadline are used up: the caller maps it to `SERVER_ERROR` / `THROTTLED`); rejects with
 * `OboError` `ABORTED`, `TIMEOUT`, `NETWORK_ERROR` or `INVALID_RESPONSE` (oversized body).
 *
 * A `Retry-After` that would end past the deadline ends the request at once, so a 429 fails fast with its
 * `retryAfterMs` rather than holding the caller.
 *
 * @example
 * ```ts
 * const response = await send(() => fetch, policy, { method: 'GET', url, headers: {} })
 * ```
 */
export function send(fetchSource: FetchSource, policy: HttpPolicy, request: HttpRequest): Promise<FetchedAnswer> {
  return retryTransient({
    policy,
    signal: request.signal,
    attempt: (deadlineAt) =>
      fetchAttempt({
        ...request,
        fetch: fetchSource(),
        deadlineAt,
        timeoutMs: policy.deadlineMs,
        maxBytes: policy.maxResponseBytes,
        // Every request of this engine goes to the authority (token endpoint, metadata, instance discovery).
        target: 'authority',
      }),
  })
}
