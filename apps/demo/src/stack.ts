/**
 * Wires the demo together: identity provider (emulator or real tenant), downstream API, middle tier, page.
 * `main.ts` runs it on fixed ports for people; `check.ts` and the tests run it on port 0.
 *
 * @module
 */
import { randomBytes } from 'node:crypto'
import { Agent } from 'node:https'
import { createMemoryTokenCache, type TokenCache } from '@onbehalf/core'
import { createRedisTokenCache, type RedisTokenCache } from '@onbehalf/redis'
import { Redis } from 'ioredis'
import { createDownstreamClient } from './downstream-client.ts'
import { startDownstreamApiFor, type DownstreamApi } from './downstream-api.ts'
import {
  emulatorIdentity,
  entraIdentity,
  usesRealEntra,
  validatingApi,
  type EntraEnvironment,
  type IdentitySetup,
} from './identity.ts'
import { DemoError } from './demo-error.ts'
import { listenOnLoopback, type PortChoice } from './listen.ts'
import { createMiddleTier, type MiddleTier, type MiddleTierOptions } from './middle-tier.ts'
import { createLoopbackTlsIdentity } from './tls.ts'
import { registerDemoPage } from './web.ts'

/** Options of {@link startDemoStack}. */
export interface DemoStackOptions {
  /** Environment: real-tenant variables, `REDIS_URL`, `TOKEN_CACHE_KEY`, `ONBEHALF_ENGINE`. Default: none (emulator, memory cache). */
  readonly env?: EntraEnvironment
  /** Port of the middle tier and the page. Default 0 (any free port); a taken port fails unless it allows a fallback. */
  readonly port?: PortChoice
  /** Port of the downstream API. Default 0. */
  readonly downstreamPort?: PortChoice
  /** Port of the emulator. Default 0. */
  readonly emulatorPort?: number
  /**
   * `fetch` for the identity provider in real-tenant mode; default the global one. (Emulator mode uses the
   * emulator's, which trusts its CA.)
   */
  readonly entraFetch?: typeof globalThis.fetch
  /** One line per middle-tier request. */
  readonly log?: (line: string) => void
  /**
   * Wraps the `fetch` the middle tier's credential sends token requests with. Tests use it to hold a token
   * response until concurrent callers have joined the flight, so coalescing is observed without timing.
   */
  readonly wrapTokenFetch?: (fetch: typeof globalThis.fetch) => typeof globalThis.fetch
}

/** The running demo. */
export interface DemoStack {
  /** The page and the middle tier: `http://127.0.0.1:<port>`. */
  readonly url: string
  readonly identity: IdentitySetup
  readonly downstream: DownstreamApi
  /** The downstream API's self-signed certificate (to call it directly). */
  readonly downstreamCertificatePem: string
  readonly middleTier: MiddleTier
  /** The options the middle tier was built with (to build a variant, as the load script does). */
  readonly middleTierOptions: MiddleTierOptions
  /** The shared token cache of every per-request credential. */
  readonly cache: TokenCache
  readonly cacheKind: 'memory' | 'redis'
  close(): Promise<void>
}

/**
 * Starts everything on loopback.
 *
 * @example
 * ```ts
 * const stack = await startDemoStack()
 * console.log(stack.url)
 * await stack.close()
 * ```
 */
export async function startDemoStack(options: DemoStackOptions = {}): Promise<DemoStack> {
  const env = options.env ?? {}
  const cleanups: (() => Promise<unknown>)[] = []
  const closeAll = async (): Promise<void> => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined)
  }
  try {
    const identity = usesRealEntra(env)
      ? await entraIdentity(env, options.entraFetch === undefined ? {} : { fetch: options.entraFetch })
      : await emulatorIdentity({ ...(options.emulatorPort === undefined ? {} : { port: options.emulatorPort }), env })
    cleanups.push(() => identity.close())
    // Both APIs validate with @onbehalf/server (`validatingApi`): issuers (v1 and v2) and keys from the tenant's
    // metadata, audience = the API's client ID or App ID URI. Neither gets a client credential: the middle tier
    // builds its own per-request credential (to report cache events), and the downstream calls nothing further.
    const tls = createLoopbackTlsIdentity()
    const downstream = await startDownstreamApiFor(identity, tls, options.downstreamPort ?? 0)
    cleanups.push(() => downstream.close())

    const { cache, kind, close: closeCache } = createCache(env)
    cleanups.push(closeCache)
    // Trust exactly the downstream's certificate, for this pipeline only.
    const agent = new Agent({ ca: tls.certificatePem, keepAlive: true })
    cleanups.push(() => Promise.resolve(agent.destroy()))
    const { middleTier: mt } = identity
    const middleTierOptions: MiddleTierOptions = {
      api: validatingApi(identity, mt.audiences),
      requiredScope: mt.scope,
      credential: {
        tenantId: identity.tenantId,
        clientId: mt.clientId,
        authorityHost: identity.authorityHost,
        ...(mt.clientSecret === undefined ? {} : { clientSecret: mt.clientSecret }),
        ...(mt.clientCertificate === undefined ? {} : { clientCertificate: mt.clientCertificate }),
        ...(mt.getClientAssertion === undefined ? {} : { getClientAssertion: mt.getClientAssertion }),
        ...(mt.clientCertificatePassword === undefined
          ? {}
          : { clientCertificatePassword: mt.clientCertificatePassword }),
        ...tokenFetch(identity.fetch, options.wrapTokenFetch),
        disableInstanceDiscovery: mt.disableInstanceDiscovery,
        ...(mt.engine === undefined ? {} : { engine: mt.engine }),
      },
      cache,
      downstream: createDownstreamClient({ baseUrl: downstream.url, scopes: identity.downstream.scopes, agent }),
      authorizationUri: identity.authorizationUri,
      ...(options.log === undefined ? {} : { log: options.log }),
    }
    const middleTier = createMiddleTier(middleTierOptions)
    registerDemoPage(middleTier.app, { identity, downstream, cacheKind: kind })
    cleanups.push(() => middleTier.app.close())
    const port = await listenOnLoopback(middleTier.app, options.port ?? 0)
    return {
      url: `http://127.0.0.1:${String(port)}`,
      identity,
      downstream,
      downstreamCertificatePem: tls.certificatePem,
      middleTier,
      middleTierOptions,
      cache,
      cacheKind: kind,
      close: closeAll,
    }
  } catch (error) {
    await closeAll()
    throw error
  }
}

function tokenFetch(
  fetch: typeof globalThis.fetch | undefined,
  wrap: DemoStackOptions['wrapTokenFetch'],
): { fetch?: typeof globalThis.fetch } {
  if (wrap !== undefined) return { fetch: wrap(fetch ?? globalThis.fetch) }
  return fetch === undefined ? {} : { fetch }
}

function createCache(env: EntraEnvironment): {
  cache: TokenCache
  kind: 'memory' | 'redis'
  close: () => Promise<unknown>
} {
  const redisUrl = env['REDIS_URL']
  if (redisUrl === undefined || redisUrl === '') {
    return { cache: createMemoryTokenCache({ maxEntries: 10_000 }), kind: 'memory', close: () => Promise.resolve() }
  }
  // Fail fast when Redis is down: the cache treats that as a miss, never an outage.
  const redis = new Redis(redisUrl, { enableOfflineQueue: false, maxRetriesPerRequest: 1, lazyConnect: false })
  redis.on('error', () => undefined)
  const configuredKey = env['TOKEN_CACHE_KEY']
  const key =
    configuredKey === undefined || configuredKey === '' ? randomBytes(32) : Buffer.from(configuredKey, 'base64')
  if (key.length !== 32) {
    throw new DemoError(
      'INVALID_CONFIGURATION',
      'TOKEN_CACHE_KEY must be 32 bytes, base64-encoded (e.g. `openssl rand -base64 32`).',
    )
  }
  const cache: RedisTokenCache = createRedisTokenCache({
    redis,
    keys: [{ id: 'demo', key }],
    keyPrefix: 'onbehalf-demo:',
  })
  return { cache, kind: 'redis', close: () => redis.quit().catch(() => redis.disconnect()) }
}
