/**
 * MSAL's `INetworkModule` over the configured `fetch`. Besides transport it does three things MSAL cannot:
 * - it hands MSAL only successful token answers: an error answer becomes a typed error built from the raw body
 *   and recorded in the call context, so MSAL never writes a client-side throttle entry (its throttle key has
 *   no user component, so one user's 429 would block every user);
 * - it retries transient failures within the call's deadline and honours the caller's abort;
 * - it memoises discovery documents process-wide ({@link memoisedMetadata}).
 *
 * @module
 */
import type { INetworkModule, NetworkRequestOptions, NetworkResponse } from '@azure/msal-node'
import { OboError, oauthErrorFromBody, optional } from '@onbehalf/core'
import { currentCallContext, type CallContext } from './call-context.ts'
import { memoisedMetadata, type MetadataResponse } from './metadata-memo.ts'
import {
  backoffMs,
  defaultRetryPolicy,
  isRetryableStatus,
  parseRetryAfterMs,
  type RetryPolicy,
} from './retry-policy.ts'

/** Larger token answers are refused rather than parsed. */
const maxBodyBytes = 1024 * 1024

interface Answer {
  readonly status: number
  readonly headers: Record<string, string>
  /** The parsed JSON object, or `undefined` when the body was not a JSON object. */
  readonly body: Record<string, unknown> | undefined
}

/** Options of {@link createNetworkClient}. */
export interface NetworkClientOptions {
  readonly fetch: typeof globalThis.fetch
  readonly retryPolicy?: RetryPolicy
}

/**
 * Builds the network module given to MSAL as `system.networkClient`.
 *
 * @example
 * ```ts
 * new ConfidentialClientApplication({ auth, system: { networkClient: createNetworkClient({ fetch }) } })
 * ```
 */
export function createNetworkClient(options: NetworkClientOptions): INetworkModule {
  const policy = options.retryPolicy ?? defaultRetryPolicy
  const doFetch = options.fetch

  async function send(url: string, init: RequestInit, signal: AbortSignal): Promise<Answer> {
    const response = await doFetch(url, { ...init, signal })
    const headers: Record<string, string> = {}
    response.headers.forEach((value, name) => {
      headers[name.toLowerCase()] = value
    })
    const text = await readBoundedText(response)
    return { status: response.status, headers, body: text === undefined ? undefined : parseObject(text) }
  }

  function failureOf(error: unknown, context: CallContext | undefined, what: string): OboError {
    if (context?.controller.signal.aborted === true) {
      return new OboError('The request was aborted by the caller.', { code: 'ABORTED', cause: error })
    }
    if (error instanceof DOMException && (error.name === 'TimeoutError' || error.name === 'AbortError')) {
      return new OboError(`No answer from ${what} in time; try again later.`, { code: 'TIMEOUT', cause: error })
    }
    if (error instanceof OboError) return error
    return new OboError(`Could not reach ${what}; check the network and the authority host.`, {
      code: 'NETWORK_ERROR',
      cause: error,
    })
  }

  async function postToken<T>(url: string, requestOptions: NetworkRequestOptions | undefined): Promise<NetworkResponse<T>> {
    const context = currentCallContext()
    const deadline = Date.now() + policy.deadlineMs
    const endpoint = new URL(url).origin + new URL(url).pathname
    for (let attempt = 1; ; attempt += 1) {
      const sentAt = Date.now()
      const signals = [AbortSignal.timeout(Math.max(1, Math.min(policy.attemptTimeoutMs, deadline - sentAt)))]
      if (context !== undefined) signals.push(context.controller.signal)
      let failure: OboError
      let retryAfterMs: number | undefined
      try {
        const answer = await send(
          url,
          { method: 'POST', headers: requestOptions?.headers ?? {}, body: requestOptions?.body ?? '' },
          AbortSignal.any(signals),
        )
        retryAfterMs = parseRetryAfterMs(answer.headers['retry-after'], Date.now())
        if (answer.status >= 200 && answer.status <= 299 && answer.body !== undefined) {
          const problem = tokenBodyProblem(answer.body)
          if (problem === undefined) {
            if (context !== undefined) {
              context.tokenResponse = { status: answer.status, headers: answer.headers, body: answer.body, sentAt }
            }
            return { status: answer.status, headers: answer.headers, body: answer.body as T }
          }
          failure = new OboError(`The token endpoint answered HTTP ${answer.status} without ${problem}.`, {
            code: 'INVALID_RESPONSE',
          })
        } else if (answer.body !== undefined && typeof answer.body['error'] === 'string') {
          failure = oauthErrorFromBody(answer.status, answer.body, { ...optional('retryAfterMs', retryAfterMs) })
        } else if (answer.status === 429) {
          failure = oauthErrorFromBody(429, {}, { ...optional('retryAfterMs', retryAfterMs) })
        } else {
          failure = new OboError(
            `The token endpoint answered HTTP ${answer.status} with a body that is not an OAuth JSON object.`,
            { code: answer.status >= 500 ? 'SERVER_ERROR' : 'INVALID_RESPONSE' },
          )
        }
        if (!isRetryableStatus(answer.status)) return giveUp(context, failure)
      } catch (error) {
        failure = failureOf(error, context, endpoint)
        if (failure.code === 'ABORTED') return giveUp(context, failure)
      }
      const waitMs = backoffMs(policy, attempt, retryAfterMs)
      if (attempt >= policy.maxAttempts || Date.now() + waitMs >= deadline) return giveUp(context, failure)
      try {
        await sleep(waitMs, context?.controller.signal)
      } catch (error) {
        return giveUp(context, failureOf(error, context, endpoint))
      }
    }
  }

  async function getMetadata<T>(url: string): Promise<NetworkResponse<T>> {
    const context = currentCallContext()
    const what = new URL(url).origin
    try {
      // Shared by every caller of the process, so no caller's abort may cancel it: only the timeout applies.
      const answer = await memoisedMetadata(url, async (): Promise<MetadataResponse> => {
        const result = await send(url, { method: 'GET' }, AbortSignal.timeout(policy.attemptTimeoutMs))
        return { status: result.status, headers: result.headers, body: result.body ?? {} }
      })
      if (context !== undefined && (answer.status < 200 || answer.status > 299)) {
        const body = answer.body as Record<string, unknown>
        context.failure = new OboError(
          `Authority discovery at ${what} answered HTTP ${answer.status}: the authority host or tenant is not valid. ` +
            'Check the authority, or set disableInstanceDiscovery for a private cloud.',
          {
            code: 'INVALID_AUTHORITY',
            ...(typeof body['error'] === 'string' ? { cause: oauthErrorFromBody(answer.status, body) } : {}),
          },
        )
      }
      return { status: answer.status, headers: { ...answer.headers }, body: answer.body as T }
    } catch (error) {
      const failure = failureOf(error, undefined, `the authority discovery endpoint at ${what}`)
      if (context !== undefined) context.failure = failure
      throw failure
    }
  }

  return {
    sendPostRequestAsync: postToken,
    sendGetRequestAsync: getMetadata,
  }
}

function giveUp(context: CallContext | undefined, failure: OboError): never {
  if (context !== undefined) context.failure = failure
  throw failure
}

/** What a successful token answer lacks, if anything; the engine never returns a token it cannot time. */
function tokenBodyProblem(body: Record<string, unknown>): string | undefined {
  const token = body['access_token']
  if (typeof token !== 'string' || token.length === 0) return 'an access_token'
  if (parseSeconds(body['expires_in']) === undefined) return 'a valid expires_in'
  return undefined
}

/**
 * A non-negative number of seconds from a number or numeric string, as Entra sends both.
 *
 * @example
 * ```ts
 * parseSeconds('3599') // 3599
 * ```
 */
export function parseSeconds(value: unknown): number | undefined {
  const number = typeof value === 'number' ? value : typeof value === 'string' && /^\s*\d+(\.\d+)?\s*$/.test(value) ? Number(value) : NaN
  return Number.isFinite(number) && number >= 0 ? number : undefined
}

async function readBoundedText(response: Response): Promise<string | undefined> {
  const declared = Number(response.headers.get('content-length') ?? '0')
  if (declared > maxBodyBytes) {
    await response.body?.cancel()
    return undefined
  }
  const buffer = await response.arrayBuffer()
  if (buffer.byteLength > maxBodyBytes) return undefined
  return new TextDecoder().decode(buffer)
}

function parseObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text)
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined
  } catch {
    return undefined
  }
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted === true) {
      reject(signal.reason as Error)
      return
    }
    const onAbort = (): void => {
      clearTimeout(timer)
      reject(signal?.reason as Error)
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}
