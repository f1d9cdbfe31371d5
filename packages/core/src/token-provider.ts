/**
 * The token provider: cache lookup → single-flight → engine → store, with Azure Identity's proactive refresh
 * rules, refresh-token redemption, claims bypass, per-key throttling and per-caller abort.
 *
 * @module
 */
import type { CachedToken, TokenCache } from './cache.ts'
import { deriveCacheKey } from './cache-key.ts'
import { mergeClaims } from './claims.ts'
import type { OboEngine, TokenResult } from './engine.ts'
import { OAuthError, OboError } from './errors.ts'
import { sha256Hex } from './hash.ts'
import { jwtExpiresAt } from './jwt.ts'
import { getDefaultTokenCache } from './memory-cache.ts'

/** What happened to one `getToken` call, or to the flight it started. */
export type TokenEventType =
  'hit' | 'miss' | 'coalesced' | 'refresh' | 'refresh-failed' | 'claims-bypass' | 'throttled' | 'error'

/** An event for metrics and diagnostics. Holds hashes and names only: never a token or an assertion. */
export interface TokenEvent {
  readonly type: TokenEventType
  /** The cache key (a hash). */
  readonly key: string
  readonly tenantId: string
  readonly scopes: readonly string[]
  readonly engine: string
  /** Time spent in this call until the event, in milliseconds. */
  readonly durationMs: number
  /** For `error`, `refresh-failed` and `throttled`. */
  readonly error?: OboError
}

/** Counters since the provider was created. */
export interface TokenProviderStats {
  readonly hits: number
  readonly misses: number
  readonly coalesced: number
  readonly refreshes: number
  readonly refreshFailures: number
  readonly errors: number
  /** Token requests started (exchanges and refresh-token redemptions). */
  readonly engineCalls: number
  /** Flights in progress now. */
  readonly inFlight: number
}

/** Options for {@link createTokenProvider}. */
export interface TokenProviderOptions {
  readonly engine: OboEngine
  /** Default: the process-wide shared memory cache ({@link getDefaultTokenCache}). */
  readonly cache?: TokenCache
  readonly onEvent?: (event: TokenEvent) => void
  /** Refresh this long before expiry. Default 5 minutes. */
  readonly refreshOffsetMs?: number
  /** At most one refresh attempt per cache entry in this interval. Default 30 seconds. */
  readonly refreshRetryDelayMs?: number
  /** How long a 429 without `Retry-After` blocks the throttled key. Default 5 seconds. */
  readonly defaultThrottleMs?: number
  /**
   * How long an entry that holds a refresh token is kept after its access token expires, so the refresh token
   * can be redeemed once the user's assertion has expired. Default 24 hours.
   */
  readonly refreshTokenLifetimeMs?: number
  /** The clock, for tests. Default `Date.now`. */
  readonly now?: () => number
}

/** One token request through the provider. */
export interface TokenProviderRequest {
  /** Already resolved and validated. */
  readonly tenantId: string
  readonly userAssertion: string
  /** Already validated (see `normalizeScopes`). */
  readonly scopes: readonly string[]
  /** A claims request (JSON text) from a challenge: bypasses the cache. */
  readonly claims?: string | undefined
  /** Declare CAE capability (`xms_cc` `cp1`); CAE tokens have their own cache entries. */
  readonly enableCae?: boolean | undefined
  /** Stops this caller's wait; a shared flight goes on for the other callers. */
  readonly signal?: AbortSignal | undefined
  /** Events of this call only (in addition to the provider's `onEvent`). */
  readonly onEvent?: ((event: TokenEvent) => void) | undefined
}

/** Cache + single-flight + engine. */
export interface TokenProvider {
  readonly engine: OboEngine
  readonly cache: TokenCache
  /** A token for the request: from the cache when fresh, else from one shared engine call. */
  getToken(request: TokenProviderRequest): Promise<CachedToken>
  stats(): TokenProviderStats
  /** Closes the engine; later calls fail with `CLOSED`. */
  close(): Promise<void>
}

interface Flight {
  readonly promise: Promise<CachedToken>
  readonly controller: AbortController
  /** Callers waiting with an abort signal. */
  abortableWaiters: number
  /** A caller without a signal waits: the flight must finish. */
  pinned: boolean
}

interface Throttle {
  readonly until: number
  readonly error: OboError
}

const maxSideEntries = 10_000

/**
 * Creates a token provider over one engine and a cache.
 *
 * @example
 * ```ts
 * const provider = createTokenProvider({ engine: joseEngine(config) })
 * const token = await provider.getToken({ tenantId, userAssertion, scopes: ['api://downstream/.default'] })
 * ```
 */
export function createTokenProvider(options: TokenProviderOptions): TokenProvider {
  const { engine } = options
  const cache = options.cache ?? getDefaultTokenCache()
  const now = options.now ?? Date.now
  const refreshOffsetMs = options.refreshOffsetMs ?? 300_000
  const refreshRetryDelayMs = options.refreshRetryDelayMs ?? 30_000
  const defaultThrottleMs = options.defaultThrottleMs ?? 5_000
  const refreshTokenLifetimeMs = options.refreshTokenLifetimeMs ?? 86_400_000
  const flights = new Map<string, Flight>()
  const throttles = new Map<string, Throttle>()
  const refreshAttempts = new Map<string, number>()
  const storedAt = new Map<string, number>()
  const counters = { hits: 0, misses: 0, coalesced: 0, refreshes: 0, refreshFailures: 0, errors: 0, engineCalls: 0 }
  let closed = false

  function getToken(request: TokenProviderRequest): Promise<CachedToken> {
    try {
      if (closed) throw new OboError('The token provider was closed.', { code: 'CLOSED' })
      const startedAt = (request.onEvent ?? options.onEvent) ? performance.now() : 0
      const key = deriveCacheKey({
        partition: engine.fingerprint,
        tenantId: request.tenantId,
        scopes: request.scopes,
        enableCae: request.enableCae === true,
        userAssertion: request.userAssertion,
      })
      if (request.claims !== undefined && request.claims !== '') {
        emit('claims-bypass', key, request, startedAt)
        // A satisfied challenge yields a token with more claims: it replaces the cached one.
        return join(`${key}\nclaims\n${sha256Hex(request.claims)}`, key, request, undefined, startedAt)
      }
      const cached = cache.get(key)
      if (cached instanceof Promise) {
        const readStartedAt = now()
        return cached.then(
          (value) =>
            // A flight for this key may have stored its token while the read was on its way: look again
            // (usually a synchronous L1 hit) rather than start a second token request.
            value === undefined && (storedAt.get(key) ?? -Infinity) >= readStartedAt
              ? reread(key, request, startedAt)
              : decide(key, request, value, startedAt),
          () => decide(key, request, undefined, startedAt),
        )
      }
      return decide(key, request, cached, startedAt)
    } catch (error) {
      return Promise.reject(error)
    }
  }

  function reread(key: string, request: TokenProviderRequest, startedAt: number): Promise<CachedToken> {
    const again = cache.get(key)
    return again instanceof Promise
      ? again.then(
          (value) => decide(key, request, value, startedAt),
          () => decide(key, request, undefined, startedAt),
        )
      : decide(key, request, again, startedAt)
  }

  function decide(
    key: string,
    request: TokenProviderRequest,
    cached: CachedToken | undefined,
    startedAt: number,
  ): Promise<CachedToken> {
    if (cached !== undefined) {
      const time = now()
      const refreshAt = Math.min(cached.refreshAt ?? Infinity, cached.expiresAt - refreshOffsetMs)
      if (time < refreshAt) {
        counters.hits++
        emit('hit', key, request, startedAt)
        return Promise.resolve(cached)
      }
      if (time < cached.expiresAt) {
        const lastAttempt = refreshAttempts.get(key)
        if (lastAttempt !== undefined && time - lastAttempt < refreshRetryDelayMs) {
          counters.hits++
          emit('hit', key, request, startedAt)
          return Promise.resolve(cached)
        }
        remember(refreshAttempts, key, time)
        counters.refreshes++
        emit('refresh', key, request, startedAt)
        // A failed proactive refresh is not the caller's problem while the cached token is still valid.
        return join(key, key, request, cached, startedAt).catch((error: unknown) => {
          if (isAbort(error, request.signal)) throw error
          counters.refreshFailures++
          emit('refresh-failed', key, request, startedAt, asOboError(error))
          return cached
        })
      }
    }
    return join(key, key, request, cached, startedAt)
  }

  function join(
    flightKey: string,
    storeKey: string,
    request: TokenProviderRequest,
    cached: CachedToken | undefined,
    startedAt: number,
  ): Promise<CachedToken> {
    let flight = flights.get(flightKey)
    if (flight !== undefined) {
      counters.coalesced++
      emit('coalesced', storeKey, request, startedAt)
      return wait(flightKey, flight, request, startedAt)
    }
    const throttle = throttles.get(storeKey)
    if (throttle !== undefined) {
      const remainingMs = throttle.until - now()
      if (remainingMs > 0) {
        const error = stillThrottled(throttle.error, remainingMs)
        emit('throttled', storeKey, request, startedAt, error)
        return Promise.reject(error)
      }
      throttles.delete(storeKey)
    }
    if (cached === undefined) {
      counters.misses++
      emit('miss', storeKey, request, startedAt)
    }
    flight = start(flightKey, storeKey, request, cached)
    return wait(flightKey, flight, request, startedAt)
  }

  function start(
    flightKey: string,
    storeKey: string,
    request: TokenProviderRequest,
    cached: CachedToken | undefined,
  ): Flight {
    const controller = new AbortController()
    const promise = (async () => {
      counters.engineCalls++
      const result = await callEngine(request, cached, controller.signal)
      const value = toCachedToken(result)
      const accessTtlMs = value.expiresAt - now()
      const ttlMs = value.refreshToken === undefined ? accessTtlMs : Math.max(accessTtlMs, refreshTokenLifetimeMs)
      if (ttlMs > 0) {
        try {
          const stored = cache.set(storeKey, value, ttlMs)
          // A distributed cache's write must not delay or fail the caller: it reports its own errors.
          if (stored instanceof Promise) stored.catch(() => undefined)
        } catch {
          // The token is good even when the cache refuses it.
        }
      }
      throttles.delete(storeKey)
      refreshAttempts.delete(storeKey)
      remember(storedAt, storeKey, now())
      return value
    })()
      .catch((error: unknown) => {
        const failure = asOboError(error)
        if (failure.code === 'THROTTLED') {
          const retryAfterMs = failure instanceof OAuthError ? failure.retryAfterMs : undefined
          remember(throttles, storeKey, { until: now() + (retryAfterMs ?? defaultThrottleMs), error: failure })
        }
        throw failure
      })
      .finally(() => {
        if (flights.get(flightKey) === flight) flights.delete(flightKey)
      })
    const flight: Flight = { promise, controller, abortableWaiters: 0, pinned: false }
    // Every waiter may leave; the flight's own outcome must never become an unhandled rejection.
    promise.catch(() => undefined)
    flights.set(flightKey, flight)
    return flight
  }

  async function callEngine(
    request: TokenProviderRequest,
    cached: CachedToken | undefined,
    signal: AbortSignal,
  ): Promise<TokenResult> {
    const claims = mergeClaims(request.claims, request.enableCae === true)
    const base = {
      tenantId: request.tenantId,
      scopes: request.scopes,
      signal,
      ...(claims === undefined ? {} : { claims }),
    }
    if (cached?.refreshToken !== undefined) {
      const assertionExpiresAt = jwtExpiresAt(request.userAssertion)
      // The seed redeems the refresh token only once the assertion itself can no longer be exchanged.
      if (assertionExpiresAt !== undefined && assertionExpiresAt <= now()) {
        return engine.redeemRefreshToken({ ...base, refreshToken: cached.refreshToken })
      }
    }
    return engine.exchange({ ...base, userAssertion: request.userAssertion })
  }

  function wait(
    flightKey: string,
    flight: Flight,
    request: TokenProviderRequest,
    startedAt: number,
  ): Promise<CachedToken> {
    const { signal } = request
    const observed = flight.promise.catch((error: unknown) => {
      counters.errors++
      emit('error', flightKey, request, startedAt, asOboError(error))
      throw error
    })
    if (signal === undefined) {
      flight.pinned = true
      return observed
    }
    if (signal.aborted) return Promise.reject(abortError(signal))
    flight.abortableWaiters++
    return new Promise<CachedToken>((resolve, reject) => {
      const onAbort = (): void => {
        flight.abortableWaiters--
        // The last interested caller left: stop the request, and let the next caller start afresh.
        if (flight.abortableWaiters === 0 && !flight.pinned) {
          flight.controller.abort(signal.reason)
          if (flights.get(flightKey) === flight) flights.delete(flightKey)
        }
        reject(abortError(signal))
      }
      signal.addEventListener('abort', onAbort, { once: true })
      observed.then(
        (value) => {
          signal.removeEventListener('abort', onAbort)
          resolve(value)
        },
        (error: unknown) => {
          signal.removeEventListener('abort', onAbort)
          reject(error)
        },
      )
    })
  }

  function emit(
    type: TokenEventType,
    key: string,
    request: TokenProviderRequest,
    startedAt: number,
    error?: OboError,
  ): void {
    const perCall = request.onEvent
    const global = options.onEvent
    if (perCall === undefined && global === undefined) return
    const event: TokenEvent = {
      type,
      key: key.slice(0, 64),
      tenantId: request.tenantId,
      scopes: request.scopes,
      engine: engine.name,
      durationMs: performance.now() - startedAt,
      ...(error === undefined ? {} : { error }),
    }
    // A listener's bug must not break token acquisition.
    try {
      perCall?.(event)
      global?.(event)
    } catch {
      // ignored on purpose
    }
  }

  function remember<T>(map: Map<string, T>, key: string, value: T): void {
    if (map.size >= maxSideEntries) {
      const time = now()
      for (const [k, v] of map) {
        const until = typeof v === 'number' ? v + refreshRetryDelayMs : (v as Throttle).until
        if (until <= time) map.delete(k)
      }
      if (map.size >= maxSideEntries) map.delete(map.keys().next().value as string)
    }
    map.set(key, value)
  }

  return {
    engine,
    cache,
    getToken,
    stats: () => ({ ...counters, inFlight: flights.size }),
    async close() {
      closed = true
      await engine.close()
    },
  }
}

function toCachedToken(result: TokenResult): CachedToken {
  return {
    accessToken: result.accessToken,
    tokenType: result.tokenType,
    expiresAt: result.expiresAt,
    ...(result.refreshAt === undefined ? {} : { refreshAt: result.refreshAt }),
    ...(result.refreshToken === undefined ? {} : { refreshToken: result.refreshToken }),
  }
}

function stillThrottled(original: OboError, remainingMs: number): OboError {
  if (original instanceof OAuthError) {
    return new OAuthError({
      status: original.status,
      error: original.error,
      errorCodes: original.errorCodes,
      ...(original.errorDescription === undefined ? {} : { errorDescription: original.errorDescription }),
      ...(original.correlationId === undefined ? {} : { correlationId: original.correlationId }),
      ...(original.traceId === undefined ? {} : { traceId: original.traceId }),
      retryAfterMs: remainingMs,
      cause: original,
    })
  }
  return new OboError(
    `Entra throttled token requests for this user and scopes; retry after ${Math.ceil(remainingMs / 1000)} s.`,
    { code: 'THROTTLED', cause: original },
  )
}

function abortError(signal: AbortSignal): OboError {
  return new OboError('The token request was aborted by the caller.', { code: 'ABORTED', cause: signal.reason })
}

function isAbort(error: unknown, signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true && error instanceof OboError && error.code === 'ABORTED'
}

function asOboError(error: unknown): OboError {
  if (error instanceof OboError) return error
  return new OboError('The engine failed unexpectedly; see cause.', { code: 'INTERNAL_ERROR', cause: error })
}
