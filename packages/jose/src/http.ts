/**
 * The HTTP layer: one `fetch` call per attempt under a deadline, the caller's abort signal, a bounded body
 * read, and retries with full jitter on network errors, 5xx and 429 (honouring `Retry-After`).
 *
 * @module
 */
import { OboError, abortedError, parseRetryAfterMs, readBoundedBody, retryTransient, type RetryPolicy } from '@onbehalf/core'

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

/** The final answer, after retries. */
export interface HttpResponse {
  readonly status: number
  readonly headers: Headers
  readonly text: string
  /** From `Retry-After`, when present and valid. */
  readonly retryAfterMs: number | undefined
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
export function send(fetchSource: FetchSource, policy: HttpPolicy, request: HttpRequest): Promise<HttpResponse> {
  return retryTransient({ policy, signal: request.signal, attempt: (deadlineAt) => sendOnce(fetchSource, policy, request, deadlineAt) })
}

async function sendOnce(fetchSource: FetchSource, policy: HttpPolicy, request: HttpRequest, deadline: number): Promise<HttpResponse> {
  const callerSignal = request.signal
  if (callerSignal?.aborted === true) throw abortedError(callerSignal)
  const remainingMs = deadline - Date.now()
  if (remainingMs <= 0) throw timeoutError(policy.deadlineMs)
  const controller = new AbortController()
  let timedOut = false
  const timer = setTimeout(() => {
    timedOut = true
    controller.abort()
  }, remainingMs)
  const onAbort = (): void => controller.abort()
  callerSignal?.addEventListener('abort', onAbort, { once: true })
  const failure = (error: unknown): OboError => {
    if (callerSignal?.aborted === true) return abortedError(callerSignal)
    if (timedOut) return timeoutError(policy.deadlineMs)
    if (error instanceof OboError) return error
    return new OboError(`Could not reach ${new URL(request.url).host}: ${describeNetworkError(error)}. Check the network and the authority host.`, {
      code: 'NETWORK_ERROR',
      cause: error,
    })
  }
  try {
    let response: Response
    try {
      response = await fetchSource()(request.url, {
        method: request.method,
        headers: request.headers,
        ...(request.body === undefined ? {} : { body: request.body }),
        signal: controller.signal,
        redirect: 'error',
        cache: 'no-store',
      })
    } catch (error) {
      throw failure(error)
    }
    let text: string
    try {
      text = await readBoundedBody(response, policy.maxResponseBytes)
    } catch (error) {
      throw failure(error)
    }
    return { status: response.status, headers: response.headers, text, retryAfterMs: parseRetryAfterMs(response.headers.get('retry-after')) }
  } finally {
    clearTimeout(timer)
    callerSignal?.removeEventListener('abort', onAbort)
  }
}

function timeoutError(timeoutMs: number): OboError {
  return new OboError(`No answer from the token endpoint within ${timeoutMs} ms (retries included). Retry later or raise timeoutMs.`, {
    code: 'TIMEOUT',
  })
}

function describeNetworkError(error: unknown): string {
  // undici puts the socket error (ECONNRESET, ECONNREFUSED, certificate problems) in `cause`.
  const cause = error instanceof Error ? (error.cause as { code?: unknown; message?: unknown } | undefined) : undefined
  if (typeof cause?.code === 'string') return cause.code
  if (typeof cause?.message === 'string') return cause.message
  return error instanceof Error ? error.message : 'fetch failed'
}
