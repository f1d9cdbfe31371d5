import { randomBytes } from 'node:crypto'
import { sha256Hex } from '@onbehalf/core/engine'
import type { CachedToken } from '@onbehalf/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createRedisTokenCache } from '../src/index.ts'
import type { RedisCacheEvent, RedisTokenCache } from '../src/index.ts'
import { clientKinds } from '@onbehalf/test-kit/redis-clients'
import type { TestClient } from '@onbehalf/test-kit/redis-clients'
import { startRedisServer } from '@onbehalf/test-kit/redis-server'
import type { RedisServer } from '@onbehalf/test-kit/redis-server'

const keys = [{ id: 'k1', key: new Uint8Array(randomBytes(32)) }]
const newKey = (): string => sha256Hex(randomBytes(16).toString('hex'))
const token = (): CachedToken => ({
  accessToken: `at-${randomBytes(8).toString('hex')}`,
  tokenType: 'Bearer',
  expiresAt: Date.now() + 3_600_000,
})

async function timed<T>(work: () => T | Promise<T>): Promise<{ value: T; ms: number }> {
  const startedAt = performance.now()
  const value = await work()
  return { value, ms: performance.now() - startedAt }
}

/** Reads until the cache reaches Redis again (the client reconnects on its own schedule). */
async function until(condition: () => Promise<boolean>, limitMs: number): Promise<void> {
  const deadline = Date.now() + limitMs
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${limitMs} ms`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

describe.each(clientKinds)('failure policy with %s', (_kind, connect) => {
  let server: RedisServer
  let client: TestClient
  let events: RedisCacheEvent[]
  let cache: RedisTokenCache

  beforeAll(async () => {
    server = await startRedisServer()
    client = await connect(server.port)
    events = []
    cache = createRedisTokenCache({
      redis: client.client,
      keys,
      timeoutMs: 250,
      failureThreshold: 3,
      cooldownMs: 300,
      onEvent: (event) => events.push(event),
    })
  })
  afterAll(async () => {
    await client.close()
    await server.stop()
  })

  it('a hung Redis costs one deadline per read, then the open circuit costs nothing; it recovers', async () => {
    const kept = newKey()
    const keptValue = token()
    await cache.set(kept, keptValue, 3_600_000)
    server.freeze()
    events.length = 0

    for (let i = 0; i < 3; i++) {
      const { value, ms } = await timed(() => cache.get(newKey()))
      expect(value).toBeUndefined()
      expect(ms).toBeGreaterThanOrEqual(240)
      expect(ms).toBeLessThan(2_000)
    }
    expect(cache.stats()).toMatchObject({ circuit: 'open', timeouts: 3, circuitOpens: 1 })

    const skipped = await timed(() => cache.get(newKey()))
    expect(skipped.value).toBeUndefined()
    // Not asked at all: no deadline wait (the event below says why).
    expect(skipped.ms).toBeLessThan(240)
    // Writes are dropped (reported), and L1 still serves what it holds.
    await cache.set(newKey(), token(), 3_600_000)
    expect(cache.get(kept)).toEqual(keptValue)
    expect(events.map((event) => [event.type, event.reason ?? event.state])).toEqual([
      ['read-failed', 'timeout'],
      ['read-failed', 'timeout'],
      // The breaker reports opening as the third timeout is counted, before that read's own event.
      ['circuit', 'open'],
      ['read-failed', 'timeout'],
      ['read-failed', 'circuit-open'],
      ['write-failed', 'circuit-open'],
      ['l1-hit', undefined],
    ])

    server.thaw()
    await new Promise((resolve) => setTimeout(resolve, 350))
    const probeKey = newKey()
    await cache.set(probeKey, token(), 3_600_000)
    expect(cache.stats().circuit).toBe('closed')
    const otherInstance = createRedisTokenCache({ redis: client.client, keys })
    expect(await otherInstance.get(probeKey)).toBeDefined()
  })

  it('a stopped Redis makes reads fast misses; after a restart the same cache reaches it again', async () => {
    const before = cache.stats()
    await server.stop('SIGKILL')
    events.length = 0
    for (let i = 0; i < 5; i++) {
      const { value, ms } = await timed(() => cache.get(newKey()))
      expect(value).toBeUndefined()
      expect(ms).toBeLessThan(240)
    }
    // With the offline queue off, a disconnected client fails at once: no read waited for the deadline.
    expect(events.filter((event) => event.type === 'read-failed').map((event) => event.reason)).toEqual([
      'error',
      'error',
      'error',
      'circuit-open',
      'circuit-open',
    ])
    const during = cache.stats()
    expect(during.circuit).toBe('open')
    expect(during.readFailures - before.readFailures).toBe(5)
    expect(during.skipped).toBeGreaterThan(before.skipped)

    await server.restart()
    const key = newKey()
    const value = token()
    // The restarted Redis is empty; once the client has reconnected and the breaker's probe passed, writes land.
    await until(async () => {
      await cache.set(key, value, 3_600_000)
      return cache.stats().circuit === 'closed' && cache.stats().writes > during.writes
    }, 5_000)
    const otherInstance = createRedisTokenCache({ redis: client.client, keys })
    expect(await otherInstance.get(key)).toEqual(value)
    const reader = newKey()
    await otherInstance.set(reader, value, 3_600_000)
    expect(await cache.get(reader)).toEqual(value)
  })

  it('bounds the commands waiting on a hung Redis', async () => {
    const bounded = createRedisTokenCache({
      redis: client.client,
      keys,
      timeoutMs: 100,
      failureThreshold: 100,
      maxPendingCommands: 2,
      onEvent: (event) => events.push(event),
    })
    server.freeze()
    events.length = 0
    try {
      const reads = await Promise.all(Array.from({ length: 5 }, () => Promise.resolve(bounded.get(newKey()))))
      expect(reads).toEqual([undefined, undefined, undefined, undefined, undefined])
      const reasons = events.map((event) => event.reason).sort()
      expect(reasons).toEqual(['overloaded', 'overloaded', 'overloaded', 'timeout', 'timeout'])
      expect(bounded.stats()).toMatchObject({ skipped: 3, timeouts: 2, pendingCommands: 2 })
    } finally {
      server.thaw()
    }
    await until(async () => bounded.stats().pendingCommands === 0, 2_000)
  })

  it('a throwing event listener changes nothing', async () => {
    const noisy = createRedisTokenCache({
      redis: client.client,
      keys,
      onEvent: () => {
        throw new Error('listener bug')
      },
    })
    const key = newKey()
    const value = token()
    await noisy.set(key, value, 3_600_000)
    expect(noisy.get(key)).toEqual(value)
  })
})

describe('misconfiguration', () => {
  it('rejects bad options with a TypeError naming the option', () => {
    const redis = { get: async () => null, set: async () => 'OK', del: async () => 0 }
    expect(() => createRedisTokenCache({ redis, keys: [] })).toThrow(/keys/)
    expect(() => createRedisTokenCache({ redis: {} as never, keys })).toThrow(/redis/)
    expect(() => createRedisTokenCache({ redis, keys, timeoutMs: 0 })).toThrow(/timeoutMs/)
    expect(() => createRedisTokenCache({ redis, keys, cooldownMs: Number.NaN })).toThrow(/cooldownMs/)
    expect(() => createRedisTokenCache({ redis, keys, keyPrefix: 5 as never })).toThrow(/keyPrefix/)
    // Single-flight needs SET NX, which a hand-written adapter may not offer.
    expect(() => createRedisTokenCache({ redis, keys, singleFlight: true })).toThrow(/singleFlight/)
    expect(() =>
      createRedisTokenCache({
        redis: { ...redis, setIfAbsent: async () => true },
        keys,
        singleFlight: { maxWaitMs: -1 },
      }),
    ).toThrow(/singleFlight\.maxWaitMs/)
  })

  it('a command that throws synchronously is a reported miss', async () => {
    const events: RedisCacheEvent[] = []
    const cache = createRedisTokenCache({
      redis: {
        get: () => {
          throw new Error('sync failure')
        },
        set: async () => 'OK',
        del: async () => 0,
      },
      keys,
      onEvent: (event) => events.push(event),
    })
    expect(await cache.get(newKey())).toBeUndefined()
    expect(events).toEqual([expect.objectContaining({ type: 'read-failed', reason: 'error' })])
  })
})
