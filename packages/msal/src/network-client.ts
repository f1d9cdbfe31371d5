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
import { OboError } from '@onbehalf/core'
import {
  checkTokenAnswer,
  defaultRetryPolicy,
  fetchAttempt,
  oauthErrorFromBody,
  parseJsonObject,
  retryTransient,
  type DiscoveryAnswer,
  type FetchAttemptRequest,
  type RetryPolicy,
} from '@onbehalf/core/engine'
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

  /** One attempt through core's `fetchAttempt`, its headers as the lower-case record MSAL expects. */
  async function send(request: Omit<FetchAttemptRequest, 'fetch' | 'timeoutMs' | 'maxBytes'>): Promise<Answer> {
    const answer = await fetchAttempt({
      ...request,
      fetch: doFetch,
      timeoutMs: policy.deadlineMs,
      maxBytes: maxBodyBytes,
      // MSAL sends this module only the authority's requests (token endpoint, metadata, instance discovery).
      target: 'authority',
    })
    const headers: Record<string, string> = {}
    answer.headers.forEach((value, name) => {
      headers[name.toLowerCase()] = value
    })
    return { status: answer.status, headers, body: parseJsonObject(answer.text), retryAfterMs: answer.retryAfterMs }
  }

  async function postToken<T>(
    url: string,
    requestOptions: NetworkRequestOptions | undefined,
  ): Promise<NetworkResponse<T>> {
    const context = currentCallContext()
    const signal = context?.controller.signal
    const headers = requestOptions?.headers ?? {}
    const body = requestOptions?.body ?? ''
    let answer: Answer & { readonly sentAt: number }
    try {
      answer = await retryTransient({
        policy,
        signal,
        attempt: async (deadlineAt) => {
          const sentAt = Date.now()
          return { ...(await send({ method: 'POST', url, headers, body, signal, deadlineAt })), sentAt }
        },
      })
    } catch (error) {
      return giveUp(context, typed(error))
    }
    let usable: Readonly<Record<string, unknown>>
    try {
      usable = checkTokenAnswer(answer)
    } catch (error) {
      return giveUp(context, typed(error))
    }
    if (context !== undefined) {
      context.tokenResponse = { status: answer.status, headers: answer.headers, body: usable, sentAt: answer.sentAt }
    }
    return { status: answer.status, headers: answer.headers, body: usable as T }
  }

  async function getMetadata<T>(url: string): Promise<NetworkResponse<T>> {
    const context = currentCallContext()
    const what = new URL(url).origin
    try {
      // Shared by every caller of the process, so no caller's abort may cancel it: only the timeout applies.
      const answer = await memoisedMetadata(url, async (): Promise<MetadataResponse> => {
        const result = await send({ method: 'GET', url, deadlineAt: Date.now() + policy.deadlineMs })
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
      const failure = typed(error)
      if (context !== undefined) context.failure = failure
      throw failure
    }
  }

  /** Retried like a token request; shared by every caller of the process, so it takes no caller's signal. */
  async function getDiscovery(url: string): Promise<DiscoveryAnswer> {
    const answer = await retryTransient({
      policy,
      attempt: (deadlineAt) => send({ method: 'GET', url, headers: { accept: 'application/json' }, deadlineAt }),
    })
    return { status: answer.status, body: answer.body, retryAfterMs: answer.retryAfterMs }
  }

  return {
    sendPostRequestAsync: postToken,
    sendGetRequestAsync: getMetadata,
    getDiscovery,
  }
}

/** Every failure here is already typed by core's `fetchAttempt`; anything else would be a bug, kept as the cause. */
function typed(error: unknown): OboError {
  return error instanceof OboError
    ? error
    : new OboError('The request failed unexpectedly; see the cause.', { code: 'INTERNAL_ERROR', cause: error })
}

function giveUp(context: CallContext | undefined, failure: OboError): never {
  if (context !== undefined) context.failure = failure
  throw failure
}
