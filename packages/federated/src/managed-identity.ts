/**
 * Managed identity as a client assertion: the host's managed identity token for the token-exchange audience,
 * presented to Entra in place of a secret (the app registration trusts it through a federated identity
 * credential whose subject is the identity's principal ID).
 *
 * @module
 */
import { OboError } from '@onbehalf/core'
import {
  fetchAttempt,
  parseJsonObject,
  parseSeconds,
  retryTransient,
  type FetchedAnswer,
  type RetryPolicy,
} from '@onbehalf/core/engine'
import { defaultTokenExchangeAudience } from './audiences.ts'
import { processEnvironment, setting, type Environment } from './environment.ts'
import { createPlatformTokenCache, type PlatformToken, type PlatformTokenCacheOptions } from './platform-token.ts'

/** Options of {@link managedIdentityAssertion}. */
export interface ManagedIdentityAssertionOptions extends PlatformTokenCacheOptions {
  /** Client ID of a user-assigned managed identity; omit for the system-assigned one. */
  readonly clientId?: string
  /** The token's audience; default `api://AzureADTokenExchange` (see `TokenExchangeAudiences` for other clouds). */
  readonly audience?: string
  /**
   * The token endpoint to ask. Default: `IDENTITY_ENDPOINT` when it and `IDENTITY_HEADER` are set (App Service,
   * Functions, Container Apps), else IMDS (`http://169.254.169.254/metadata/identity/oauth2/token`).
   */
  readonly endpoint?: string
  /** The App Service style header secret; default `IDENTITY_HEADER`. Given with `endpoint`, selects that style. */
  readonly identityHeader?: string
  /** Whole-request limit in milliseconds, retries and backoff included; default 30 s. */
  readonly timeoutMs?: number
  /** The `fetch` to use; default the global one. */
  readonly fetch?: typeof globalThis.fetch
  /** Environment to read `IDENTITY_ENDPOINT` / `IDENTITY_HEADER` from; default `process.env`. */
  readonly env?: Environment
}

/** A `getClientAssertion` callback with its platform-token counter (for diagnostics and tests). */
export interface ClientAssertionCallback {
  (): Promise<string>
  /** How many times the platform was asked for a token by this callback. */
  readonly platformRequests: number
}

/** Where and how a managed identity token is asked for. */
interface ManagedIdentitySource {
  readonly style: 'imds' | 'app-service'
  readonly url: URL
  readonly headers: Record<string, string>
}

const imdsEndpoint = 'http://169.254.169.254/metadata/identity/oauth2/token'
const maxAnswerBytes = 256 * 1024

function source(options: ManagedIdentityAssertionOptions): ManagedIdentitySource {
  const env = options.env ?? processEnvironment()
  const header = options.identityHeader ?? setting(env, 'IDENTITY_HEADER')
  const appServiceEndpoint = options.endpoint === undefined ? setting(env, 'IDENTITY_ENDPOINT') : undefined
  const appService =
    (options.endpoint !== undefined && options.identityHeader !== undefined) ||
    (appServiceEndpoint !== undefined && header !== undefined)
  const raw = options.endpoint ?? (appService ? appServiceEndpoint : undefined) ?? imdsEndpoint
  let url: URL
  try {
    url = new URL(raw)
  } catch (error) {
    throw new OboError(`The managed identity endpoint '${raw}' is not a URL; pass an http(s) URL as endpoint.`, {
      code: 'INVALID_ARGUMENT',
      cause: error,
    })
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new OboError(`The managed identity endpoint must be http or https (got ${url.protocol}).`, {
      code: 'INVALID_ARGUMENT',
    })
  }
  const audience = options.audience ?? defaultTokenExchangeAudience
  if (typeof audience !== 'string' || audience.trim() === '') {
    throw new OboError('audience must be a non-empty string such as api://AzureADTokenExchange.', {
      code: 'INVALID_ARGUMENT',
    })
  }
  url.searchParams.set('api-version', appService ? '2019-08-01' : '2018-02-01')
  url.searchParams.set('resource', audience)
  if (options.clientId !== undefined) {
    if (typeof options.clientId !== 'string' || options.clientId.trim() === '') {
      throw new OboError('clientId must be the client ID of a user-assigned managed identity, or omitted.', {
        code: 'INVALID_ARGUMENT',
      })
    }
    url.searchParams.set('client_id', options.clientId)
  }
  return appService
    ? { style: 'app-service', url, headers: { 'X-IDENTITY-HEADER': header ?? '' } }
    : { style: 'imds', url, headers: { Metadata: 'true' } }
}

/**
 * A `getClientAssertion` callback that presents this host's managed identity token. The token is cached until
 * shortly before it expires and fetched once for concurrent callers; IMDS throttling (429), its 5xx / 410
 * answers and refused connections are retried with backoff within `timeoutMs`. Create it once per process and
 * reuse it (the callback is part of the OBO cache key).
 *
 * @throws OboError from the callback: `NETWORK_ERROR` / `TIMEOUT` when no endpoint answered, `THROTTLED` /
 *   `SERVER_ERROR` when retries ran out, `CLIENT_ASSERTION_FAILED` when the endpoint refused (e.g. no such
 *   identity), `INVALID_RESPONSE` for an unusable answer. `INVALID_ARGUMENT` at creation for a bad option.
 * @example
 * ```ts
 * import { OnBehalfOfCredential } from '@onbehalf/azure'
 * import { managedIdentityAssertion } from '@onbehalf/federated'
 *
 * const getClientAssertion = managedIdentityAssertion({ clientId: process.env.UAMI_CLIENT_ID })
 * const credential = new OnBehalfOfCredential(tenantId, appClientId, { userAssertion, getClientAssertion })
 * ```
 */
export function managedIdentityAssertion(options: ManagedIdentityAssertionOptions = {}): ClientAssertionCallback {
  const from = source(options)
  const fetchFn = options.fetch ?? globalThis.fetch
  const timeoutMs = options.timeoutMs ?? 30_000
  const policy: RetryPolicy = { maxAttempts: 8, deadlineMs: timeoutMs, baseDelayMs: 250, maxDelayMs: 4_000 }
  const url = from.url.toString()
  const where = `${from.style === 'imds' ? 'IMDS' : 'the App Service identity endpoint'} at ${from.url.origin}`

  const ask = async (): Promise<PlatformToken> => {
    let answer: FetchedAnswer
    try {
      answer = await retryTransient({
        policy,
        attempt: async (deadlineAt) => {
          const got = await fetchAttempt({
            fetch: fetchFn,
            method: 'GET',
            url,
            headers: from.headers,
            deadlineAt,
            timeoutMs,
            maxBytes: maxAnswerBytes,
          })
          // IMDS answers 410 while the host's identity is being (re)provisioned: transient, like a 503.
          return got.status === 410 ? { ...got, status: 503 } : got
        },
      })
    } catch (error) {
      if (error instanceof OboError && (error.code === 'NETWORK_ERROR' || error.code === 'TIMEOUT')) {
        throw new OboError(
          `No managed identity endpoint answered: ${where} (${error.message}). Managed identity works on Azure hosts only (VM, VMSS, AKS, App Service, Functions, Container Apps); elsewhere pass endpoint, or use workloadIdentityAssertion or a certificate.`,
          { code: error.code, cause: error },
        )
      }
      throw error
    }
    return readAnswer(answer, where)
  }

  const cache = createPlatformTokenCache(ask, options)
  const callback = (): Promise<string> => cache.get()
  Object.defineProperty(callback, 'platformRequests', { get: () => cache.fetches, enumerable: true })
  return callback as ClientAssertionCallback
}

function readAnswer(answer: FetchedAnswer, where: string): PlatformToken {
  const body = parseJsonObject(answer.text)
  if (answer.status !== 200) {
    const error = typeof body?.['error'] === 'string' ? body['error'] : undefined
    const description = typeof body?.['error_description'] === 'string' ? body['error_description'] : undefined
    const detail = [error, description]
      .filter((part) => part !== undefined)
      .join(': ')
      .slice(0, 500)
    const code = answer.status === 429 ? 'THROTTLED' : answer.status >= 500 ? 'SERVER_ERROR' : 'CLIENT_ASSERTION_FAILED'
    throw new OboError(
      `${where} refused the managed identity token (HTTP ${answer.status}${detail === '' ? '' : `, ${detail}`}). ${
        code === 'CLIENT_ASSERTION_FAILED'
          ? 'Check that the identity (clientId) is assigned to this host and the audience is a token-exchange audience.'
          : 'Retry later.'
      }`,
      { code },
    )
  }
  const token = body?.['access_token']
  if (typeof token !== 'string' || token === '') {
    throw new OboError(`${where} answered without an access_token (HTTP ${answer.status}).`, {
      code: 'INVALID_RESPONSE',
    })
  }
  const expiresOn = parseSeconds(body?.['expires_on'])
  const expiresIn = parseSeconds(body?.['expires_in'])
  const expiresAt =
    expiresOn !== undefined ? expiresOn * 1000 : expiresIn !== undefined ? Date.now() + expiresIn * 1000 : undefined
  if (expiresAt === undefined) {
    throw new OboError(`${where} answered without expires_on or expires_in (HTTP ${answer.status}).`, {
      code: 'INVALID_RESPONSE',
    })
  }
  return { token, expiresAt }
}
