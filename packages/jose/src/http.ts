/**
 * The HTTP layer: one `fetch` call per attempt under a deadline, the caller's abort signal, a bounded body
 * read, and retries with full jitter on network errors, 5xx and 429 (honouring `Retry-After`).
 *
 * @module
 */
import { OboError } from '@onbehalf/core'
import { InvalidResponseError } from './errors.ts'

/** Retry and deadline settings. */
export interface HttpPolicy {
  /** Total time for one token request, retries and waits included. */
  readonly timeoutMs: number
  /** Retries after the first attempt. */
  readonly maxRetries: number
  readonly retryBaseDelayMs: number
  readonly retryMaxDelayMs: number
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
export async function send(fetchSource: FetchSource, policy: HttpPolicy, request: HttpRequest): Promise<HttpResponse> {
  const deadline = Date.now() + policy.timeoutMs
  for (let attempt = 0; ; attempt++) {
    let outcome: HttpResponse | OboError
    try {
      outcome = await sendOnce(fetchSource, policy, request, deadline)
    } catch (error) {
      if (!(error instanceof OboError) || error.code !== 'NETWORK_ERROR') throw error
      outcome = error
    }
    if (!(outcome instanceof OboError) && !isRetryableStatus(outcome.status)) return outcome
    const exponentialMs = Math.min(policy.retryMaxDelayMs, policy.retryBaseDelayMs * 2 ** attempt)
    // Full jitter spreads a burst of retrying clients; Retry-After is honoured as given.
    const retryAfterMs = outcome instanceof OboError ? undefined : outcome.retryAfterMs
    const delayMs = retryAfterMs ?? Math.random() * exponentialMs
    if (attempt >= policy.maxRetries || Date.now() + delayMs >= deadline) {
      if (outcome instanceof OboError) throw outcome
      return outcome
    }
    await sleep(delayMs, request.signal)
  }
}

function isRetryableStatus(status: number): boolean {
  return status === 429 || status >= 500
}

async function sendOnce(fetchSource: FetchSource, policy: HttpPolicy, request: HttpRequest, deadline: number): Promise<HttpResponse> {
  const callerSignal = request.signal
  if (callerSignal?.aborted === true) throw abortedError(callerSignal.reason)
  const remainingMs = deadline - Date.now()
  if (remainingMs <= 0) throw timeoutError(policy.timeoutMs)
  const controller = new AbortController()
  let timedOut = false
  const timer = setTimeout(() => {
    timedOut = true
    controller.abort()
  }, remainingMs)
  const onAbort = (): void => controller.abort()
  callerSignal?.addEventListener('abort', onAbort, { once: true })
  const failure = (error: unknown): OboError => {
    if (callerSignal?.aborted === true) return abortedError(callerSignal.reason)
    if (timedOut) return timeoutError(policy.timeoutMs)
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
      text = await readBody(response, policy.maxResponseBytes)
    } catch (error) {
      throw failure(error)
    }
    return { status: response.status, headers: response.headers, text, retryAfterMs: parseRetryAfter(response.headers.get('retry-after')) }
  } finally {
    clearTimeout(timer)
    callerSignal?.removeEventListener('abort', onAbort)
  }
}

async function readBody(response: Response, maxBytes: number): Promise<string> {
  const tooLarge = (): InvalidResponseError =>
    new InvalidResponseError(`The answer is larger than ${maxBytes} bytes and was refused`, response.status)
  const declared = Number(response.headers.get('content-length') ?? Number.NaN)
  if (Number.isFinite(declared) && declared > maxBytes) {
    await response.body?.cancel().catch(() => undefined)
    throw tooLarge()
  }
  if (response.body === null) return ''
  const reader = response.body.getReader()
  const chunks: Uint8Array[] = []
  let total = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    total += value.byteLength
    if (total > maxBytes) {
      await reader.cancel().catch(() => undefined)
      throw tooLarge()
    }
    chunks.push(value)
  }
  const bytes = new Uint8Array(total)
  let offset = 0
  for (const chunk of chunks) {
    bytes.set(chunk, offset)
    offset += chunk.byteLength
  }
  return new TextDecoder().decode(bytes)
}

/**
 * `Retry-After` in milliseconds: integer seconds (what Entra sends) or an HTTP date; `undefined` when absent
 * or unreadable.
 *
 * @example
 * ```ts
 * parseRetryAfter('2') // 2000
 * ```
 */
export function parseRetryAfter(value: string | null): number | undefined {
  if (value === null) return undefined
  const trimmed = value.trim()
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000
  const date = Date.parse(trimmed)
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now())
}

/** The JSON object in `text`, or `undefined` when it is not a JSON object. */
export function parseJsonObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text)
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined
  } catch {
    return undefined
  }
}

/**
 * Resolves after `ms`, or rejects with `ABORTED` as soon as `signal` fires.
 *
 * @example
 * ```ts
 * await sleep(250, request.signal)
 * ```
 */
export function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted === true) {
      reject(abortedError(signal.reason))
      return
    }
    const onAbort = (): void => {
      clearTimeout(timer)
      reject(abortedError(signal?.reason))
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}

/**
 * Waits for `promise`, but rejects with `ABORTED` as soon as `signal` fires (the promise itself goes on, for
 * other waiters).
 *
 * @example
 * ```ts
 * await abortable(sharedDiscovery, request.signal)
 * ```
 */
export function abortable<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return promise
  if (signal.aborted) return Promise.reject(abortedError(signal.reason))
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(abortedError(signal.reason))
    signal.addEventListener('abort', onAbort, { once: true })
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort)
        resolve(value)
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort)
        reject(error instanceof Error ? error : new Error(String(error)))
      },
    )
  })
}

function abortedError(reason: unknown): OboError {
  return new OboError('The token request was aborted by the caller.', { code: 'ABORTED', cause: reason })
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
