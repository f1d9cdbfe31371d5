/**
 * The same cache against a real three-master Redis Cluster (started here from `redis-server
 * --cluster-enabled yes` on loopback), through ioredis `Cluster` and node-redis `createCluster`: sharing,
 * the cross-instance lock, eviction with invalidation, and a master killed mid-run.
 */
import { randomBytes } from 'node:crypto'
import { sha256Base64Url } from '@onbehalf/core/engine'
import type { CachedToken, TokenCacheContext } from '@onbehalf/core'
import { Cluster, Redis } from 'ioredis'
import { createCluster } from 'redis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createRedisTokenCache } from '../src/index.ts'
import type { IoredisLike, NodeRedisLike, RedisSubscriberLike, RedisTokenCacheOptions } from '../src/index.ts'
import { startRedisCluster } from './redis-cluster.ts'
import type { RedisCluster } from './redis-cluster.ts'
import { until } from './until.ts'

const keys = [{ id: 'k1', key: new Uint8Array(randomBytes(32)) }]
const newKey = (): string => sha256Base64Url(randomBytes(16).toString('hex'))
const token = (): CachedToken => ({
  accessToken: `eyJ.access.${randomBytes(24).toString('hex')}`,
  tokenType: 'Bearer',
  expiresAt: Date.now() + 3_600_000,
})
const userContext = (oid: string): TokenCacheContext => ({
  tenantId: 'contoso',
  userAssertion: `eyJhbGciOiJSUzI1NiJ9.${Buffer.from(JSON.stringify({ tid: 'contoso', oid })).toString('base64url')}.sig`,
})

interface ClusterClient {
  readonly client: IoredisLike | NodeRedisLike
  close(): Promise<void>
}

async function ioredisCluster(port: number): Promise<ClusterClient> {
  const client = new Cluster([{ host: '127.0.0.1', port }], {
    enableOfflineQueue: false,
    clusterRetryStrategy: () => 100,
    redisOptions: { maxRetriesPerRequest: 1, connectTimeout: 1_000 },
  })
  client.on('error', () => undefined)
  await new Promise<void>((resolve, reject) => {
    client.once('ready', resolve)
    client.once('end', () => reject(new Error('cluster connection ended')))
  })
  return { client, close: async () => client.disconnect() }
}

async function nodeRedisCluster(port: number): Promise<ClusterClient> {
  const client = createCluster({
    rootNodes: [{ url: `redis://127.0.0.1:${port}` }],
    defaults: { disableOfflineQueue: true, socket: { reconnectStrategy: () => 100, connectTimeout: 1_000 } },
  })
  client.on('error', () => undefined)
  await client.connect()
  return { client: client as unknown as NodeRedisLike, close: async () => client.destroy() }
}

const kinds = [
  ['ioredis Cluster', ioredisCluster],
  ['node-redis createCluster', nodeRedisCluster],
] as const

let cluster: RedisCluster

beforeAll(async () => {
  cluster = await startRedisCluster(3)
}, 60_000)

afterAll(async () => {
  await cluster.stop()
})

describe.each(kinds)('with %s', (kind, connect) => {
  const open: ClusterClient[] = []
  const prefix = `cluster:${kind.replace(/\W/g, '')}:`
  afterAll(async () => {
    await Promise.all(open.map((client) => client.close()))
  })

  async function instance(
    options: Partial<RedisTokenCacheOptions> = {},
  ): Promise<ReturnType<typeof createRedisTokenCache>> {
    const commands = await connect(cluster.nodes[0]!.port)
    const subscriber = await connect(cluster.nodes[1]!.port)
    open.push(commands, subscriber)
    const cache = createRedisTokenCache({
      redis: commands.client,
      subscriber: subscriber.client as RedisSubscriberLike,
      keys,
      keyPrefix: prefix,
      timeoutMs: 2_000,
      ...options,
    })
    expect(await cache.listening).toBe(true)
    return cache
  }

  it('shares sealed entries across instances, spread over every master', async () => {
    const [a, b] = [await instance(), await instance()]
    const context = userContext('user-share')
    const written = Array.from({ length: 30 }, () => [newKey(), token()] as const)
    for (const [key, value] of written) await a.set(key, value, 3_600_000, context)
    for (const [key, value] of written) expect(await b.get(key, context)).toEqual(value)
    expect(b.stats()).toMatchObject({ l2Hits: 30, readFailures: 0 })
    // Really sharded: every master holds some of them.
    for (const node of cluster.nodes) {
      const direct = new Redis({ host: '127.0.0.1', port: node.port, maxRetriesPerRequest: 1 })
      expect(await direct.dbsize()).toBeGreaterThan(0)
      direct.disconnect()
    }
  })

  it('takes the cross-instance lock in the entry slot: one instance fetches, the other waits for its token', async () => {
    const [a, b] = [
      await instance({ singleFlight: { maxWaitMs: 5_000 } }),
      await instance({ singleFlight: { maxWaitMs: 5_000 } }),
    ]
    const key = newKey()
    const context = userContext('user-lock')
    expect(await a.get(key, context)).toBeUndefined() // a holds the lock and "fetches"
    const waiting = b.get(key, context)
    await until(() => b.stats().singleFlightWaits === 1)
    const value = token()
    await a.set(key, value, 3_600_000, context)
    expect(await waiting).toEqual(value)
    expect(b.stats().singleFlightHits).toBe(1)
  })

  it('evicts a user on every instance, and invalidates L1 across the cluster', async () => {
    const [a, b] = [await instance(), await instance()]
    const alice = userContext('alice')
    const bob = userContext('bob')
    const aliceKeys = [newKey(), newKey(), newKey()]
    const bobKey = newKey()
    for (const key of aliceKeys) await a.set(key, token(), 3_600_000, alice)
    await a.set(bobKey, token(), 3_600_000, bob)
    await until(() => b.stats().invalidationsReceived >= 4)
    for (const key of aliceKeys) expect(await b.get(key, alice)).toBeDefined()
    expect(await b.get(bobKey, bob)).toBeDefined()

    expect(await a.evictUser({ tenantId: 'contoso', oid: 'alice' })).toEqual({ entries: 3, complete: true })
    await until(() => b.stats().invalidationsReceived >= 5)
    for (const key of aliceKeys) expect(await b.get(key, alice)).toBeUndefined()
    expect(b.get(bobKey, bob)).not.toBeInstanceOf(Promise)
  })
})

describe('a master killed mid-run', () => {
  it('loses no request: every read and write settles, entries on the surviving masters are still served', async () => {
    const client = await ioredisCluster(cluster.nodes[0]!.port)
    try {
      // One breaker covers the whole cluster: with the default threshold, the dead master's failures open it and
      // every read becomes a miss (still no error). A high threshold shows the surviving masters keep serving.
      const cache = createRedisTokenCache({
        redis: client.client,
        keys,
        keyPrefix: 'kill:',
        timeoutMs: 500,
        l1: false,
        failureThreshold: 1_000_000,
      })
      const context = userContext('user-kill')
      const written = Array.from({ length: 60 }, () => [newKey(), token()] as const)
      for (const [key, value] of written) await cache.set(key, value, 3_600_000, context)
      // Reads and writes in flight while the master holding a third of the slots dies.
      const inFlight: Promise<unknown>[] = written.flatMap(([key, value]): Promise<unknown>[] => [
        Promise.resolve(cache.get(key, context)),
        Promise.resolve(cache.set(key, value, 3_600_000, context)),
      ])
      await cluster.nodes[2]!.kill()
      const settled = await Promise.allSettled(inFlight)
      expect(settled.filter((outcome) => outcome.status === 'rejected')).toEqual([])
      const after = await Promise.allSettled(written.map(([key]) => Promise.resolve(cache.get(key, context))))
      expect(after.every((outcome) => outcome.status === 'fulfilled')).toBe(true)
      const served = after.filter((outcome) => outcome.status === 'fulfilled' && outcome.value !== undefined).length
      // The two surviving masters still serve their share; the dead one's are misses, never errors.
      expect(served).toBeGreaterThan(0)
      expect(served).toBeLessThan(written.length)
    } finally {
      await client.close()
    }
  })
})
