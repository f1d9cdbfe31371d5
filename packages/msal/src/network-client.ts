/**
 * MSAL's `INetworkModule` over the configured `fetch`. Besides transport it does three things MSAL cannot:
 * - it hands MSAL only successful token answers: an error answer becomes a typed error built from the raw body
 *   and recorded in the call context, so MSAL never writes a client-side throttle entry (its throttle key has
 *   no user component, so one user's 429 would block every user);
 * - it retries transient failures within the call's deadline and honours the caller's abort;
 * - it memoises MSAL's discovery documents process-wide ({@link memoisedMetadata}).
 *
 * @module
 */
import type { INetworkModule, NetworkRequestOptions, NetworkResponse } from '@azure/msal-node'
import { OboError, oauthErrorFromBody, optional } from '@onbehalf/core'
import type { DiscoveryAnswer } from '@onbehalf/core'
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

/** MSAL's network module plus the engine's own instance-discovery GET. */
export interface EngineNetworkClient extends INetworkModule {
  /** One GET for authority validation, through the configured fetch (not memoised: the validator is). */
  getDiscovery(url: string): Promise<DiscoveryAnswer>
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
export function createNetworkClient(options: NetworkClientOptions): EngineNetworkClient {
  const policy = options.retryPolicy ?? defaultRetryPolicy
  const doFetch = options.fetch

  async function send(url: string, init: RequestInit, signal: AbortSignal): Promise<Answer> {
    const response = await doFetch(url, { ...init, signal })
    const headers: Record<string, string> = {}
    response.headers.forEach((value, name) => {
      headers[name.toLowerCase()] = value
    })
    const text = await readBoundedText(response)
    return { status: response.status, headers, body: parseObject(text) }
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
      const signals = [AbortSignal.timeout(Math.max(1, deadline - sentAt))]
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
        const outcome = readTokenAnswer(answer, retryAfterMs)
        if (!(outcome instanceof OboError)) {
          if (context !== undefined) {
            context.tokenResponse = { status: answer.status, headers: answer.headers, body: outcome, sentAt }
          }
          return { status: answer.status, headers: answer.headers, body: outcome as T }
        }
        failure = outcome
        if (!isRetryableStatus(answer.status)) return giveUp(context, failure)
      } catch (error) {
        failure = failureOf(error, context, endpoint)
        // Only a connection failure is worth another attempt: an abort is final and a timeout used the deadline.
        if (failure.code !== 'NETWORK_ERROR') return giveUp(context, failure)
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
        const result = await send(url, { method: 'GET' }, AbortSignal.timeout(policy.deadlineMs))
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

  /** Retried like a token request; shared by every caller of the process, so it takes no caller's signal. */
  async function getDiscovery(url: string): Promise<DiscoveryAnswer> {
    const deadline = Date.now() + policy.deadlineMs
    const what = `the instance discovery endpoint at ${new URL(url).origin}`
    for (let attempt = 1; ; attempt += 1) {
      let answer: DiscoveryAnswer | undefined
      let failure: OboError | undefined
      try {
        const result = await send(url, { method: 'GET', headers: { accept: 'application/json' } }, AbortSignal.timeout(Math.max(1, deadline - Date.now())))
        answer = { status: result.status, body: result.body, ...optional('retryAfterMs', parseRetryAfterMs(result.headers['retry-after'], Date.now())) }
        if (!isRetryableStatus(result.status)) return answer
      } catch (error) {
        failure = failureOf(error, undefined, what)
        if (failure.code !== 'NETWORK_ERROR') throw failure
      }
      const waitMs = backoffMs(policy, attempt, answer?.retryAfterMs)
      if (attempt >= policy.maxAttempts || Date.now() + waitMs >= deadline) {
        if (answer !== undefined) return answer
        throw failure ?? new OboError(`Could not reach ${what}.`, { code: 'NETWORK_ERROR' })
      }
      await sleep(waitMs, undefined)
    }
  }

  return {
    sendPostRequestAsync: postToken,
    sendGetRequestAsync: getMetadata,
    getDiscovery,
  }
}

function giveUp(context: CallContext | undefined, failure: OboError): never {
  if (context !== undefined) context.failure = failure
  throw failure
}

/**
 * The body of a usable token answer, or the typed error the answer stands for. The same rules as the jose
 * engine: an Entra error body (any status) is an `OAuthError` with every field; a 429 or 5xx without one keeps
 * its meaning (throttled / server error); anything else unusable is `INVALID_RESPONSE`.
 */
function readTokenAnswer(answer: Answer, retryAfterMs: number | undefined): Record<string, unknown> | OboError {
  const extra = { ...optional('retryAfterMs', retryAfterMs) }
  const { status, body } = answer
  if (body === undefined) {
    if (isRetryableStatus(status)) return oauthErrorFromBody(status, {}, extra)
    return invalidResponse('a body that is not a JSON object', status)
  }
  if (status < 200 || status > 299 || body['error'] !== undefined) return oauthErrorFromBody(status, body, extra)
  const accessToken = body['access_token']
  if (typeof accessToken !== 'string' || accessToken.length === 0) return invalidResponse('no access_token', status)
  const expiresIn = body['expires_in']
  if (expiresIn === undefined) return invalidResponse('no expires_in', status)
  const expiresInSeconds = parseSeconds(expiresIn)
  if (expiresInSeconds === undefined || expiresInSeconds <= 0) return invalidResponse('an invalid expires_in', status)
  for (const name of ['ext_expires_in', 'refresh_in']) {
    if (body[name] !== undefined && body[name] !== null && parseSeconds(body[name]) === undefined) {
      return invalidResponse(`an invalid ${name}`, status)
    }
  }
  for (const name of ['token_type', 'scope', 'refresh_token']) {
    if (body[name] !== undefined && typeof body[name] !== 'string') return invalidResponse(`an invalid ${name}`, status)
  }
  if (body['token_type'] === '') return invalidResponse('an invalid token_type', status)
  return body
}

function invalidResponse(what: string, status: number): OboError {
  return new OboError(`The token endpoint answered with ${what} (HTTP ${status}).`, { code: 'INVALID_RESPONSE' })
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

async function readBoundedText(response: Response): Promise<string> {
  const tooLarge = (): OboError =>
    new OboError(`The answer is larger than ${maxBodyBytes} bytes and was refused (HTTP ${response.status}).`, {
      code: 'INVALID_RESPONSE',
    })
  const declared = Number(response.headers.get('content-length') ?? Number.NaN)
  if (Number.isFinite(declared) && declared > maxBodyBytes) {
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
    if (total > maxBodyBytes) {
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
