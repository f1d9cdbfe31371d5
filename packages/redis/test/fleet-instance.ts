/**
 * One instance of a fleet on a real Redis, as the fleet tests open it: a command connection and a subscriber,
 * a cache with L1 invalidation over pub/sub, and its subscription checked before the test goes on.
 */
import { expect } from 'vitest'
import type { NodeRedisClient, TestClient } from '@onbehalf/test-kit/redis-clients'
import type { Redis } from 'ioredis'
import { createRedisTokenCache } from '../src/index.ts'
import type { CacheEncryptionKey, RedisCacheEvent, RedisTokenCache } from '../src/index.ts'

/** How to open one instance; its two clients are added to `open` for the suite to close. */
export interface FleetInstanceOptions<Client> {
  readonly connect: (port: number, options?: { subscriber?: boolean }) => Promise<TestClient<Client>>
  readonly port: number
  /** Where the subscriber connects (a proxy in front of Redis, say). Default `port`. */
  readonly subscriberPort?: number
  readonly keys: readonly CacheEncryptionKey[]
  readonly keyPrefix: string
  readonly open: TestClient[]
  readonly onEvent?: (event: RedisCacheEvent) => void
}

/**
 * Opens an instance and waits until its invalidation subscription is active.
 *
 * @example
 * ```ts
 * const { cache } = await openFleetInstance({ connect: connectIoredis, port, keys, keyPrefix: 'fleet:', open })
 * ```
 */
export async function openFleetInstance<Client extends Redis | NodeRedisClient>(
  options: FleetInstanceOptions<Client>,
): Promise<{ readonly cache: RedisTokenCache; readonly subscriber: Client }> {
  const commands = await options.connect(options.port)
  const subscriber = await options.connect(options.subscriberPort ?? options.port, { subscriber: true })
  options.open.push(commands, subscriber)
  const cache = createRedisTokenCache({
    redis: commands.client,
    subscriber: subscriber.client,
    keys: options.keys,
    keyPrefix: options.keyPrefix,
    timeoutMs: 2_000,
    ...(options.onEvent === undefined ? {} : { onEvent: options.onEvent }),
  })
  expect(await cache.listening).toBe(true)
  return { cache, subscriber: subscriber.client }
}
