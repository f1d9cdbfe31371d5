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
import { oboDiagnostics, type AcquisitionOutcome, type TokenRequestReason, type TokenSource } from './diagnostics.ts'
import { OAuthError, OboError } from './errors.ts'
import { sha256Hex } from './hash.ts'
import { jwtExpiresAt } from './jwt.ts'
import { getDefaultTokenCache } from './memory-cache.ts'
import { clampRetryAfterMs } from './protocol/retry-after.ts'

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
   * The refresh-token redemption window: once the user's assertion has expired, its refresh token may be
   * redeemed only until this long after the assertion was FIRST exchanged (a redemption does not renew it), so
   * an expired assertion is never honoured forever. `0` turns redemption off (refresh tokens are then not even
   * stored). A request may set its own ({@link TokenProviderRequest.refreshTokenWindowMs}). Default 24 hours.
   */
  readonly refreshTokenWindowMs?: number
  /** The clock, for tests. Default `Date.now`. */
  readonly now?: () => number
  /**
   * Runs around every token request (never around a cache hit), e.g. to open a tracing span in the caller's
   * trace: it must call `run` once and return its outcome. `request` is the caller that started the request.
   */
  readonly aroundTokenRequest?: (run: () => Promise<TokenResult>, request: TokenProviderRequest) => Promise<TokenResult>
}

/**
 * The part of an `AbortSignal` the provider uses: a DOM `AbortSignal`, `@azure/abort-controller`'s
 * `AbortSignalLike`, or a polyfill.
 */
export interface AbortSignalLike {
  readonly aborted: boolean
  readonly reason?: unknown
  addEventListener(type: 'abort', listener: () => void, options?: { readonly once?: boolean }): void
  removeEventListener(type: 'abort', listener: () => void): void
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
  /**
   * Stops this caller's wait (`ABORTED`); a shared flight goes on for the other callers. Already aborted: no
   * token request is started. Listened to only while the caller waits for a token request, never on a hit.
   */
  readonly signal?: AbortSignalLike | undefined
  /**
   * Stops this caller's wait after this many milliseconds from the call (`TIMEOUT`), like `signal`. The timer
   * exists only while the caller waits for a token request: a hit allocates none.
   */
  readonly timeoutMs?: number | undefined
  /** This request's refresh-token redemption window; default the provider's `refreshTokenWindowMs`. */
  readonly refreshTokenWindowMs?: number | undefined
  /** Events of this call only (in addition to the provider's `onEvent`). */
  readonly onEvent?: ((event: TokenEvent) => void) | undefined
  /** Opaque caller context for the provider's `aroundTokenRequest` (e.g. Azure SDK `tracingOptions`). */
  readonly traceContext?: unknown
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
/** Pairs token-request start and end diagnostics across every provider in the realm. */
let lastTokenRequestId = 0

/**
 * Creates a token provider over one engine and a cache.
 *
 * @example
 * ```ts
 * const provider = createTokenProvider({ engine: createJoseEngine()(config) })
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
  const refreshTokenWindowMs = windowOption(options.refreshTokenWindowMs, 'refreshTokenWindowMs') ?? 86_400_000
  const flights = new Map<string, Flight>()
  const throttles = new Map<string, Throttle>()
  const refreshAttempts = new Map<string, number>()
  const storedAt = new Map<string, number>()
  const counters = { hits: 0, misses: 0, coalesced: 0, refreshes: 0, refreshFailures: 0, errors: 0, engineCalls: 0 }
  let closed = false

  function getToken(request: TokenProviderRequest): Promise<CachedToken> {
    try {
      if (closed) throw new OboError('The token provider was closed.', { code: 'CLOSED' })
      const startedAt = (request.onEvent ?? options.onEvent ?? request.timeoutMs) !== undefined ? performance.now() : 0
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
      // The request is the cache context (tenant + assertion): passing it allocates nothing on the hit path.
      const cached = cache.get(key, request)
      if (cached instanceof Promise) {
        const readStartedAt = now()
        return cached.then(
          (value) =>
            // A flight for this key may have stored its token while the read was on its way: look again
            // (usually a synchronous L1 hit) rather than start a second token request.
            value === undefined && (storedAt.get(key) ?? -Infinity) >= readStartedAt
              ? reread(key, request, startedAt)
              : decide(key, request, value, startedAt, 'l2'),
          () => decide(key, request, undefined, startedAt),
        )
      }
      return decide(key, request, cached, startedAt)
    } catch (error) {
      return Promise.reject(error)
    }
  }

  function reread(key: string, request: TokenProviderRequest, startedAt: number): Promise<CachedToken> {
    const again = cache.get(key, request)
    return again instanceof Promise
      ? again.then(
          (value) => decide(key, request, value, startedAt, 'l2'),
          () => decide(key, request, undefined, startedAt),
        )
      : decide(key, request, again, startedAt)
  }

  function decide(
    key: string,
    request: TokenProviderRequest,
    cached: CachedToken | undefined,
    startedAt: number,
    level: TokenSource = 'l1',
  ): Promise<CachedToken> {
    if (cached !== undefined) {
      const time = now()
      const refreshAt = Math.min(cached.refreshAt ?? Infinity, cached.expiresAt - refreshOffsetMs)
      if (time < refreshAt) {
        counters.hits++
        emit('hit', key, request, startedAt, undefined, level)
        return Promise.resolve(cached)
      }
      if (time < cached.expiresAt) {
        const lastAttempt = refreshAttempts.get(key)
        if (lastAttempt !== undefined && time - lastAttempt < refreshRetryDelayMs) {
          counters.hits++
          emit('hit', key, request, startedAt, undefined, level)
          return Promise.resolve(cached)
        }
        remember(refreshAttempts, key, time)
        counters.refreshes++
        emit('refresh', key, request, startedAt)
        // A failed proactive refresh is not the caller's problem while the cached token is still valid.
        return join(key, key, request, cached, startedAt).catch((error: unknown) => {
          if (isDeparture(error)) throw error
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
    // A caller who has already left (its abort may have landed during an asynchronous cache read) must not
    // start a token request nobody waits for.
    const gone = departure(request, startedAt)
    if (gone !== undefined) return Promise.reject(gone)
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
    let diagnostic: TokenRequestDiagnosticState | undefined
    const promise = (async () => {
      counters.engineCalls++
      const windowMs = requestWindowMs(request)
      if (oboDiagnostics.hasSubscribers) {
        diagnostic = startDiagnostic(request, tokenRequestReason(flightKey !== storeKey, cached), cached, windowMs)
      }
      const requestedAt = now()
      let redeemed = false
      const run = async (): Promise<TokenResult> => {
        const outcome = await callEngine(request, cached, controller.signal, windowMs)
        redeemed = outcome.redeemed
        return outcome.result
      }
      const result = await (options.aroundTokenRequest === undefined ? run() : options.aroundTokenRequest(run, request))
      if (diagnostic !== undefined) endDiagnostic(diagnostic)
      // The window counts from the first exchange of this assertion: a redemption, or another exchange of the
      // same assertion (same key), carries the first one's time over.
      const firstExchangedAt = redeemed ? cached?.firstExchangedAt : (cached?.firstExchangedAt ?? requestedAt)
      const value = toCachedToken(result, windowMs > 0 ? firstExchangedAt : undefined)
      const accessTtlMs = value.expiresAt - now()
      const ttlMs =
        value.refreshToken === undefined || value.firstExchangedAt === undefined
          ? accessTtlMs
          : Math.max(accessTtlMs, value.firstExchangedAt + windowMs - now())
      if (ttlMs > 0) {
        try {
          const stored = cache.set(storeKey, value, ttlMs, request)
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
        if (diagnostic !== undefined) endDiagnostic(diagnostic, failure)
        if (failure.code === 'THROTTLED') {
          // Whatever the engine read from `Retry-After`, a key is never blocked past the cap.
          const retryAfterMs = clampRetryAfterMs(failure instanceof OAuthError ? failure.retryAfterMs : undefined)
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

  function requestWindowMs(request: TokenProviderRequest): number {
    return windowOption(request.refreshTokenWindowMs, 'refreshTokenWindowMs') ?? refreshTokenWindowMs
  }

  async function callEngine(
    request: TokenProviderRequest,
    cached: CachedToken | undefined,
    signal: AbortSignal,
    windowMs: number,
  ): Promise<{ readonly result: TokenResult; readonly redeemed: boolean }> {
    const claims = mergeClaims(request.claims, request.enableCae === true)
    const base = {
      tenantId: request.tenantId,
      scopes: request.scopes,
      signal,
      ...(claims === undefined ? {} : { claims }),
    }
    // Azure Identity for Python redeems the refresh token only once the assertion itself can no longer be
    // exchanged; we do so only within the window from the first exchange. After it, the expired assertion goes to
    // the IdP, which refuses it: an expired assertion is never honoured forever.
    if (cached?.refreshToken !== undefined && redeemsRefreshToken(request, cached, windowMs)) {
      const result = await engine.redeemRefreshToken({ ...base, refreshToken: cached.refreshToken })
      return { result, redeemed: true }
    }
    const result = await engine.exchange({ ...base, userAssertion: request.userAssertion })
    return { result, redeemed: false }
  }

  function redeemsRefreshToken(
    request: TokenProviderRequest,
    cached: CachedToken | undefined,
    windowMs: number,
  ): boolean {
    if (cached?.refreshToken === undefined || cached.firstExchangedAt === undefined) return false
    const time = now()
    const assertionExpiresAt = jwtExpiresAt(request.userAssertion)
    return assertionExpiresAt !== undefined && assertionExpiresAt <= time && time < cached.firstExchangedAt + windowMs
  }

  function tokenRequestReason(claims: boolean, cached: CachedToken | undefined): TokenRequestReason {
    if (claims) return 'claims'
    if (cached === undefined) return 'no-cached-token'
    return now() < cached.expiresAt ? 'proactive-refresh' : 'expired'
  }

  function startDiagnostic(
    request: TokenProviderRequest,
    reason: TokenRequestReason,
    cached: CachedToken | undefined,
    windowMs: number,
  ): TokenRequestDiagnosticState {
    const fields = {
      id: ++lastTokenRequestId,
      engine: engine.name,
      tenantId: request.tenantId,
      scopes: request.scopes,
      reason,
      grant: redeemsRefreshToken(request, cached, windowMs) ? ('refresh-token' as const) : ('on-behalf-of' as const),
    }
    oboDiagnostics.publish({ type: 'token-request-start', ...fields })
    return { fields, startedAt: performance.now() }
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
    const { timeoutMs } = request
    if (signal === undefined && timeoutMs === undefined) {
      flight.pinned = true
      return observed
    }
    const gone = departure(request, startedAt)
    if (gone !== undefined) return Promise.reject(gone)
    flight.abortableWaiters++
    // The listener and the timer live only while this caller waits for the flight; both go when it settles.
    return new Promise<CachedToken>((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined
      const leave = (error: OboError): void => {
        settle()
        flight.abortableWaiters--
        // The last interested caller left: stop the request, and let the next caller start afresh.
        if (flight.abortableWaiters === 0 && !flight.pinned) {
          flight.controller.abort(error)
          if (flights.get(flightKey) === flight) flights.delete(flightKey)
        }
        reject(error)
      }
      const onAbort = (): void => {
        if (signal !== undefined) leave(abortError(signal))
      }
      const settle = (): void => {
        signal?.removeEventListener('abort', onAbort)
        if (timer !== undefined) clearTimeout(timer)
      }
      signal?.addEventListener('abort', onAbort, { once: true })
      if (timeoutMs !== undefined) {
        timer = setTimeout(() => leave(timeoutError(timeoutMs)), Math.max(0, startedAt + timeoutMs - performance.now()))
      }
      observed.then(
        (value) => {
          settle()
          resolve(value)
        },
        (error: unknown) => {
          settle()
          reject(error)
        },
      )
    })
  }

  /** Why this caller no longer waits (aborted, or its timeout has passed), or `undefined`. */
  function departure(request: TokenProviderRequest, startedAt: number): OboError | undefined {
    const { signal, timeoutMs } = request
    if (signal?.aborted === true) return abortError(signal)
    if (timeoutMs !== undefined && performance.now() - startedAt >= timeoutMs) return timeoutError(timeoutMs)
    return undefined
  }

  function emit(
    type: TokenEventType,
    key: string,
    request: TokenProviderRequest,
    startedAt: number,
    error?: OboError,
    level?: TokenSource,
  ): void {
    if (oboDiagnostics.hasSubscribers) publishAcquisition(type, engine.name, request, level, error)
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

interface TokenRequestDiagnosticState {
  readonly fields: {
    readonly id: number
    readonly engine: string
    readonly tenantId: string
    readonly scopes: readonly string[]
    readonly reason: TokenRequestReason
    readonly grant: 'on-behalf-of' | 'refresh-token'
  }
  readonly startedAt: number
}

// Published even if every subscriber left meanwhile: an end always pairs with its start (in-flight gauges).
function endDiagnostic({ fields, startedAt }: TokenRequestDiagnosticState, failure?: OboError): void {
  const durationMs = performance.now() - startedAt
  oboDiagnostics.publish(
    failure === undefined
      ? { type: 'token-request-end', ...fields, durationMs, outcome: 'success' }
      : {
          type: 'token-request-end',
          ...fields,
          durationMs,
          outcome: 'failure',
          errorCode: failure.code,
          ...stsFields(failure),
        },
  )
}

function stsFields(error: OboError): { stsErrorCode?: number; httpStatus?: number } {
  if (!(error instanceof OAuthError)) return {}
  const stsErrorCode = error.errorCodes[0]
  return stsErrorCode === undefined ? { httpStatus: error.status } : { stsErrorCode, httpStatus: error.status }
}

function publishAcquisition(
  type: TokenEventType,
  engineName: string,
  request: TokenProviderRequest,
  level: TokenSource | undefined,
  error: OboError | undefined,
): void {
  const { tenantId, scopes } = request
  if (type === 'refresh-failed') {
    if (error !== undefined) {
      oboDiagnostics.publish({
        type: 'refresh-failed',
        engine: engineName,
        tenantId,
        scopes,
        errorCode: error.code,
        ...stsFields(error),
      })
    }
    return
  }
  if (type === 'error') return
  const outcome: AcquisitionOutcome = type
  // Published on every hit while someone listens: one object literal, no spreads.
  oboDiagnostics.publish(
    type === 'throttled'
      ? { type: 'acquisition', engine: engineName, tenantId, scopes, outcome }
      : {
          type: 'acquisition',
          engine: engineName,
          tenantId,
          scopes,
          outcome,
          source: type === 'hit' ? (level ?? 'l1') : 'identity-provider',
        },
  )
}

function toCachedToken(result: TokenResult, firstExchangedAt: number | undefined): CachedToken {
  // Without a redemption window a refresh token is never redeemed, so it is not kept either.
  const keepRefreshToken = result.refreshToken !== undefined && firstExchangedAt !== undefined
  return {
    accessToken: result.accessToken,
    tokenType: result.tokenType,
    expiresAt: result.expiresAt,
    ...(result.refreshAt === undefined ? {} : { refreshAt: result.refreshAt }),
    ...(keepRefreshToken ? { refreshToken: result.refreshToken, firstExchangedAt } : {}),
  }
}

function windowOption(value: number | undefined, name: string): number | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'number' || Number.isNaN(value) || value < 0) {
    throw new TypeError(`${name} must be a number of milliseconds, 0 or more (0 turns refresh-token redemption off).`)
  }
  return value
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

/** The errors of callers who left (their abort or their timeout), as opposed to a failed flight. */
const departures = new WeakSet<OboError>()

function abortError(signal: AbortSignalLike): OboError {
  const error = new OboError('The token request was aborted by the caller.', { code: 'ABORTED', cause: signal.reason })
  departures.add(error)
  return error
}

function timeoutError(timeoutMs: number): OboError {
  const error = new OboError(`No token within the ${String(timeoutMs)} ms timeout.`, { code: 'TIMEOUT' })
  departures.add(error)
  return error
}

function isDeparture(error: unknown): boolean {
  return error instanceof OboError && departures.has(error)
}

function asOboError(error: unknown): OboError {
  if (error instanceof OboError) return error
  return new OboError('The engine failed unexpectedly; see cause.', { code: 'INTERNAL_ERROR', cause: error })
}
