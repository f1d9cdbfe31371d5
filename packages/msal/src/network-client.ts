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
import {
  OboError,
  checkTokenAnswer,
  defaultRetryPolicy,
  oauthErrorFromBody,
  parseJsonObject,
  parseRetryAfterMs,
  readBoundedBody,
  retryTransient,
  type DiscoveryAnswer,
  type RetryPolicy,
} from '@onbehalf/core'
import { currentCallContext, type CallContext } from './call-context.ts'
import { memoisedMetadata, type MetadataResponse } from './metadata-memo.ts'

/** Larger token answers are refused rather than parsed. */
const maxBodyBytes = 1024 * 1024

interface Answer {
  readonly status: number
  readonly headers: Record<string, string>
  /** The parsed JSON object, or `undefined` when the body was not a JSON object. */
  readonly body: Record<string, unknown> | undefined
  /** From `Retry-After`, when present and valid. */
  readonly retryAfterMs: number | undefined
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
    const text = await readBoundedBody(response, maxBodyBytes)
    return { status: response.status, headers, body: parseJsonObject(text), retryAfterMs: parseRetryAfterMs(headers['retry-after']) }
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
    const endpoint = new URL(url).origin + new URL(url).pathname
    let answer: Answer & { readonly sentAt: number }
    try {
      answer = await retryTransient({
        policy,
        signal: context?.controller.signal,
        attempt: async (deadlineAt) => {
          const sentAt = Date.now()
          const signals = [AbortSignal.timeout(Math.max(1, deadlineAt - sentAt))]
          if (context !== undefined) signals.push(context.controller.signal)
          try {
            const init = { method: 'POST', headers: requestOptions?.headers ?? {}, body: requestOptions?.body ?? '' }
            return { ...(await send(url, init, AbortSignal.any(signals))), sentAt }
          } catch (error) {
            throw failureOf(error, context, endpoint)
          }
        },
      })
    } catch (error) {
      return giveUp(context, failureOf(error, context, endpoint))
    }
    let body: Readonly<Record<string, unknown>>
    try {
      body = checkTokenAnswer(answer)
    } catch (error) {
      return giveUp(context, error as OboError)
    }
    if (context !== undefined) {
      context.tokenResponse = { status: answer.status, headers: answer.headers, body, sentAt: answer.sentAt }
    }
    return { status: answer.status, headers: answer.headers, body: body as T }
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
    const what = `the instance discovery endpoint at ${new URL(url).origin}`
    const answer = await retryTransient({
      policy,
      attempt: async (deadlineAt) => {
        try {
          return await send(url, { method: 'GET', headers: { accept: 'application/json' } }, AbortSignal.timeout(Math.max(1, deadlineAt - Date.now())))
        } catch (error) {
          throw failureOf(error, undefined, what)
        }
      },
    })
    return { status: answer.status, body: answer.body, retryAfterMs: answer.retryAfterMs }
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
