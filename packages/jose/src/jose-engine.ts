/**
 * `createJoseEngine`: the On-Behalf-Of protocol over `fetch`, with client assertions signed by `jose`. Web-standard
 * only (fetch, Web Crypto, URL, AbortSignal), so it runs in Node, Deno, Bun and Workers.
 *
 * @module
 */
import {
  OAuthError,
  OboError,
  type EngineConfig,
  type EngineFactory,
  type ExchangeRequest,
  type OboEngine,
  type RefreshRequest,
  type TokenRequestBase,
  type TokenResult,
} from '@onbehalf/core'
import {
  abortedError,
  assertClientId,
  assertRefreshToken,
  assertTokenRequest,
  assertUserAssertion,
  checkTokenAnswer,
  engineAuthorityHost,
  engineFingerprint,
  parseJsonObject,
  raceAbort,
  tokenResultFromBody,
  createAuthorityValidator,
  defaultRetryPolicy,
} from '@onbehalf/core/engine'
import type { SigningAlgorithm } from './client-assertion.ts'
import { createClientAuthenticator, type ClientAuthenticator } from './client-auth.ts'
import { send, type FetchSource, type HttpPolicy } from './http.ts'

/**
 * Tuning beyond the shared {@link EngineConfig}; every field has a production default.
 *
 * @example
 * ```ts
 * const engine = createJoseEngine({ timeoutMs: 10_000, maxRetries: 1, signingAlgorithm: 'RS256' })
 * ```
 */
export interface JoseEngineOptions {
  /** Total time for one token request, retries and waits included. Default 30 000 ms. */
  readonly timeoutMs?: number
  /** Retries after the first attempt on network errors, 5xx and 429. Default 2 (3 attempts). */
  readonly maxRetries?: number
  /** Client assertion algorithm for certificates: `'PS256'` with `x5t#S256` (default) or `'RS256'` with `x5t`. */
  readonly signingAlgorithm?: SigningAlgorithm
  /** Base of the exponential backoff (full jitter). Default 250 ms. */
  readonly retryBaseDelayMs?: number
  /** Cap of one backoff wait. Default 4 000 ms. */
  readonly retryMaxDelayMs?: number
  /** Larger answers are refused with `INVALID_RESPONSE`. Default 1 MiB. */
  readonly maxResponseBytes?: number
}

const jwtBearerGrant = 'urn:ietf:params:oauth:grant-type:jwt-bearer'
// AADSTS700024: the client assertion is not within its valid time range (clock skew): sign a new one.
const assertionTimeRangeCode = 700024

/**
 * Creates the jose engine factory: the options are checked once, here; the returned `EngineFactory` builds an
 * engine per client configuration. Without options it returns the same default factory every time. Pass it as `engine` to `OnBehalfOfCredential` or `createOnBehalfOf` (create
 * it once, at startup: credentials share engines per factory), or call it with an `EngineConfig` yourself.
 *
 * @throws OboError `INVALID_ARGUMENT` at once for an unusable option. The factory throws `OboError` for an
 *   unusable configuration: `INVALID_AUTHORITY` (not https), `INVALID_CERTIFICATE` (unreadable certificate,
 *   wrong password, non-RSA key), `INVALID_ARGUMENT`.
 * @example
 * ```ts
 * import { createJoseEngine } from '@onbehalf/jose'
 *
 * const engine = createJoseEngine({ timeoutMs: 10_000, maxRetries: 1 })
 * const credential = new OnBehalfOfCredential(tenantId, clientId, { userAssertion, clientSecret, engine })
 * // or directly:
 * const client = engine({ clientId, authorityHost: 'https://login.microsoftonline.com', credential: { kind: 'secret', secret } })
 * const token = await client.exchange({ tenantId, userAssertion, scopes: ['https://graph.microsoft.com/.default'] })
 * ```
 */
export function createJoseEngine(options?: JoseEngineOptions): EngineFactory {
  // Without options, always the same factory: credentials share engines per factory, so one created per
  // request by mistake still shares.
  if (options === undefined) return (defaultFactory ??= factory({}))
  return factory(options)
}

let defaultFactory: EngineFactory | undefined

function factory(options: JoseEngineOptions): EngineFactory {
  const algorithm = options.signingAlgorithm ?? 'PS256'
  if (algorithm !== 'PS256' && algorithm !== 'RS256') {
    throw new OboError(`signingAlgorithm must be 'PS256' or 'RS256'.`, { code: 'INVALID_ARGUMENT' })
  }
  const policy: HttpPolicy = {
    deadlineMs: positive(options.timeoutMs, 'timeoutMs') ?? defaultRetryPolicy.deadlineMs,
    maxAttempts: (nonNegativeInteger(options.maxRetries, 'maxRetries') ?? defaultRetryPolicy.maxAttempts - 1) + 1,
    baseDelayMs: positive(options.retryBaseDelayMs, 'retryBaseDelayMs') ?? defaultRetryPolicy.baseDelayMs,
    maxDelayMs: positive(options.retryMaxDelayMs, 'retryMaxDelayMs') ?? defaultRetryPolicy.maxDelayMs,
    maxResponseBytes: positive(options.maxResponseBytes, 'maxResponseBytes') ?? 1024 * 1024,
  }
  return (config) => joseEngine(config, policy, algorithm)
}

function joseEngine(config: EngineConfig, policy: HttpPolicy, algorithm: SigningAlgorithm): OboEngine {
  assertClientId(config.clientId)
  const authorityHost = engineAuthorityHost(config.authorityHost)
  const fetchSource: FetchSource = () => config.fetch ?? globalThis.fetch
  const auth: ClientAuthenticator = createClientAuthenticator(config.credential, config.clientId, algorithm)
  const validator = createAuthorityValidator({
    authorityHost,
    disableInstanceDiscovery: config.disableInstanceDiscovery === true,
    get: async (url) => {
      const response = await send(fetchSource, policy, { method: 'GET', url, headers: { accept: 'application/json' } })
      return { status: response.status, body: parseJsonObject(response.text), retryAfterMs: response.retryAfterMs }
    },
  })
  let closed = false

  const requestToken = async (request: TokenRequestBase, grant: Record<string, string>): Promise<TokenResult> => {
    if (closed) throw new OboError('The engine is closed.', { code: 'CLOSED' })
    assertTokenRequest(request)
    if (request.signal?.aborted === true) throw abortedError(request.signal)
    // The check is shared by every caller of this host, so one caller's abort only stops its own wait.
    await raceAbort(validator.ensureValid(request.tenantId), request.signal)
    const tokenEndpoint = `${authorityHost}/${request.tenantId}/oauth2/v2.0/token`
    for (let resigned = false; ; resigned = true) {
      const form = new URLSearchParams({
        client_id: config.clientId,
        scope: request.scopes.join(' '),
        ...grant,
        client_info: '1',
        ...(await auth.parameters(tokenEndpoint)),
        ...(request.claims !== undefined && request.claims.length > 0 ? { claims: request.claims } : {}),
      })
      const startedAt = Date.now()
      const response = await send(fetchSource, policy, {
        method: 'POST',
        url: tokenEndpoint,
        headers: {
          'content-type': 'application/x-www-form-urlencoded;charset=utf-8',
          accept: 'application/json',
          'x-client-sku': 'onbehalf.jose',
          'x-ms-lib-capability': 'retry-after, h429',
          'client-request-id': crypto.randomUUID(),
        },
        body: form.toString(),
        signal: request.signal,
      })
      try {
        const body = checkTokenAnswer({
          status: response.status,
          body: parseJsonObject(response.text),
          retryAfterMs: response.retryAfterMs,
        })
        return tokenResultFromBody(body, { requestedScopes: request.scopes, sentAt: startedAt })
      } catch (error) {
        if (
          !resigned &&
          auth.canResign &&
          error instanceof OAuthError &&
          error.errorCodes.includes(assertionTimeRangeCode)
        ) {
          auth.assertionRejected(tokenEndpoint)
          continue
        }
        throw error
      }
    }
  }

  return {
    name: 'jose',
    fingerprint: engineFingerprint({ authorityHost, clientId: config.clientId, credentialIdentity: auth.identity }),
    exchange(request: ExchangeRequest) {
      try {
        assertUserAssertion(request.userAssertion)
      } catch (error) {
        return Promise.reject(error)
      }
      return requestToken(request, {
        grant_type: jwtBearerGrant,
        requested_token_use: 'on_behalf_of',
        assertion: request.userAssertion,
      })
    },
    redeemRefreshToken(request: RefreshRequest) {
      try {
        assertRefreshToken(request.refreshToken)
      } catch (error) {
        return Promise.reject(error)
      }
      return requestToken(request, { grant_type: 'refresh_token', refresh_token: request.refreshToken })
    },
    close() {
      closed = true
      return Promise.resolve()
    },
  }
}

function positive(value: number | undefined, name: string): number | undefined {
  if (value === undefined) return undefined
  if (!Number.isFinite(value) || value <= 0) {
    throw new OboError(`${name} must be a positive number.`, { code: 'INVALID_ARGUMENT' })
  }
  return value
}

function nonNegativeInteger(value: number | undefined, name: string): number | undefined {
  if (value === undefined) return undefined
  if (!Number.isInteger(value) || value < 0) {
    throw new OboError(`${name} must be a non-negative integer.`, { code: 'INVALID_ARGUMENT' })
  }
  return value
}
