/**
 * Redis for the suite: the workspace's one redis-server launcher (free loopback port, no persistence, stopped
 * and restarted by pid: the soak run restarts it under traffic) and a dump of what was stored, for the secret scan.
 *
 * @module
 */
import type { Redis } from 'ioredis'

export { startRedisServer as startTestRedis, type RedisServer as TestRedis } from '@onbehalf/test-kit/redis-server'

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
      // Token entries are strings; a user index (evictUser) is a set of keyed hashes: read each as it is.
      const type = await client.type(key)
      const value =
        type === 'set' ? (await client.smembers(key)).join(' ') : type === 'string' ? await client.get(key) : null
      if (value !== null) entries.set(key, value)
    }
  } while (cursor !== '0')
  return entries
}
