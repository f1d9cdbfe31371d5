/**
 * A throw-away `redis-server` for the suite: a free loopback port, no persistence, stopped by its own pid and
 * restartable on the same port (the soak run restarts it under traffic), plus the clients the suite uses.
 *
 * @module
 */
import { Redis } from 'ioredis'

// One launcher for every suite that needs a real Redis: @onbehalf/redis's own test helper (free loopback port,
// `--save ""`, stop / restart / freeze by pid; fails clearly when redis-server is missing).
export {
  startRedisServer as startTestRedis,
  type RedisServer as TestRedis,
} from '../../../packages/redis/test/redis-server.ts'

/**
 * An ioredis client set up as `@onbehalf/redis` recommends: no offline queue, one retry, reconnect every
 * 100 ms, errors observed (a stopped server is expected in the soak run).
 *
 * @example
 * ```ts
 * const client = await connectIoredis(redis.port)
 * client.disconnect()
 * ```
 */
export async function connectIoredis(port: number): Promise<Redis> {
  const client = new Redis({
    host: '127.0.0.1',
    port,
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    retryStrategy: () => 100,
  })
  client.on('error', () => undefined)
  await client.connect()
  return client
}

/**
 * Every key and raw value in the Redis database, for the secret scan.
 *
 * @example
 * ```ts
 * for (const [key, value] of await dumpRedis(client)) scanner.record('redis', `${key} ${value}`)
 * ```
 */
export async function dumpRedis(client: Redis): Promise<Map<string, string>> {
  const entries = new Map<string, string>()
  let cursor = '0'
  do {
    const [next, keys] = await client.scan(cursor, 'COUNT', 500)
    cursor = next
    for (const key of keys) {
      const value = await client.get(key)
      if (value !== null) entries.set(key, value)
    }
  } while (cursor !== '0')
  return entries
}
