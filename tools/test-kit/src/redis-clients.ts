/**
 * Real Redis clients for the tests, configured the way @onbehalf/redis's README recommends (no offline queue,
 * fail fast, reconnect every 100 ms, errors observed: a stopped server is expected in several suites).
 *
 * @module
 */
import { Redis } from 'ioredis'
import { createClient } from 'redis'

/** A node-redis client as `createClient()` returns it. */
export type NodeRedisClient = ReturnType<typeof createClient>

/** A connected client and how to close it. */
export interface TestClient<Client = Redis | NodeRedisClient> {
  readonly kind: 'ioredis' | 'node-redis'
  readonly client: Client
  close(): Promise<void>
}

/**
 * An ioredis connection to the loopback server on `port`.
 *
 * @example
 * ```ts
 * const { client, close } = await connectIoredis(redis.port) // { subscriber: true } keeps the offline queue
 * await close()
 * ```
 */
export async function connectIoredis(port: number, options: { subscriber?: boolean } = {}): Promise<TestClient<Redis>> {
  const client = new Redis({
    host: '127.0.0.1',
    port,
    lazyConnect: true,
    // A subscriber keeps its offline queue: ioredis re-subscribes through it after a reconnect.
    enableOfflineQueue: options.subscriber === true,
    maxRetriesPerRequest: 1,
    retryStrategy: () => 100,
  })
  // ioredis logs unhandled connection errors; the cache reports failed commands itself.
  client.on('error', () => undefined)
  await client.connect()
  return {
    kind: 'ioredis',
    client,
    close: async () => {
      client.disconnect()
    },
  }
}

/**
 * A node-redis connection to the loopback server on `port`.
 *
 * @example
 * ```ts
 * const { client, close } = await connectNodeRedis(redis.port)
 * ```
 */
export async function connectNodeRedis(
  port: number,
  _options: { subscriber?: boolean } = {},
): Promise<TestClient<NodeRedisClient>> {
  const client = createClient({
    url: `redis://127.0.0.1:${port}`,
    disableOfflineQueue: true,
    socket: { reconnectStrategy: () => 100, connectTimeout: 1_000 },
  })
  // node-redis throws from its emitter without an error listener.
  client.on('error', () => undefined)
  await client.connect()
  return {
    kind: 'node-redis',
    client,
    close: async () => {
      client.destroy()
    },
  }
}

/** Both client libraries, for suites that run once per client (`describe.each(clientKinds)`). */
export const clientKinds = [
  ['ioredis', connectIoredis],
  ['node-redis', connectNodeRedis],
] as const

/** A plain ioredis connection for looking at what the cache stored. */
export function inspector(port: number): Redis {
  return new Redis({ host: '127.0.0.1', port, maxRetriesPerRequest: 1 })
}
