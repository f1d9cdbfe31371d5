/**
 * Calls the downstream API the way an Azure SDK client does: a `@azure/core-rest-pipeline` pipeline with
 * `bearerTokenAuthenticationPolicy`, which gets the token from the per-request `OnBehalfOfCredential`, asks for
 * CAE tokens (`enableCae: true`) and, when the resource answers 401 `insufficient_claims`, gets a fresh token
 * with the challenge's claims and sends the request once more.
 *
 * Trust: the demo's downstream API serves a throwaway self-signed certificate. Rather than replace the SDK's
 * HTTP client or re-exec Node with `NODE_EXTRA_CA_CERTS` (which would trust it process-wide), the pipeline gets
 * an `https.Agent` whose `ca` is that one certificate, through the SDK's own `agent` option
 * (`createPipelineFromOptions({ agent })` → `agentPolicy`); the default `HttpClient` uses it.
 *
 * @module
 */
import type { Agent } from 'node:https'
import type { TokenCredential } from '@azure/core-auth'
import {
  bearerTokenAuthenticationPolicy,
  createDefaultHttpClient,
  createPipelineFromOptions,
  createPipelineRequest,
  type PipelinePolicy,
} from '@azure/core-rest-pipeline'
import { decodeJwt, type JWTPayload } from 'jose'

/** One HTTP attempt the pipeline made, as seen just before the transport. Never holds the raw token. */
export interface DownstreamAttempt {
  /** Decoded claims of the bearer token this attempt carried. */
  readonly tokenClaims: JWTPayload | undefined
  readonly status: number
  /** The decoded claims of an `insufficient_claims` challenge in the answer, if any. */
  readonly challengeClaims: string | undefined
  readonly durationMs: number
}

/** The result of one call. */
export interface DownstreamResult {
  readonly status: number
  /** Parsed JSON body (or the text when it is not JSON). */
  readonly body: unknown
  /** The `WWW-Authenticate` header of the final answer. */
  readonly wwwAuthenticate: string | undefined
  /** Every attempt, in order: two when a CAE challenge was answered. */
  readonly attempts: readonly DownstreamAttempt[]
}

/** Options of {@link createDownstreamClient}. */
export interface DownstreamClientOptions {
  /** e.g. `https://127.0.0.1:4001` */
  readonly baseUrl: string
  /** What to ask the credential for, e.g. `['api://<downstream>/Documents.Read']`. */
  readonly scopes: readonly string[]
  /** An agent that trusts the downstream's certificate; omit for public CAs. */
  readonly agent?: Agent
  /** Per-attempt timeout in milliseconds. Default 10,000. */
  readonly timeoutMs?: number
}

/** Options of one {@link DownstreamClient.get}. */
export interface DownstreamCallOptions {
  readonly abortSignal?: AbortSignal
  /** Called after each attempt, so a caller keeps them even when the call then throws (e.g. the retry's token failed). */
  readonly onAttempt?: (attempt: DownstreamAttempt) => void
}

/** Sends requests to the downstream API as the user a credential stands for. */
export interface DownstreamClient {
  get(path: string, credential: TokenCredential, options?: DownstreamCallOptions): Promise<DownstreamResult>
}

/**
 * Creates the client: one base pipeline and one HTTP client (connection pool) for the process; per call, a
 * clone of the pipeline with a bearer policy for that call's credential.
 *
 * @example
 * ```ts
 * const client = createDownstreamClient({ baseUrl: api.url, scopes, agent })
 * const result = await client.get('/documents', new OnBehalfOfCredential(tenantId, clientId, { userAssertion, clientSecret }))
 * ```
 */
export function createDownstreamClient(options: DownstreamClientOptions): DownstreamClient {
  const base = createPipelineFromOptions({
    ...(options.agent === undefined ? {} : { agent: options.agent }),
    retryOptions: { maxRetries: 2 },
    userAgentOptions: { userAgentPrefix: 'onbehalf-demo-middle-tier' },
  })
  const httpClient = createDefaultHttpClient()
  const scopes = [...options.scopes]
  const timeoutMs = options.timeoutMs ?? 10_000

  return {
    async get(path, credential, callOptions = {}) {
      const attempts: DownstreamAttempt[] = []
      const pipeline = base.clone()
      pipeline.addPolicy(bearerTokenAuthenticationPolicy({ credential, scopes }), { phase: 'Sign' })
      pipeline.addPolicy(
        recordAttempts((attempt) => {
          attempts.push(attempt)
          callOptions.onAttempt?.(attempt)
        }),
        { afterPhase: 'Sign' },
      )
      const request = createPipelineRequest({
        url: new URL(path, options.baseUrl).href,
        method: 'GET',
        timeout: timeoutMs,
        ...(callOptions.abortSignal === undefined ? {} : { abortSignal: callOptions.abortSignal }),
      })
      request.headers.set('Accept', 'application/json')
      const response = await pipeline.sendRequest(httpClient, request)
      const text = response.bodyAsText ?? ''
      let body: unknown = text
      try {
        body = text === '' ? undefined : JSON.parse(text)
      } catch {
        // Not JSON: keep the text.
      }
      return { status: response.status, body, wwwAuthenticate: response.headers.get('WWW-Authenticate'), attempts }
    },
  }
}

/** Records each attempt's token claims, status and challenge; sits right after the bearer policy. */
function recordAttempts(onAttempt: (attempt: DownstreamAttempt) => void): PipelinePolicy {
  return {
    name: 'onbehalfDemoRecordAttempts',
    async sendRequest(request, next) {
      const authorization = request.headers.get('Authorization')
      let tokenClaims: JWTPayload | undefined
      try {
        tokenClaims = authorization === undefined ? undefined : decodeJwt(authorization.replace(/^Bearer /, ''))
      } catch {
        tokenClaims = undefined
      }
      const startedAt = performance.now()
      const response = await next(request)
      onAttempt({
        tokenClaims,
        status: response.status,
        challengeClaims: challengeClaimsOf(response.headers.get('WWW-Authenticate')),
        durationMs: performance.now() - startedAt,
      })
      return response
    },
  }
}

/**
 * The decoded `claims` of a `Bearer … error="insufficient_claims", claims="<base64>"` challenge, else undefined.
 *
 * @example
 * ```ts
 * challengeClaimsOf('Bearer error="insufficient_claims", claims="eyJ9"') // '{}'
 * ```
 */
export function challengeClaimsOf(header: string | undefined): string | undefined {
  if (header === undefined || !/error="insufficient_claims"/.test(header)) return undefined
  const encoded = /claims="([^"]*)"/.exec(header)?.[1]
  if (encoded === undefined) return undefined
  try {
    return Buffer.from(encoded, 'base64').toString('utf8')
  } catch {
    return undefined
  }
}
