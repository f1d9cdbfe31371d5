/**
 * The process-wide registry behind cheap per-request credentials: one engine per distinct client
 * configuration (engine factory, authority host, client ID, credential identity, instance discovery, fetch)
 * and one token provider per engine and cache. A credential built per request finds its provider here, so it
 * parses no certificate, fetches no discovery document and, on a cache hit, makes no token request.
 *
 * @module
 */
import {
  createTokenProvider,
  getDefaultTokenCache,
  type EngineFactory,
  type OboEngine,
  type TokenCache,
  type TokenProvider,
} from '@onbehalf/core'
import { objectId, type IdentifiedCredential } from './client-identity.ts'

/** What selects one shared engine. Holds no secret: the credential is represented by its identity. */
export interface SharedEngineRequest {
  readonly engine: EngineFactory
  readonly authorityHost: string
  readonly clientId: string
  readonly credential: IdentifiedCredential
  readonly disableInstanceDiscovery: boolean
  readonly fetch: typeof globalThis.fetch | undefined
  readonly cache: TokenCache | undefined
}

interface EngineEntry {
  readonly engine: OboEngine
  readonly providers: Map<TokenCache, TokenProvider>
}

/** Distinct client configurations kept; the oldest is dropped first (its credentials keep working). */
const maxEngines = 256
/** Distinct caches per engine kept. */
const maxProvidersPerEngine = 16

const entries = new Map<string, EngineEntry>()
let enginesCreated = 0

/**
 * The shared token provider for a client configuration and cache, created on first use. Called when a
 * configuration is validated (once per `createOnBehalfOf`, once per distinct constructor configuration), never
 * per request.
 *
 * @throws whatever the engine factory throws for an unusable configuration.
 * @example
 * ```ts
 * const provider = sharedProvider({ engine: createJoseEngine(), authorityHost, clientId, credential, disableInstanceDiscovery: false, fetch: undefined, cache: undefined })
 * ```
 */
export function sharedProvider(request: SharedEngineRequest): TokenProvider {
  const key = `${objectId(request.engine)}\n${request.authorityHost}\n${request.clientId}\n${request.credential.identity}\n${
    request.disableInstanceDiscovery ? 1 : 0
  }\n${request.fetch === undefined ? 0 : objectId(request.fetch)}`
  let entry = entries.get(key)
  if (entry === undefined) {
    const engine = request.engine({
      clientId: request.clientId,
      credential: request.credential.credential,
      authorityHost: request.authorityHost,
      ...(request.disableInstanceDiscovery ? { disableInstanceDiscovery: true } : {}),
      ...(request.fetch === undefined ? {} : { fetch: request.fetch }),
    })
    enginesCreated++
    entry = { engine, providers: new Map() }
    entries.set(key, entry)
    // Dropped entries are not closed: credentials holding them keep working, and engines hold no sockets of
    // their own (fetch pools its connections).
    if (entries.size > maxEngines) entries.delete(entries.keys().next().value as string)
  }
  const cache = request.cache ?? getDefaultTokenCache()
  let provider = entry.providers.get(cache)
  if (provider === undefined) {
    provider = createTokenProvider({ engine: entry.engine, cache })
    entry.providers.set(cache, provider)
    if (entry.providers.size > maxProvidersPerEngine) {
      entry.providers.delete(entry.providers.keys().next().value as TokenCache)
    }
  }
  return provider
}

/** Counters of the registry. */
export interface RegistryCounters {
  /** Engines in the registry now. */
  readonly sharedEngines: number
  /** Engines created since the process started (one per distinct client configuration, unless evicted). */
  readonly enginesCreated: number
}

/**
 * The registry's counters.
 *
 * @example
 * ```ts
 * const { enginesCreated } = registryCounters()
 * ```
 */
export function registryCounters(): RegistryCounters {
  return { sharedEngines: entries.size, enginesCreated }
}
