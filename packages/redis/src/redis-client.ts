/**
 * The three Redis commands the cache needs, and adapters from the two common clients. The clients are typed
 * structurally, so neither `ioredis` nor `redis` (node-redis) is a dependency of this package.
 *
 * @module
 */

/**
 * The commands the cache sends. Implement it yourself to use another client (a cluster wrapper, a proxy, a
 * test double), or get one from {@link fromIoredis} / {@link fromNodeRedis}.
 *
 * @example
 * ```ts
 * const commands: RedisCommands = {
 *   get: (key) => client.get(key),
 *   set: (key, value, ttlMs) => client.set(key, value, 'PX', ttlMs),
 *   del: (key) => client.del(key),
 * }
 * ```
 */
export interface RedisCommands {
  /** The string at `key`, or `null`/`undefined` when absent. Bytes are decoded as UTF-8. */
  get(key: string): Promise<unknown>
  /** `SET key value PX ttlMs`. `ttlMs` is a positive integer. */
  set(key: string, value: string, ttlMs: number): Promise<unknown>
  del(key: string): Promise<unknown>
  /**
   * `SET key value PX ttlMs NX`: resolves `true` when the key was set. Only the optional cross-instance
   * single-flight uses it.
   */
  setIfAbsent?(key: string, value: string, ttlMs: number): Promise<boolean>
}

/**
 * The part of an `ioredis` client (`Redis` or `Cluster`, v5 or v6) the cache uses.
 *
 * @example
 * ```ts
 * import { Redis } from 'ioredis'
 * const client: IoredisLike = new Redis(url, { enableOfflineQueue: false, maxRetriesPerRequest: 1 })
 * ```
 */
export interface IoredisLike {
  /** ioredis's connection state (`'ready'`, `'reconnecting'`, …); also how it is recognised. */
  readonly status: string
  get(key: string): Promise<unknown>
  set(key: string, value: string, mode: 'PX', ttlMs: number): Promise<unknown>
  set(key: string, value: string, mode: 'PX', ttlMs: number, condition: 'NX'): Promise<unknown>
  del(key: string): Promise<unknown>
}

/**
 * The part of a node-redis client (`redis` / `@redis/client` v4 or v5, single node or cluster) the cache uses.
 *
 * @example
 * ```ts
 * import { createClient } from 'redis'
 * const client: NodeRedisLike = await createClient({ url, disableOfflineQueue: true }).connect()
 * ```
 */
export interface NodeRedisLike {
  /** node-redis's connection flag; also how it is recognised. */
  readonly isOpen: boolean
  get(key: string): Promise<unknown>
  set(key: string, value: string, options: { PX: number; NX?: boolean }): Promise<unknown>
  del(key: string): Promise<unknown>
}

/** Anything {@link toRedisCommands} accepts. */
export type RedisClientLike = IoredisLike | NodeRedisLike | RedisCommands

/**
 * Adapts an `ioredis` client.
 *
 * @example
 * ```ts
 * const cache = createRedisTokenCache({ redis: fromIoredis(new Redis(url)), keys })
 * ```
 */
export function fromIoredis(client: IoredisLike): RedisCommands {
  return {
    get: (key) => client.get(key),
    set: (key, value, ttlMs) => client.set(key, value, 'PX', ttlMs),
    del: (key) => client.del(key),
    setIfAbsent: async (key, value, ttlMs) => (await client.set(key, value, 'PX', ttlMs, 'NX')) === 'OK',
  }
}

/**
 * Adapts a node-redis client.
 *
 * @example
 * ```ts
 * const cache = createRedisTokenCache({ redis: fromNodeRedis(await createClient({ url }).connect()), keys })
 * ```
 */
export function fromNodeRedis(client: NodeRedisLike): RedisCommands {
  return {
    get: (key) => client.get(key),
    // `{ PX }` (rather than v5's `expiration`) is understood by node-redis 4 and 5 alike.
    set: (key, value, ttlMs) => client.set(key, value, { PX: ttlMs }),
    del: (key) => client.del(key),
    setIfAbsent: async (key, value, ttlMs) => (await client.set(key, value, { PX: ttlMs, NX: true })) === 'OK',
  }
}

/**
 * Picks the adapter for a client: node-redis is recognised by its boolean `isOpen`, ioredis by its string
 * `status`; anything else must already be {@link RedisCommands} (its `set` takes the TTL in milliseconds as
 * the third argument).
 *
 * @example
 * ```ts
 * const commands = toRedisCommands(client) // ioredis, node-redis or RedisCommands
 * ```
 */
export function toRedisCommands(client: RedisClientLike): RedisCommands {
  if (typeof client !== 'object' || client === null) {
    throw new TypeError('redis must be an ioredis client, a node-redis client or { get, set, del }.')
  }
  for (const method of ['get', 'set', 'del'] as const) {
    if (typeof client[method] !== 'function') {
      throw new TypeError(`redis must be an ioredis client, a node-redis client or { get, set, del }: no ${method}().`)
    }
  }
  if ('isOpen' in client && typeof client.isOpen === 'boolean') return fromNodeRedis(client)
  if ('status' in client && typeof client.status === 'string') return fromIoredis(client)
  return client as RedisCommands
}
