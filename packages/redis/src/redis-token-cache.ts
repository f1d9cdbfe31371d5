/**
 * The two-level token cache: core's memory LRU (L1) in front of Redis (L2), values encrypted at rest, and a
 * failure policy under which a slow or dead Redis costs at most one deadline per read, then nothing.
 *
 * @module
 */
import { createMemoryTokenCache, sha256Hex } from '@onbehalf/core'
import type { CachedToken, MemoryTokenCache, TokenCache } from '@onbehalf/core'
import { createCircuitBreaker } from './circuit-breaker.ts'
import type { CircuitState } from './circuit-breaker.ts'
import { createTokenCodec } from './codec.ts'
import type { CacheEncryptionKey, DecodeFailure } from './codec.ts'
import { toRedisCommands } from './redis-client.ts'
import type { RedisClientLike } from './redis-client.ts'

/** What happened; see {@link RedisCacheEvent}. */
export type RedisCacheEventType =
  /** Served from memory. */
  | 'l1-hit'
  /** Served from Redis (and copied into L1). */
  | 'l2-hit'
  /** Redis answered: nothing usable under this key. */
  | 'l2-miss'
  /** Redis failed, timed out or was skipped: the read is a miss. See `reason`. */
  | 'read-failed'
  /** Redis returned a value that cannot be used (unknown key ID, tampered, malformed): a miss. */
  | 'decode-failed'
  | 'write'
  /** The value was not written: see `reason`. The token is still served from L1 and to the caller. */
  | 'write-failed'
  | 'delete'
  | 'delete-failed'
  /** The circuit breaker changed state: `state` says to what. */
  | 'circuit'
  /** Single-flight: another instance holds the lock for this key; this miss waits for its token. */
  | 'single-flight-wait'

/** Why a Redis command did not complete. */
export type RedisFailureReason =
  /** No answer within `timeoutMs`. */
  | 'timeout'
  /** The client rejected the command (disconnected with the offline queue off, a Redis error, …). */
  | 'error'
  /** The circuit is open: Redis was not asked. */
  | 'circuit-open'
  /** `maxPendingCommands` commands are already waiting on Redis: it was not asked. */
  | 'overloaded'
  /** Encryption failed (e.g. the key could not be imported). */
  | 'encrypt-failed'

/** An event for logs and metrics. Holds key hashes, key IDs and reasons only: never a token. */
export interface RedisCacheEvent {
  readonly type: RedisCacheEventType
  /** The Redis key name (prefix + hash). Absent for `circuit`. */
  readonly key?: string
  /** For failures. */
  readonly reason?: RedisFailureReason | DecodeFailure
  /** Time spent on the Redis command (and decryption), in milliseconds. */
  readonly durationMs?: number
  /** The key ID of the value read or written, when known. */
  readonly kid?: string
  /** For `circuit`. */
  readonly state?: CircuitState
  /** For `reason: 'error' | 'encrypt-failed'`: what the client or Web Crypto threw. */
  readonly error?: unknown
}

/** Counters since the cache was created. */
export interface RedisCacheStats {
  readonly l1Hits: number
  readonly l2Hits: number
  readonly l2Misses: number
  /** Reads that became misses because Redis failed, timed out, or was skipped. */
  readonly readFailures: number
  /** Values that were present but unusable (unknown key ID, tampered, malformed). */
  readonly decodeFailures: number
  readonly writes: number
  readonly writeFailures: number
  readonly deletes: number
  readonly deleteFailures: number
  /** Commands that hit `timeoutMs` (included in the failures above). */
  readonly timeouts: number
  /** Commands not sent because the circuit was open or too many were pending. */
  readonly skipped: number
  /** How many times the circuit opened. */
  readonly circuitOpens: number
  readonly circuit: CircuitState
  /** Commands sent to Redis that have not settled yet (timed-out ones included until the client settles them). */
  readonly pendingCommands: number
  /** Entries in L1. */
  readonly l1Size: number
  /** Single-flight: misses that found another instance fetching and waited for it. */
  readonly singleFlightWaits: number
  /** Single-flight: waits that ended with the other instance's token (an L2 hit, also counted in `l2Hits`). */
  readonly singleFlightHits: number
}

/** Tuning of the optional cross-instance single-flight. */
export interface SingleFlightOptions {
  /** The longest a miss waits for another instance's token. Default 500 ms. */
  readonly maxWaitMs?: number
  /** How often a waiting miss looks in Redis. Default 25 ms. */
  readonly pollMs?: number
  /** How long the lock lives if its holder never writes (it failed or died). Default 2,000 ms. */
  readonly lockTtlMs?: number
}

/** Options for {@link createRedisTokenCache}. */
export interface RedisTokenCacheOptions {
  /**
   * An `ioredis` client, a node-redis client (both recognised automatically) or {@link RedisCommands}. The
   * application owns it: creates, connects, and quits it. Configure it to fail fast when disconnected (see
   * the README): ioredis `enableOfflineQueue: false` (or `maxRetriesPerRequest: 1`), node-redis
   * `disableOfflineQueue: true`.
   */
  readonly redis: RedisClientLike
  /** Encryption keys: the first encrypts new values, every listed one decrypts. */
  readonly keys: readonly CacheEncryptionKey[]
  /** Prepended to every Redis key name. Default `'onbehalf:token:'`. */
  readonly keyPrefix?: string
  /** Deadline of every Redis command, in milliseconds. Default 100. */
  readonly timeoutMs?: number
  /** Consecutive failures that open the circuit. Default 5. */
  readonly failureThreshold?: number
  /** How long an open circuit skips Redis before one probe. Default 5,000 ms. */
  readonly cooldownMs?: number
  /** Commands allowed to wait on Redis at once; more are skipped (a hung Redis must not pile up work). Default 1,000. */
  readonly maxPendingCommands?: number
  /**
   * The L1 memory cache. Default: a new `createMemoryTokenCache({ maxEntries: 10_000 })`. Pass one to share
   * it between several Redis caches (e.g. one per tenant key), or `false` for no L1 (every read asks Redis).
   */
  readonly l1?: MemoryTokenCache | false
  /**
   * Cross-instance single-flight (off by default): on an L2 miss, one instance takes a short Redis lock and
   * asks the IdP; the others poll Redis for its token instead of asking too, for at most `maxWaitMs` and at
   * most as long as this instance's own token requests have been taking. The lock needs `SET … NX`
   * (`setIfAbsent`), which the ioredis and node-redis adapters provide.
   */
  readonly singleFlight?: boolean | SingleFlightOptions
  /** Events for logs and metrics. A throwing listener is ignored. */
  readonly onEvent?: (event: RedisCacheEvent) => void
  /** The clock, for tests. Default `Date.now`. */
  readonly now?: () => number
}

/** A {@link TokenCache} over Redis with counters. */
export interface RedisTokenCache extends TokenCache {
  /** An L1 hit answers synchronously; otherwise a promise that never rejects (a failure is a miss). */
  get(key: string): CachedToken | undefined | Promise<CachedToken | undefined>
  /** Writes L1 at once and Redis within the deadline; never rejects (a failure is an event). */
  set(key: string, value: CachedToken, ttlMs: number): Promise<void>
  /** Deletes from L1 and Redis; never rejects. */
  delete(key: string): Promise<void>
  stats(): RedisCacheStats
  /** The Redis key name an entry is stored under (prefix + hash). */
  keyName(key: string): string
}

const hexKey = /^[0-9a-f]{64}$/

/**
 * Creates a two-level token cache: memory (L1) in front of Redis (L2), AES-256-GCM at rest.
 *
 * @example
 * ```ts
 * import { Redis } from 'ioredis'
 * import { createTokenProvider } from '@onbehalf/core'
 * import { createRedisTokenCache } from '@onbehalf/redis'
 *
 * const redis = new Redis(process.env.REDIS_URL!, { enableOfflineQueue: false, maxRetriesPerRequest: 1 })
 * const cache = createRedisTokenCache({
 *   redis,
 *   keys: [{ id: 'k1', key: Buffer.from(process.env.TOKEN_CACHE_KEY!, 'base64') }],
 * })
 * const provider = createTokenProvider({ engine, cache })
 * ```
 */
export function createRedisTokenCache(options: RedisTokenCacheOptions): RedisTokenCache {
  if (typeof options !== 'object' || options === null) throw new TypeError('options must be an object.')
  const commands = toRedisCommands(options.redis)
  const codec = createTokenCodec(options.keys)
  const keyPrefix = options.keyPrefix ?? 'onbehalf:token:'
  if (typeof keyPrefix !== 'string' || keyPrefix.length > 256) {
    throw new TypeError('keyPrefix must be a string of at most 256 characters.')
  }
  const timeoutMs = positive(options.timeoutMs, 100, 'timeoutMs')
  const failureThreshold = positive(options.failureThreshold, 5, 'failureThreshold')
  const cooldownMs = positive(options.cooldownMs, 5_000, 'cooldownMs')
  const maxPendingCommands = positive(options.maxPendingCommands, 1_000, 'maxPendingCommands')
  const now = options.now ?? Date.now
  const onEvent = options.onEvent
  const l1 = options.l1 === false ? undefined : (options.l1 ?? createMemoryTokenCache({ maxEntries: 10_000, now }))
  const flight = singleFlightSettings(options.singleFlight, commands.setIfAbsent !== undefined)

  const counters = {
    l1Hits: 0,
    l2Hits: 0,
    l2Misses: 0,
    readFailures: 0,
    decodeFailures: 0,
    writes: 0,
    writeFailures: 0,
    deletes: 0,
    deleteFailures: 0,
    timeouts: 0,
    skipped: 0,
    circuitOpens: 0,
    singleFlightWaits: 0,
    singleFlightHits: 0,
  }
  let pendingCommands = 0
  const breaker = createCircuitBreaker({
    failureThreshold,
    cooldownMs,
    now,
    onChange(state) {
      if (state === 'open') counters.circuitOpens++
      emit({ type: 'circuit', state })
    },
  })
  // Concurrent L1 misses for one key share one Redis read.
  const reads = new Map<string, Promise<CachedToken | undefined>>()
  // Keys written or deleted while their Redis read was in flight: that read must not refill L1 with older data.
  const overtaken = new Set<string>()
  // Single-flight: keys whose lock this instance holds → when it took it; and how long fetches take here.
  const locksHeld = new Map<string, number>()
  let fetchEstimateMs: number | undefined

  function emit(event: RedisCacheEvent): void {
    if (onEvent === undefined) return
    try {
      onEvent(event)
    } catch {
      // A listener's bug must not break token acquisition.
    }
  }

  function keyName(key: string): string {
    // Core's keys are already SHA-256 hex; anything else is hashed so names never carry caller text.
    return keyPrefix + (hexKey.test(key) ? key : sha256Hex(`onbehalf-redis-key\n${key}`))
  }

  type Outcome<T> =
    | { readonly ok: true; readonly value: T }
    | { readonly ok: false; readonly reason: RedisFailureReason; readonly error?: unknown }

  /** Runs one command under the breaker, the pending bound and the deadline. Never rejects. */
  function run<T>(send: () => Promise<T>): Promise<Outcome<T>> {
    if (pendingCommands >= maxPendingCommands) {
      counters.skipped++
      return Promise.resolve({ ok: false, reason: 'overloaded' })
    }
    if (!breaker.allow()) {
      counters.skipped++
      return Promise.resolve({ ok: false, reason: 'circuit-open' })
    }
    let command: Promise<T>
    try {
      command = send()
    } catch (error) {
      breaker.failure()
      return Promise.resolve({ ok: false, reason: 'error', error })
    }
    pendingCommands++
    return new Promise<Outcome<T>>((resolve) => {
      let settled = false
      const timer = setTimeout(() => {
        settled = true
        counters.timeouts++
        breaker.failure()
        resolve({ ok: false, reason: 'timeout' })
      }, timeoutMs)
      // A deadline must never keep the process alive on its own.
      if (typeof timer === 'object' && typeof timer.unref === 'function') timer.unref()
      command.then(
        (value) => {
          pendingCommands--
          if (settled) return
          clearTimeout(timer)
          breaker.success()
          resolve({ ok: true, value })
        },
        (error: unknown) => {
          pendingCommands--
          if (settled) return
          clearTimeout(timer)
          breaker.failure()
          resolve({ ok: false, reason: 'error', error })
        },
      )
    })
  }

  async function readL2(key: string): Promise<CachedToken | undefined> {
    const name = keyName(key)
    const startedAt = performance.now()
    const outcome = await run(() => commands.get(name))
    if (!outcome.ok) {
      counters.readFailures++
      emit({
        type: 'read-failed',
        key: name,
        reason: outcome.reason,
        durationMs: performance.now() - startedAt,
        ...errorOf(outcome),
      })
      return undefined
    }
    const text = asText(outcome.value)
    if (text === undefined) {
      const awaited = flight === undefined ? undefined : await awaitOtherInstance(key, name, startedAt)
      // A value the wait found was already counted and reported (hit, decode failure or expired).
      if (awaited !== undefined) return awaited.value
      counters.l2Misses++
      emit({ type: 'l2-miss', key: name, durationMs: performance.now() - startedAt })
      return undefined
    }
    return use(key, name, text, startedAt)
  }

  /** Decrypts a stored value; a usable one goes into L1 and counts as an L2 hit. */
  async function use(key: string, name: string, text: string, startedAt: number): Promise<CachedToken | undefined> {
    const decoded = await codec.decode(name.slice(keyPrefix.length), text)
    if (!decoded.ok) {
      counters.decodeFailures++
      emit({
        type: 'decode-failed',
        key: name,
        reason: decoded.reason,
        durationMs: performance.now() - startedAt,
        ...(decoded.kid === undefined ? {} : { kid: decoded.kid }),
      })
      return undefined
    }
    const { value } = decoded
    const ttlMs = value.expiresAt - now()
    if (!(ttlMs > 0) && redeemable(value)) {
      // The access token expired but the provider may still redeem the refresh token (its window, counted from
      // the first exchange, is the provider's to judge). Not copied into L1: the redemption writes the new entry.
      counters.l2Hits++
      emit({ type: 'l2-hit', key: name, durationMs: performance.now() - startedAt, kid: decoded.kid })
      return value
    }
    if (!(ttlMs > 0)) {
      // Another instance's clock or a lagging expiry: an expired token is simply absent.
      counters.l2Misses++
      emit({ type: 'l2-miss', key: name, durationMs: performance.now() - startedAt, kid: decoded.kid })
      return undefined
    }
    if (!overtaken.has(key)) l1?.set(key, value, ttlMs)
    counters.l2Hits++
    emit({ type: 'l2-hit', key: name, durationMs: performance.now() - startedAt, kid: decoded.kid })
    return value
  }

  /**
   * Single-flight on an L2 miss: take the key's lock (this instance will fetch: a miss), or, when another
   * instance holds it, poll for its token within the wait budget. `undefined`: nothing found, a plain miss.
   */
  async function awaitOtherInstance(
    key: string,
    name: string,
    startedAt: number,
  ): Promise<{ readonly value: CachedToken | undefined } | undefined> {
    if (flight === undefined || commands.setIfAbsent === undefined) return undefined
    const setIfAbsent = commands.setIfAbsent.bind(commands)
    const lockName = `${name}:lock`
    const locked = await run(() => setIfAbsent(lockName, '1', flight.lockTtlMs))
    if (!locked.ok) return undefined
    if (locked.value) {
      if (locksHeld.size >= 10_000) locksHeld.delete(locksHeld.keys().next().value as string)
      locksHeld.set(key, performance.now())
      return undefined
    }
    counters.singleFlightWaits++
    const budgetMs = Math.min(flight.maxWaitMs, fetchEstimateMs ?? flight.maxWaitMs)
    emit({ type: 'single-flight-wait', key: name })
    const giveUpAt = performance.now() + budgetMs
    while (performance.now() + flight.pollMs <= giveUpAt) {
      await sleep(flight.pollMs)
      const polled = await run(() => commands.get(name))
      if (!polled.ok) return undefined
      const text = asText(polled.value)
      if (text === undefined) continue
      const value = await use(key, name, text, startedAt)
      if (value !== undefined) counters.singleFlightHits++
      return { value }
    }
    return undefined
  }

  function get(key: string): CachedToken | undefined | Promise<CachedToken | undefined> {
    const local = l1?.get(key)
    if (local !== undefined) {
      counters.l1Hits++
      if (onEvent !== undefined) emit({ type: 'l1-hit', key: keyName(key) })
      return local
    }
    let read = reads.get(key)
    if (read === undefined) {
      read = readL2(key).catch((error: unknown) => {
        // Only a bug gets here; it is still a miss for the caller.
        counters.readFailures++
        emit({ type: 'read-failed', key: keyName(key), reason: 'error', error })
        return undefined
      })
      const pending = read
      reads.set(key, pending)
      void pending.finally(() => {
        if (reads.get(key) === pending) {
          reads.delete(key)
          overtaken.delete(key)
        }
      })
    }
    return read
  }

  async function set(key: string, value: CachedToken, ttlMs: number): Promise<void> {
    // Never longer than the token lives (or, for an entry whose refresh token may still be redeemed, than the
    // provider's redemption window it asked for), and Redis wants whole milliseconds.
    const effectiveTtlMs = Math.floor(redeemable(value) ? ttlMs : Math.min(ttlMs, value.expiresAt - now()))
    if (reads.has(key)) overtaken.add(key)
    if (!(effectiveTtlMs >= 1)) {
      l1?.delete(key)
      return
    }
    l1?.set(key, value, effectiveTtlMs)
    const name = keyName(key)
    const lockedAt = locksHeld.get(key)
    if (lockedAt !== undefined) {
      locksHeld.delete(key)
      // How long this instance's token requests take bounds how long others wait for one.
      const sampleMs = performance.now() - lockedAt
      fetchEstimateMs = fetchEstimateMs === undefined ? sampleMs : fetchEstimateMs * 0.8 + sampleMs * 0.2
    }
    const startedAt = performance.now()
    let text: string
    try {
      text = await codec.encode(name.slice(keyPrefix.length), value)
    } catch (error) {
      counters.writeFailures++
      emit({ type: 'write-failed', key: name, reason: 'encrypt-failed', error })
      return
    }
    const outcome = await run(() => commands.set(name, text, effectiveTtlMs))
    if (outcome.ok) {
      counters.writes++
      emit({ type: 'write', key: name, durationMs: performance.now() - startedAt, kid: codec.currentKeyId })
      // Waiting instances poll the value, not the lock; releasing it early only helps the next miss.
      if (lockedAt !== undefined) void run(() => commands.del(`${name}:lock`))
    } else {
      counters.writeFailures++
      emit({
        type: 'write-failed',
        key: name,
        reason: outcome.reason,
        durationMs: performance.now() - startedAt,
        ...errorOf(outcome),
      })
    }
  }

  async function remove(key: string): Promise<void> {
    if (reads.has(key)) overtaken.add(key)
    l1?.delete(key)
    const name = keyName(key)
    const startedAt = performance.now()
    const outcome = await run(() => commands.del(name))
    if (outcome.ok) {
      counters.deletes++
      emit({ type: 'delete', key: name, durationMs: performance.now() - startedAt })
    } else {
      counters.deleteFailures++
      emit({
        type: 'delete-failed',
        key: name,
        reason: outcome.reason,
        durationMs: performance.now() - startedAt,
        ...errorOf(outcome),
      })
    }
  }

  return {
    get,
    set,
    delete: remove,
    keyName,
    stats: () => ({ ...counters, circuit: breaker.state, pendingCommands, l1Size: l1?.size ?? 0 }),
  }
}

function positive(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new TypeError(`${name} must be a positive number.`)
  }
  return value
}

interface SingleFlightSettings {
  readonly maxWaitMs: number
  readonly pollMs: number
  readonly lockTtlMs: number
}

function singleFlightSettings(
  value: boolean | SingleFlightOptions | undefined,
  supported: boolean,
): SingleFlightSettings | undefined {
  if (value === undefined || value === false) return undefined
  if (!supported) {
    throw new TypeError(
      'singleFlight needs redis.setIfAbsent (SET NX): use an ioredis or node-redis client, or add it.',
    )
  }
  const options = value === true ? {} : value
  return {
    maxWaitMs: positive(options.maxWaitMs, 500, 'singleFlight.maxWaitMs'),
    pollMs: positive(options.pollMs, 25, 'singleFlight.pollMs'),
    lockTtlMs: Math.ceil(positive(options.lockTtlMs, 2_000, 'singleFlight.lockTtlMs')),
  }
}

/** An entry the provider keeps past its access token's expiry for a bounded refresh-token redemption. */
function redeemable(value: CachedToken): boolean {
  return value.refreshToken !== undefined && value.firstExchangedAt !== undefined
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

function asText(value: unknown): string | undefined {
  if (typeof value === 'string') return value
  // A client configured to return bytes (node-redis type mapping, ioredis getBuffer wrappers).
  if (value instanceof Uint8Array) return new TextDecoder().decode(value)
  return undefined
}

function errorOf(outcome: { readonly error?: unknown }): { readonly error?: unknown } {
  return outcome.error === undefined ? {} : { error: outcome.error }
}
