/**
 * One HTTP attempt of an engine: `fetch` under the request's deadline and the caller's abort, with a bounded
 * body read, every failure mapped to a typed `OboError`. {@link retryTransient} runs it again when it is worth it.
 *
 * @module
 */
import { OboError } from '../errors.ts'
import { abortedError } from './caller-abort.ts'
import { InvalidResponseError } from './invalid-response-error.ts'
import { networkErrorCode, networkErrorHint, type NetworkErrorTarget } from './network-error-hint.ts'
import { readBoundedBody } from './read-bounded-body.ts'
import { parseRetryAfterMs } from './retry-after.ts'

/** Input of {@link fetchAttempt}. */
export interface FetchAttemptRequest {
  /** The `fetch` to use (an engine's `config.fetch`, or the global one). */
  readonly fetch: typeof globalThis.fetch
  readonly method: 'GET' | 'POST'
  readonly url: string
  readonly headers?: Readonly<Record<string, string>>
  readonly body?: string
  /** The caller's abort; `undefined` for work shared by many callers, which no one caller may cancel. */
  readonly signal?: AbortSignal | undefined
  /** When the whole request must end (epoch ms), retries included. */
  readonly deadlineAt: number
  /** The whole request's limit, for the `TIMEOUT` message. */
  readonly timeoutMs: number
  /** Larger bodies are refused with `INVALID_RESPONSE`. */
  readonly maxBytes: number
  /**
   * `'authority'` when the URL is Entra's (token endpoint, discovery, instance discovery): an unreachable host's
   * `NETWORK_ERROR` then names `authorityHost` and `disableInstanceDiscovery`. Default `'other'` (e.g. a managed
   * identity endpoint), where that advice would mislead.
   */
  readonly target?: NetworkErrorTarget
}

/** An answer, whatever its status. */
export interface FetchedAnswer {
  readonly status: number
  readonly headers: Headers
  readonly text: string
  /** From `Retry-After`, when present and valid. */
  readonly retryAfterMs: number | undefined
}

/**
 * Sends one request. Redirects are refused (an Entra endpoint never redirects; following one could carry a
 * credential elsewhere): the request asks for `redirect: 'manual'` and any 3xx answer is an error, the same on
 * every runtime.
 *
 * The `init` is the subset every runtime implements: no `redirect: 'error'` (Cloudflare workerd refuses it) and
 * no `cache` field (workerd refuses it before compatibility date 2024-11-11). Nothing needs `cache`: token
 * answers are POST answers, which no HTTP cache serves, and Entra marks them `no-store` besides.
 *
 * @throws OboError `ABORTED` (the caller's signal fired), `TIMEOUT` (the deadline passed), `NETWORK_ERROR` (no
 *   answer: refused, reset, TLS), `INVALID_RESPONSE` (a redirect, or a body over `maxBytes`).
 * @example
 * ```ts
 * const answer = await fetchAttempt({ fetch, method: 'GET', url, signal, deadlineAt, timeoutMs, maxBytes: 1 << 20 })
 * ```
 */
export async function fetchAttempt(request: FetchAttemptRequest): Promise<FetchedAnswer> {
  const callerSignal = request.signal
  if (callerSignal?.aborted === true) throw abortedError(callerSignal)
  const remainingMs = request.deadlineAt - Date.now()
  if (remainingMs <= 0) throw timeoutError(request)
  const controller = new AbortController()
  // Our own timer rather than AbortSignal.timeout: a custom fetch may reject an abort with anything, so the
  // flag, not the error's shape, tells a timeout from a network failure.
  let timedOut = false
  const timer = setTimeout(() => {
    timedOut = true
    controller.abort()
  }, remainingMs)
  const onAbort = (): void => controller.abort()
  callerSignal?.addEventListener('abort', onAbort, { once: true })
  const failure = (error: unknown): OboError => {
    if (callerSignal?.aborted === true) return abortedError(callerSignal)
    if (timedOut) return timeoutError(request)
    if (error instanceof OboError) return error
    const code = networkErrorCode(error)
    const hint = networkErrorHint(request.url, code, request.target ?? 'other')
    return new OboError(
      `Could not reach ${new URL(request.url).host}: ${code ?? describeNetworkError(error)}. ${hint}`,
      {
        code: 'NETWORK_ERROR',
        cause: error,
      },
    )
  }
  try {
    let response: Response
    // Called unbound: a runtime's own fetch (workerd's, a service binding's) throws "Illegal invocation" when
    // called as a method of another object, as `request.fetch(…)` would.
    const send = request.fetch
    try {
      response = await send(request.url, {
        method: request.method,
        headers: request.headers ?? {},
        ...(request.body === undefined ? {} : { body: request.body }),
        signal: controller.signal,
        redirect: 'manual',
      })
    } catch (error) {
      throw failure(error)
    }
    if (isRedirect(response)) {
      // Release the connection; the body of a refused redirect is of no interest.
      response.body?.cancel().catch(() => undefined)
      throw redirectError(request, response)
    }
    let text: string
    try {
      text = await readBoundedBody(response, request.maxBytes)
    } catch (error) {
      throw failure(error)
    }
    return {
      status: response.status,
      headers: response.headers,
      text,
      retryAfterMs: parseRetryAfterMs(response.headers.get('retry-after')),
    }
  } finally {
    clearTimeout(timer)
    callerSignal?.removeEventListener('abort', onAbort)
  }
}

function timeoutError(request: FetchAttemptRequest): OboError {
  return new OboError(
    `No answer from ${new URL(request.url).host} within ${request.timeoutMs} ms (retries included). Retry later or raise the engine's timeout.`,
    { code: 'TIMEOUT' },
  )
}

/** A 3xx, or the status-0 `opaqueredirect` a browser's fetch returns for a manual redirect. */
function isRedirect(response: Response): boolean {
  return response.type === 'opaqueredirect' || (response.status >= 300 && response.status <= 399)
}

function redirectError(request: FetchAttemptRequest, response: Response): InvalidResponseError {
  const location = response.headers.get('location')
  let target = 'an address it did not give'
  if (location !== null) {
    try {
      target = new URL(location, request.url).host
    } catch {
      target = 'an invalid address'
    }
  }
  return new InvalidResponseError(
    `${new URL(request.url).host} answered with a redirect to ${target}, which is not followed: an Entra endpoint never redirects, and following could send the credential elsewhere. Check the authority host and any proxy in between`,
    response.status,
  )
}

/** The error's words, for a failure without a socket code. */
function describeNetworkError(error: unknown): string {
  // undici puts the socket error in `cause`; its message says more than the outer "fetch failed".
  const cause = error instanceof Error ? (error.cause as { message?: unknown } | undefined) : undefined
  const message = typeof cause?.message === 'string' ? cause.message : error instanceof Error ? error.message : ''
  // Runtimes end their messages with a period or not (workerd does); the sentence around it adds its own.
  return message.replace(/[.\s]+$/, '') || 'fetch failed'
}
