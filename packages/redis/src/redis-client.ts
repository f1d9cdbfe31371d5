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
  /**
   * `SADD key member`, then make `key` live at least `ttlMs` (never shorter than it already does), in one
   * script. Only `evictUser`'s per-user index uses it.
   */
  indexAdd?(key: string, member: string, ttlMs: number): Promise<unknown>
  /** `SMEMBERS key`. Only `evictUser` uses it. */
  indexMembers?(key: string): Promise<readonly string[]>
  /** `PUBLISH channel message`: L1 invalidation across instances. */
  publish?(channel: string, message: string): Promise<unknown>
}

/** Adds `ARGV[1]` to the set `KEYS[1]` and extends (never shortens) its life to `ARGV[2]` ms. */
const indexAddScript = `redis.call('SADD', KEYS[1], ARGV[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < tonumber(ARGV[2]) then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 1`

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
  eval?(script: string, numKeys: number, ...args: string[]): Promise<unknown>
  smembers?(key: string): Promise<string[]>
  publish?(channel: string, message: string): Promise<unknown>
  /** ioredis's `EventEmitter`: a command sent while the first connection is being made waits for `'ready'`. */
  once?(event: 'ready' | 'close' | 'end', listener: () => void): unknown
  off?(event: 'ready' | 'close' | 'end', listener: () => void): unknown
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
  eval?(script: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>
  sMembers?(key: string): Promise<unknown>
  publish?(channel: string, message: string): Promise<unknown>
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
  const ready = readiness(client)
  /** Runs `command` now, or once the first connection is up (see {@link readiness}). */
  const send = <T>(command: () => Promise<T>): Promise<T> => {
    const waiting = ready()
    return waiting === undefined ? command() : waiting.then(command)
  }
  const evalScript = client.eval?.bind(client)
  const smembers = client.smembers?.bind(client)
  const publish = client.publish?.bind(client)
  return {
    get: (key) => send(() => client.get(key)),
    set: (key, value, ttlMs) => send(() => client.set(key, value, 'PX', ttlMs)),
    del: (key) => send(() => client.del(key)),
    setIfAbsent: async (key, value, ttlMs) => (await send(() => client.set(key, value, 'PX', ttlMs, 'NX'))) === 'OK',
    ...(evalScript === undefined
      ? {}
      : {
          indexAdd: (key, member, ttlMs) => send(() => evalScript(indexAddScript, 1, key, member, String(ttlMs))),
        }),
    ...(smembers === undefined ? {} : { indexMembers: (key) => send(() => smembers(key)) }),
    ...(publish === undefined ? {} : { publish: (channel, message) => send(() => publish(channel, message)) }),
  }
}

/** ioredis's states while its first connection is being made; a later outage is `'reconnecting'`. */
const connectingStates = new Set(['connecting', 'connect'])

/**
 * With `enableOfflineQueue: false` (the recommended setting), ioredis rejects every command sent before its first
 * connection is ready, so the first reads after start would fail and be reported although nothing is wrong.
 * While the client is still connecting, commands wait for `'ready'` (or for the attempt to fail: `'close'`,
 * `'end'`), within the cache's command deadline. One shared wait per connection attempt, so a burst of commands
 * adds three listeners, not three per command. A reconnecting client is not waited for: an outage fails fast.
 */
function readiness(client: IoredisLike): () => Promise<void> | undefined {
  let waiting: Promise<void> | undefined
  return () => {
    if (waiting !== undefined) return waiting
    const once = client.once?.bind(client)
    const off = client.off?.bind(client)
    if (!connectingStates.has(client.status) || once === undefined || off === undefined) return undefined
    waiting = new Promise<void>((resolve) => {
      const settle = (): void => {
        for (const event of ['ready', 'close', 'end'] as const) off(event, settle)
        waiting = undefined
        resolve()
      }
      for (const event of ['ready', 'close', 'end'] as const) once(event, settle)
    })
    return waiting
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
  const evalScript = client.eval?.bind(client)
  const sMembers = client.sMembers?.bind(client)
  const publish = client.publish?.bind(client)
  return {
    get: (key) => client.get(key),
    // `{ PX }` (rather than v5's `expiration`) is understood by node-redis 4 and 5 alike.
    set: (key, value, ttlMs) => client.set(key, value, { PX: ttlMs }),
    del: (key) => client.del(key),
    setIfAbsent: async (key, value, ttlMs) => (await client.set(key, value, { PX: ttlMs, NX: true })) === 'OK',
    ...(evalScript === undefined
      ? {}
      : {
          indexAdd: (key, member, ttlMs) =>
            evalScript(indexAddScript, { keys: [key], arguments: [member, String(ttlMs)] }),
        }),
    ...(sMembers === undefined ? {} : { indexMembers: async (key) => strings(await sMembers(key)) }),
    ...(publish === undefined ? {} : { publish }),
  }
}

function strings(value: unknown): readonly string[] {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : []
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
