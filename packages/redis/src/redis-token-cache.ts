/**
 * The two-level token cache: core's memory LRU (L1) in front of Redis (L2), values encrypted at rest, and a
 * failure policy under which a slow or dead Redis costs at most one deadline per read, then nothing.
 *
 * @module
 */
import { randomUUID } from 'node:crypto'
import { createMemoryTokenCache, oboDiagnostics } from '@onbehalf/core'
import { sha256Base64Url } from '@onbehalf/core/engine'
import type { CacheDiagnostic, CachedToken, MemoryTokenCache, TokenCache, TokenCacheContext } from '@onbehalf/core'
import type { CircuitState } from './circuit-breaker.ts'
import { createTokenCodec } from './codec.ts'
import type { CacheEncryptionKey, DecodeFailure } from './codec.ts'
import { createCommandRunner } from './command-runner.ts'
import type { CommandOutcome, RedisFailureReason } from './command-runner.ts'
import { createCrossInstanceLock } from './cross-instance-lock.ts'
import type { SingleFlightOptions } from './cross-instance-lock.ts'
import { createEntryVersions } from './entry-versions.ts'
import { subscribe } from './invalidation.ts'
import type { RedisSubscriberLike } from './invalidation.ts'
import { positive } from './positive-option.ts'
import { toRedisCommands } from './redis-client.ts'
import type { RedisClientLike, RedisCommands } from './redis-client.ts'
import { createUserIndex } from './user-index.ts'
import type { CachedUser } from './user-index.ts'

export type { RedisFailureReason } from './command-runner.ts'
export type { SingleFlightOptions } from './cross-instance-lock.ts'
export type { CachedUser } from './user-index.ts'

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
  /** Another instance replaced or deleted entries: they left this instance's L1. */
  | 'invalidated'
  /** The subscriber connection came back after a drop: messages may have been lost, so L1 was emptied. */
  | 'l1-reset'
  /** `evictUser` finished: `entries` says how many Redis entries it removed. */
  | 'evict'
  /** `evictUser` could not list or delete everything: see `reason`. */
  | 'evict-failed'
  /**
   * The subscription for L1 invalidation failed (at start, or again after a reconnect: L1 is emptied and the next
   * reconnect tries again): see `error`.
   */
  | 'subscribe-failed'

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
  /** For `invalidated` and `evict`: how many entries. */
  readonly entries?: number
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
  /** Estimated bytes held in L1 (strings plus a fixed per-entry overhead; see core's `MemoryTokenCache.bytes`). */
  readonly l1Bytes: number
  /** Single-flight: misses that found another instance fetching and waited for it. */
  readonly singleFlightWaits: number
  /** Single-flight: waits that ended with the other instance's token (an L2 hit, also counted in `l2Hits`). */
  readonly singleFlightHits: number
  /** Invalidation messages this instance published (one per write or delete, one per `evictUser`). */
  readonly invalidationsSent: number
  /** Invalidation messages from other instances applied to L1. */
  readonly invalidationsReceived: number
  /** Times L1 was emptied because the subscriber connection had dropped. */
  readonly l1Resets: number
  /** Redis entries removed by `evictUser`. */
  readonly evictedEntries: number
}

/** What {@link RedisTokenCache.evictUser} did. */
export interface EvictUserResult {
  /** Redis entries of the user that were found in the index and deleted. */
  readonly entries: number
  /** `false` when Redis failed while listing or deleting: call again. */
  readonly complete: boolean
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
   * The L1 memory cache. Default: a new `createMemoryTokenCache({ maxEntries: 10_000, maxBytes: 32 MiB })`. Pass one to share
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
  /**
   * A second, dedicated client for L1 invalidation over pub/sub (`redis.duplicate()`; a subscribed connection
   * can send nothing else). With it, every write, delete and `evictUser` is published, and every instance drops
   * those entries from its L1; after its connection drops and returns, an instance empties its L1. Without it,
   * another instance's L1 keeps a replaced token until it expires.
   */
  readonly subscriber?: RedisSubscriberLike
  /** Events for logs and metrics. A throwing listener is ignored. */
  readonly onEvent?: (event: RedisCacheEvent) => void
  /** The clock, for tests. Default `Date.now`. */
  readonly now?: () => number
}

/** A {@link TokenCache} over Redis with counters. */
export interface RedisTokenCache extends TokenCache {
  /**
   * An L1 hit answers synchronously; otherwise a promise that never rejects (a failure is a miss). With a
   * `context` (the token provider always passes one), the L2 value is opened with the key derived from the
   * user's assertion; without one, only values written without one are readable.
   */
  get(key: string, context?: TokenCacheContext): CachedToken | undefined | Promise<CachedToken | undefined>
  /**
   * Writes L1 at once and Redis within the deadline; never rejects (a failure is an event). With a `context`,
   * the L2 value is sealed per user.
   */
  set(key: string, value: CachedToken, ttlMs: number, context?: TokenCacheContext): Promise<void>
  /** Deletes from L1 and Redis; never rejects. */
  delete(key: string, context?: TokenCacheContext): Promise<void>
  stats(): RedisCacheStats
  /** The Redis key name an entry is stored under: prefix + `{hash}` (a Redis Cluster hash tag). */
  keyName(key: string): string
  /**
   * Drops every cached token of a user — in Redis, in this L1, and (with `subscriber`) in every instance's L1 —
   * for revocation, offboarding or a CAE user-risk event. Entries are found through a per-user index stored
   * under an HMAC of the tenant and object ID (never the IDs). Never rejects.
   */
  evictUser(user: CachedUser): Promise<EvictUserResult>
  /** Resolves `true` once the invalidation subscription is active, `false` without `subscriber` or on failure. */
  readonly listening: Promise<boolean>
}

/**
 * {@link RedisTokenCacheOptions} with a hand-written adapter as `redis`. It is the first overload of
 * {@link createRedisTokenCache}, so the adapter's functions get their parameter types from {@link RedisCommands}
 * (against the union of the three client shapes, TypeScript could type none of them).
 *
 * @example
 * ```ts
 * createRedisTokenCache({
 *   redis: { get: (key) => my.get(key), set: (key, value, ttlMs) => my.setPx(key, value, ttlMs), del: (key) => my.del(key) },
 *   keys,
 * })
 * ```
 */
export interface RedisCommandsTokenCacheOptions extends Omit<RedisTokenCacheOptions, 'redis'> {
  readonly redis: RedisCommands
}

/** Core's cache keys: 43 base64url characters of a SHA-256. */
const coreKey = /^[A-Za-z0-9_-]{43}$/
/** L1's default byte budget: 32 MiB, about 10,000 entries of 3 KB (L2 holds the rest). */
const defaultL1MaxBytes = 32 * 1024 * 1024
/** How many entries' newest versions the rollback guard remembers. */
const maxVersionsTracked = 10_000

/**
 * Creates a two-level token cache: memory (L1) in front of Redis (L2), AES-256-GCM at rest, sealed per user.
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
export function createRedisTokenCache(options: RedisCommandsTokenCacheOptions): RedisTokenCache
export function createRedisTokenCache(options: RedisTokenCacheOptions): RedisTokenCache
export function createRedisTokenCache(options: RedisTokenCacheOptions): RedisTokenCache {
  if (typeof options !== 'object' || options === null) throw new TypeError('options must be an object.')
  const commands = toRedisCommands(options.redis)
  const codec = createTokenCodec(options.keys)
  const keyPrefix = options.keyPrefix ?? 'onbehalf:token:'
  if (typeof keyPrefix !== 'string' || keyPrefix.length > 256) {
    throw new TypeError('keyPrefix must be a string of at most 256 characters.')
  }
  const now = options.now ?? Date.now
  const onEvent = options.onEvent
  const runner = createCommandRunner({
    timeoutMs: positive(options.timeoutMs, 100, 'timeoutMs'),
    failureThreshold: positive(options.failureThreshold, 5, 'failureThreshold'),
    cooldownMs: positive(options.cooldownMs, 5_000, 'cooldownMs'),
    maxPendingCommands: positive(options.maxPendingCommands, 1_000, 'maxPendingCommands'),
    now,
    onCircuit: (state) => emit({ type: 'circuit', state }),
  })
  const l1 =
    options.l1 === false
      ? undefined
      : (options.l1 ?? createMemoryTokenCache({ maxEntries: 10_000, maxBytes: defaultL1MaxBytes, now }))
  const lock = createCrossInstanceLock(options.singleFlight, commands, runner, asText)
  const versions = createEntryVersions(maxVersionsTracked, now)
  const userIndex = createUserIndex(options.keys)
  const channel = `${keyPrefix}invalidate`
  // Tells this instance's own messages apart: they must not drop what it has just written.
  const instanceId = randomUUID()

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
    singleFlightWaits: 0,
    singleFlightHits: 0,
    invalidationsSent: 0,
    invalidationsReceived: 0,
    l1Resets: 0,
    evictedEntries: 0,
  }
  // Concurrent L1 misses for one key share one Redis read.
  const reads = new Map<string, Promise<CachedToken | undefined>>()
  // Keys written or deleted while their Redis read was in flight: that read must not refill L1 with older data.
  const overtaken = new Set<string>()

  function emit(event: RedisCacheEvent): void {
    if (oboDiagnostics.hasSubscribers) publishHealth(event)
    if (onEvent === undefined) return
    try {
      onEvent(event)
    } catch {
      // A listener's bug must not break token acquisition.
    }
  }

  /** The hashed id of an entry: core's keys are already SHA-256 (base64url); anything else is hashed. */
  function entryId(key: string): string {
    return coreKey.test(key) ? key : sha256Base64Url(`onbehalf-redis-key\n${key}`)
  }

  function keyName(key: string): string {
    return nameOf(entryId(key))
  }

  function nameOf(id: string): string {
    // The braces are a Redis Cluster hash tag: an entry and its lock hash to one slot.
    return `${keyPrefix}{${id}}`
  }

  function indexName(tag: string): string {
    return `${keyPrefix}user:{${tag}}`
  }

  /** Drops entries from L1 on behalf of another instance (or an eviction). */
  function forget(ids: readonly string[]): void {
    for (const id of ids) {
      if (reads.has(id)) overtaken.add(id)
      l1?.delete(id)
    }
  }

  /** Tells the other instances to drop these entries from their L1. Best effort: a lost message ages out. */
  function announce(ids: readonly string[]): void {
    const publish = commands.publish?.bind(commands)
    if (options.subscriber === undefined || publish === undefined || ids.length === 0) return
    counters.invalidationsSent++
    void runner.run(() => publish(channel, JSON.stringify({ i: instanceId, k: ids })))
  }

  function received(message: string): void {
    let parsed: unknown
    try {
      parsed = JSON.parse(message)
    } catch {
      return
    }
    if (typeof parsed !== 'object' || parsed === null) return
    const { i, k } = parsed as { i?: unknown; k?: unknown }
    if (i === instanceId || !Array.isArray(k)) return
    const ids = k.filter((id): id is string => typeof id === 'string' && coreKey.test(id)).slice(0, 100_000)
    forget(ids)
    counters.invalidationsReceived++
    emit({ type: 'invalidated', entries: ids.length })
  }

  const listening =
    options.subscriber === undefined
      ? Promise.resolve(false)
      : subscribe(options.subscriber, channel, received, (error) => {
          // Messages sent while the connection was down are lost: nothing in L1 can be trusted any more.
          l1?.clear()
          counters.l1Resets++
          emit({ type: 'l1-reset' })
          if (error !== undefined) emit({ type: 'subscribe-failed', error })
        }).then(
          () => true,
          (error: unknown) => {
            emit({ type: 'subscribe-failed', error })
            return false
          },
        )

  async function readL2(key: string, context: TokenCacheContext | undefined): Promise<CachedToken | undefined> {
    const name = keyName(key)
    const startedAt = performance.now()
    const outcome = await runner.run(() => commands.get(name))
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
      const awaited = lock === undefined ? undefined : await awaitOtherInstance(key, name, context, startedAt)
      // A value the wait found was already counted and reported (hit, decode failure or expired).
      if (awaited !== undefined) return awaited.value
      counters.l2Misses++
      emit({ type: 'l2-miss', key: name, durationMs: performance.now() - startedAt })
      return undefined
    }
    return use(key, name, text, context, startedAt)
  }

  /** Decrypts a stored value; a usable one goes into L1 and counts as an L2 hit. */
  function use(
    key: string,
    name: string,
    text: string,
    context: TokenCacheContext | undefined,
    startedAt: number,
  ): CachedToken | undefined {
    const decoded = codec.decode(entryId(key), text, context?.userAssertion)
    // A read this instance overtook with its own write got what was current when it asked: no rollback.
    if (!decoded.ok || (versions.isRollback(key, decoded.version) && !overtaken.has(key))) {
      const reason = decoded.ok ? 'rolled-back' : decoded.reason
      counters.decodeFailures++
      emit({
        type: 'decode-failed',
        key: name,
        reason,
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
    versions.saw(key, decoded.version)
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
    context: TokenCacheContext | undefined,
    startedAt: number,
  ): Promise<{ readonly value: CachedToken | undefined } | undefined> {
    if (lock === undefined) return undefined
    const acquired = await lock.acquire(key, `${name}:lock`)
    if (acquired === 'held') {
      // The lock may be free because its last holder has just written the token and released it, after this
      // instance's read missed: look once more before fetching a second token for the same key.
      const again = await runner.run(() => commands.get(name))
      const text = again.ok ? asText(again.value) : undefined
      if (text === undefined) return undefined
      lock.release(key)
      void runner.run(() => commands.del(`${name}:lock`))
      return { value: use(key, name, text, context, startedAt) }
    }
    if (acquired !== 'other') return undefined
    counters.singleFlightWaits++
    emit({ type: 'single-flight-wait', key: name })
    const text = await lock.awaitValue(name)
    if (text === undefined) return undefined
    const value = use(key, name, text, context, startedAt)
    if (value !== undefined) counters.singleFlightHits++
    return { value }
  }

  function get(key: string, context?: TokenCacheContext): CachedToken | undefined | Promise<CachedToken | undefined> {
    const local = l1?.get(key)
    if (local !== undefined) {
      counters.l1Hits++
      if (onEvent !== undefined) emit({ type: 'l1-hit', key: keyName(key) })
      return local
    }
    let read = reads.get(key)
    if (read === undefined) {
      read = readL2(key, context).catch((error: unknown) => {
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

  async function set(key: string, value: CachedToken, ttlMs: number, context?: TokenCacheContext): Promise<void> {
    // Never longer than the token lives (or, for an entry whose refresh token may still be redeemed, than the
    // provider's redemption window it asked for), and Redis wants whole milliseconds.
    const effectiveTtlMs = Math.floor(redeemable(value) ? ttlMs : Math.min(ttlMs, value.expiresAt - now()))
    if (reads.has(key)) overtaken.add(key)
    if (!(effectiveTtlMs >= 1)) {
      l1?.delete(key)
      return
    }
    l1?.set(key, value, effectiveTtlMs)
    const id = entryId(key)
    const name = nameOf(id)
    const heldLock = lock?.written(key) === true
    const startedAt = performance.now()
    // A replacement gets a version after every one seen here, so the value it replaces reads as a rollback.
    const version = versions.next(key)
    versions.saw(key, version)
    let text: string
    try {
      text = codec.encode(id, value, { version, userAssertion: context?.userAssertion })
    } catch (error) {
      counters.writeFailures++
      emit({ type: 'write-failed', key: name, reason: 'encrypt-failed', error })
      return
    }
    // Indexed before it is written: an eviction that lists the index after this point finds the entry.
    const tag = context === undefined ? undefined : userIndex.tagOf(context)
    const indexAdd = commands.indexAdd?.bind(commands)
    if (tag !== undefined && indexAdd !== undefined) {
      await runner.run(() => indexAdd(indexName(tag), id, effectiveTtlMs))
    }
    const outcome = await runner.run(() => commands.set(name, text, effectiveTtlMs))
    announce([id])
    if (outcome.ok) {
      counters.writes++
      emit({ type: 'write', key: name, durationMs: performance.now() - startedAt, kid: codec.currentKeyId })
      // Waiting instances poll the value, not the lock; releasing it early only helps the next miss.
      if (heldLock) void runner.run(() => commands.del(`${name}:lock`))
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
    const outcome = await runner.run(() => commands.del(name))
    announce([entryId(key)])
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

  async function evictUser(user: CachedUser): Promise<EvictUserResult> {
    if (typeof user !== 'object' || user === null) throw new TypeError('evictUser needs { tenantId, oid }.')
    for (const field of ['tenantId', 'oid'] as const) {
      if (typeof user[field] !== 'string' || user[field] === '') {
        throw new TypeError(`evictUser: ${field} must be a non-empty string (the user's home tenant and object ID).`)
      }
    }
    const indexMembers = commands.indexMembers?.bind(commands)
    if (indexMembers === undefined) {
      throw new TypeError('evictUser needs redis.indexMembers (SMEMBERS): use an ioredis or node-redis client.')
    }
    const startedAt = performance.now()
    const evicted: string[] = []
    let complete = true
    for (const tag of userIndex.tagsFor(user)) {
      const listed = await runner.run(() => indexMembers(indexName(tag)))
      if (!listed.ok) {
        complete = false
        emit({ type: 'evict-failed', reason: listed.reason, ...errorOf(listed) })
        continue
      }
      const ids = listed.value.filter((id) => coreKey.test(id))
      forget(ids)
      const deleted = await Promise.all(ids.map((id) => runner.run(() => commands.del(nameOf(id)))))
      for (const [n, outcome] of deleted.entries()) {
        if (outcome.ok) evicted.push(ids[n] as string)
        else complete = false
      }
      // The index goes only when every entry went: a failed delete is found again by the next call.
      if (deleted.every((outcome) => outcome.ok)) await runner.run(() => commands.del(indexName(tag)))
      announce(ids)
    }
    counters.evictedEntries += evicted.length
    emit({ type: 'evict', entries: evicted.length, durationMs: performance.now() - startedAt })
    return { entries: evicted.length, complete }
  }

  return {
    get,
    set,
    delete: remove,
    keyName,
    evictUser,
    listening,
    stats: () => ({
      ...counters,
      timeouts: runner.timeouts,
      skipped: runner.skipped,
      circuitOpens: runner.circuitOpens,
      circuit: runner.circuit,
      pendingCommands: runner.pendingCommands,
      l1Size: l1?.size ?? 0,
      l1Bytes: l1?.bytes ?? 0,
    }),
  }
}

/** An entry the provider keeps past its access token's expiry for a bounded refresh-token redemption. */
function redeemable(value: CachedToken): boolean {
  return value.refreshToken !== undefined && value.firstExchangedAt !== undefined
}

function asText(value: unknown): string | undefined {
  if (typeof value === 'string') return value
  // A client configured to return bytes (node-redis type mapping, ioredis getBuffer wrappers).
  if (value instanceof Uint8Array) return new TextDecoder().decode(value)
  return undefined
}

function errorOf(outcome: CommandOutcome<unknown>): { readonly error?: unknown } {
  return outcome.ok || outcome.error === undefined ? {} : { error: outcome.error }
}

const healthEvents = new Set<string>(['read-failed', 'write-failed', 'delete-failed', 'decode-failed', 'circuit'])

/** Redis health on core's process-wide diagnostics channel (failures and breaker changes only, no key). */
function publishHealth(event: RedisCacheEvent): void {
  if (!healthEvents.has(event.type)) return
  oboDiagnostics.publish({
    type: 'cache',
    cache: 'redis',
    event: event.type as CacheDiagnostic['event'],
    ...(typeof event.reason === 'string' ? { reason: event.reason } : {}),
    ...(event.state === undefined ? {} : { state: event.state }),
  })
}
