/**
 * The middle-tier API (Fastify). For each request: validate the caller's token, build an
 * `OnBehalfOfCredential` from it (cheap: every credential of the process shares one engine and one cache),
 * call the downstream API through a real Azure SDK pipeline, and relay claims challenges (MFA, Conditional
 * Access, consent, CAE) to the caller as a 401 with the standard `WWW-Authenticate` header. Every answer
 * carries the chain the page shows: the caller's claims, the OBO token's claims (decoded, never raw), cache
 * outcome and timings.
 *
 * @module
 */
import type { AccessToken, GetTokenOptions, TokenCredential } from '@azure/core-auth'
import { isRestError } from '@azure/core-rest-pipeline'
import {
  AuthenticationError,
  CredentialUnavailableError,
  OnBehalfOfCredential,
  type EngineFactory,
  type TokenCache,
  type TokenEvent,
} from '@onbehalf/azure'
import { renderClaimsChallenge } from '@onbehalf/core'
import { optional } from '@onbehalf/core/engine'
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify'
import type { JWTPayload } from 'jose'
import {
  challengeClaimsOf,
  type DownstreamAttempt,
  type DownstreamClient,
  type DownstreamResult,
} from './downstream-client.ts'
import { ApiAuthError, requireScopes, type ProtectedApi } from '@onbehalf/server'
import { clientCredentialOf } from './identity.ts'

/** How the middle tier authenticates to Entra. Exactly one of `clientSecret` / `clientCertificate`. */
export interface MiddleTierCredentialConfig {
  readonly tenantId: string
  readonly clientId: string
  /** Entra host (`https://login.microsoftonline.com`) or the emulator's `authorityHost`. */
  readonly authorityHost: string
  readonly clientSecret?: string
  /** PEM (key + certificate) or PKCS#12 bytes. */
  readonly clientCertificate?: string | Uint8Array
  readonly clientCertificatePassword?: string
  /** A secretless client assertion (e.g. `@onbehalf/federated`'s managed identity), instead of a secret. */
  readonly getClientAssertion?: () => Promise<string>
  /** A `fetch` for calls to Entra (the emulator's trusts its CA). */
  readonly fetch?: typeof globalThis.fetch
  readonly disableInstanceDiscovery?: boolean
  /** The protocol engine; default `createJoseEngine()`. */
  readonly engine?: EngineFactory
}

/** Options of {@link createMiddleTier}. */
export interface MiddleTierOptions {
  /** Validates callers' tokens (`@onbehalf/server`): audience = the middle tier. */
  readonly api: ProtectedApi
  /** The delegated scope callers' tokens must carry, e.g. `access_as_user`. */
  readonly requiredScope: string
  readonly credential: MiddleTierCredentialConfig
  /** The token cache every per-request credential shares (memory, or Redis L1+L2). */
  readonly cache: TokenCache
  readonly downstream: DownstreamClient
  /** Where the challenge tells clients to get tokens (`authorization_uri`). */
  readonly authorizationUri: string
  /** One line per request (no token ever goes into it). */
  readonly log?: (line: string) => void
  /**
   * Replaces the per-request `OnBehalfOfCredential` (default) with another credential. The load script uses
   * it to measure the same route with a static token, i.e. what OBO costs on a cache hit.
   */
  readonly createCredential?: (userAssertion: string) => TokenCredential
}

/** Counters since start. */
export interface MiddleTierStats {
  readonly requests: number
  readonly ok: number
  readonly challenges: number
  readonly errors: number
  /** Token cache outcomes of every `getToken` the per-request credentials made. */
  readonly cache: {
    readonly hits: number
    readonly misses: number
    readonly coalesced: number
    readonly claimsBypass: number
    readonly refreshes: number
  }
}

/** A Fastify instance with the middle-tier routes, not yet listening. */
export interface MiddleTier {
  readonly app: FastifyInstance
  stats(): MiddleTierStats
}

/** What one request went through; returned to the caller as `chain`. */
export interface RequestChain {
  readonly caller: JWTPayload | undefined
  readonly obo: JWTPayload | undefined
  /** Outcome of the first token lookup: `hit`, `miss`, `coalesced`, … */
  readonly cache: string | undefined
  /**
   * Where the token of the last downstream attempt came from: `claims-bypass` when the downstream challenged
   * (CAE) and the retry got a new token with the claims, else the last lookup's outcome. Differs from `cache`
   * (the first lookup) exactly in that case.
   */
  readonly token: string | undefined
  readonly cacheEvents: readonly { readonly type: string; readonly durationMs: number }[]
  readonly attempts: readonly {
    readonly status: number
    readonly challenged: boolean
    readonly durationMs: number
    readonly tokenId: unknown
  }[]
  /** The downstream asked for claims and the pipeline answered with a fresh token. */
  readonly caeRetried: boolean
  readonly timings: {
    readonly validateMs: number
    readonly tokenMs: number
    readonly downstreamMs: number
    readonly totalMs: number
  }
}

/**
 * Creates the middle tier. Routes: `GET /api/documents` (the OBO chain) and `GET /api/stats`.
 *
 * @example
 * ```ts
 * const { app } = createMiddleTier({ api, requiredScope: 'access_as_user', credential, cache, downstream, authorizationUri })
 * await app.listen({ host: '127.0.0.1', port: 4000 })
 * ```
 */
export function createMiddleTier(options: MiddleTierOptions): MiddleTier {
  const app = Fastify({ logger: false })
  const counts = { requests: 0, ok: 0, challenges: 0, errors: 0 }
  const cacheCounts = { hits: 0, misses: 0, coalesced: 0, claimsBypass: 0, refreshes: 0 }
  const config = options.credential
  const requireScope = requireScopes(options.requiredScope)

  app.get('/api/documents', async (request, reply) => {
    counts.requests++
    const startedAt = performance.now()
    const cacheEvents: TokenEvent[] = []
    const attempts: DownstreamAttempt[] = []
    let caller: JWTPayload | undefined
    let validateMs = 0
    let tokenMs = 0
    const chain = (): RequestChain =>
      summarize({ caller, cacheEvents, attempts, validateMs, tokenMs, totalMs: performance.now() - startedAt })
    const finish = (status: number, outcome: string): void => {
      const c = chain()
      options.log?.(
        `GET /api/documents ${String(status)} ${outcome} cache=${c.cache ?? '-'} token=${c.timings.tokenMs.toFixed(1)}ms downstream=${c.timings.downstreamMs.toFixed(1)}ms total=${c.timings.totalMs.toFixed(1)}ms`,
      )
      reply.header(
        'Server-Timing',
        `validate;dur=${c.timings.validateMs.toFixed(2)}, obo;dur=${c.timings.tokenMs.toFixed(2)}, downstream;dur=${c.timings.downstreamMs.toFixed(2)}`,
      )
    }

    let userAssertion: string
    try {
      ;({ claims: caller } = await options.api.authenticate(request, requireScope))
      userAssertion = (request.headers.authorization ?? '').trim().replace(/^bearer +/i, '')
    } catch (error) {
      validateMs = performance.now() - startedAt
      if (!(error instanceof ApiAuthError)) throw error
      counts.errors++
      finish(error.status, error.error)
      return reply
        .code(error.status)
        .headers(error.headers)
        .send({ error: error.error, message: error.message, source: 'middle-tier', chain: chain() })
    }
    validateMs = performance.now() - startedAt

    const credential: TokenCredential & { close?: () => Promise<void> } =
      options.createCredential?.(userAssertion) ??
      new OnBehalfOfCredential(config.tenantId, config.clientId, {
        userAssertion,
        ...clientCredentialOf(config),
        authority: config.authorityHost,
        ...optional('fetch', config.fetch),
        ...optional('disableInstanceDiscovery', config.disableInstanceDiscovery),
        ...optional('engine', config.engine),
        cache: options.cache,
        onEvent: (event) => {
          cacheEvents.push(event)
          count(cacheCounts, event.type)
        },
      })
    // Times the credential inside the pipeline: what OBO costs this request (≈0 on a hit).
    const timed: TokenCredential = {
      async getToken(scopes: string | string[], getTokenOptions?: GetTokenOptions): Promise<AccessToken | null> {
        const t = performance.now()
        try {
          return await credential.getToken(scopes, getTokenOptions)
        } finally {
          tokenMs += performance.now() - t
        }
      },
    }

    let result: DownstreamResult
    try {
      result = await options.downstream.get('/documents', timed, { onAttempt: (attempt) => attempts.push(attempt) })
    } catch (error) {
      return relayFailure(error, reply, () => {
        finish(reply.statusCode, 'error')
        return chain()
      })
    } finally {
      await credential.close?.()
    }

    if (result.status === 200) {
      counts.ok++
      finish(200, 'ok')
      return reply.code(200).send({ downstream: { status: result.status, body: result.body }, chain: chain() })
    }
    const challengeClaims = challengeClaimsOf(result.wwwAuthenticate)
    if (result.status === 401 && challengeClaims !== undefined) {
      // The downstream still wants claims after the pipeline's one retry: only the user can satisfy them.
      counts.challenges++
      finish(401, 'downstream-challenge')
      return reply
        .code(401)
        .header(
          'WWW-Authenticate',
          withAuthorizationUri(renderClaimsChallenge(challengeClaims), options.authorizationUri),
        )
        .send({
          error: 'insufficient_claims',
          source: 'downstream',
          claims: parseJson(challengeClaims),
          message: 'The downstream API asked for claims the middle tier could not satisfy.',
          chain: chain(),
        })
    }
    counts.errors++
    finish(502, `downstream-${String(result.status)}`)
    return reply.code(502).send({
      error: 'downstream_error',
      source: 'downstream',
      downstream: { status: result.status, body: result.body },
      chain: chain(),
    })
  })

  app.get('/api/stats', () => ({ ...counts, cache: { ...cacheCounts } }))

  function relayFailure(error: unknown, reply: FastifyReply, chain: () => RequestChain): FastifyReply {
    if (error instanceof AuthenticationError) {
      const response = error.errorResponse
      const base = {
        source: 'entra',
        code: error.code,
        aadsts: response.errorCodes,
        entraError: response.error,
        message: error.message,
      }
      if (error.code === 'INTERACTION_REQUIRED') {
        counts.challenges++
        reply.code(401)
        const header = error.toWwwAuthenticate()
        if (header !== undefined) {
          reply.header('WWW-Authenticate', withAuthorizationUri(header, options.authorizationUri))
        }
        const kind = response.claims !== undefined ? 'insufficient_claims' : consentKind(error)
        return reply.send({
          ...base,
          error: kind,
          ...optional('claims', response.claims === undefined ? undefined : parseJson(response.claims)),
          chain: chain(),
        })
      }
      counts.errors++
      if (error.code === 'INVALID_GRANT') {
        // Entra refused the caller's token (expired, revoked…): the caller must get a new one.
        reply
          .code(401)
          .header(
            'WWW-Authenticate',
            'Bearer error="invalid_token", error_description="The identity provider rejected the token."',
          )
        return reply.send({ ...base, error: 'invalid_token', chain: chain() })
      }
      if (error.code === 'NETWORK_ERROR' || error.code === 'TIMEOUT') {
        // No answer at all (offline, proxy, firewall): say so and how to run without a network.
        reply.code(502)
        return reply.send({
          ...base,
          error: 'identity_provider_unreachable',
          message: `The middle tier could not reach ${hostOf(config.authorityHost)} for the token exchange (${error.message}). No network, or a proxy or firewall in the way? To try the demo offline, run it against the local Entra emulator: \`pnpm demo\` without the real-tenant variables.`,
          chain: chain(),
        })
      }
      if (error.code === 'THROTTLED' && error.retryAfterMs !== undefined) {
        reply.code(503).header('Retry-After', String(Math.ceil(error.retryAfterMs / 1000)))
        return reply.send({ ...base, error: 'throttled', chain: chain() })
      }
      reply.code(502)
      return reply.send({ ...base, error: 'token_exchange_failed', chain: chain() })
    }
    counts.errors++
    if (error instanceof CredentialUnavailableError) {
      reply.code(500)
      return reply.send({
        error: 'credential_unavailable',
        source: 'middle-tier',
        code: error.code,
        message: error.message,
        chain: chain(),
      })
    }
    if (isRestError(error)) {
      reply.code(502)
      return reply.send({
        error: 'downstream_unreachable',
        source: 'downstream',
        code: error.code,
        message: 'The downstream API could not be reached.',
        chain: chain(),
      })
    }
    throw error
  }

  return { app, stats: () => ({ ...counts, cache: { ...cacheCounts } }) }
}

function count(
  counts: { hits: number; misses: number; coalesced: number; claimsBypass: number; refreshes: number },
  type: TokenEvent['type'],
): void {
  if (type === 'hit') counts.hits++
  else if (type === 'miss') counts.misses++
  else if (type === 'coalesced') counts.coalesced++
  else if (type === 'claims-bypass') counts.claimsBypass++
  else if (type === 'refresh') counts.refreshes++
}

function hostOf(authorityHost: string): string {
  return URL.canParse(authorityHost) ? new URL(authorityHost).host : authorityHost
}

function consentKind(error: AuthenticationError): string {
  return error.errorResponse.errorCodes.includes(65001) || /consent/i.test(error.errorResponse.error)
    ? 'consent_required'
    : 'interaction_required'
}

/** Adds `realm` and `authorization_uri` (which the claims-challenge guidance asks resources to send). */
function withAuthorizationUri(header: string, authorizationUri: string): string {
  return header.replace(/^Bearer /, `Bearer realm="", authorization_uri="${authorizationUri}", `)
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return text
  }
}

const cacheOutcomes = new Set(['hit', 'miss', 'coalesced', 'claims-bypass'])

function summarize(input: {
  caller: JWTPayload | undefined
  cacheEvents: readonly TokenEvent[]
  attempts: readonly DownstreamAttempt[]
  validateMs: number
  tokenMs: number
  totalMs: number
}): RequestChain {
  const { attempts } = input
  const last = attempts.at(-1)
  return {
    caller: input.caller,
    obo: last?.tokenClaims,
    cache: input.cacheEvents.find((e) => cacheOutcomes.has(e.type))?.type,
    // A claims bypass is followed by the new token's own `miss`: name the reason, not just the lookup.
    token: input.cacheEvents.some((e) => e.type === 'claims-bypass')
      ? 'claims-bypass'
      : input.cacheEvents.findLast((e) => cacheOutcomes.has(e.type))?.type,
    cacheEvents: input.cacheEvents.map((e) => ({ type: e.type, durationMs: e.durationMs })),
    attempts: attempts.map((a) => ({
      status: a.status,
      challenged: a.challengeClaims !== undefined,
      durationMs: a.durationMs,
      tokenId: a.tokenClaims?.['uti'],
    })),
    caeRetried: attempts.length > 1 && attempts[0]?.challengeClaims !== undefined,
    timings: {
      validateMs: input.validateMs,
      tokenMs: input.tokenMs,
      downstreamMs: attempts.reduce((sum, a) => sum + a.durationMs, 0),
      totalMs: input.totalMs,
    },
  }
}
