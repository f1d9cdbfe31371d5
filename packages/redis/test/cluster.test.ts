/**
 * The same cache against a real three-master Redis Cluster (started here from `redis-server
 * --cluster-enabled yes` on loopback), through ioredis `Cluster` and node-redis `createCluster`: sharing,
 * the cross-instance lock, eviction with invalidation, the slots of the keys in use migrated to another master
 * under a steady stream of `getToken` (the real token provider and the emulator over HTTPS), and a master
 * killed mid-run.
 */
import { randomBytes } from 'node:crypto'
import { sha256Base64Url } from '@onbehalf/core/engine'
import { createTokenProvider } from '@onbehalf/core'
import type { CachedToken, TokenCacheContext } from '@onbehalf/core'
import { startEmulator } from '@onbehalf/entra-emulator'
import type { EntraEmulator } from '@onbehalf/entra-emulator'
import { createJoseEngine } from '@onbehalf/jose'
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
let emu: EntraEmulator

beforeAll(async () => {
  ;[cluster, emu] = await Promise.all([startRedisCluster(3), startEmulator()])
}, 60_000)

afterAll(async () => {
  await Promise.all([cluster.stop(), emu.close()])
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

describe.each(kinds)('slots migrated to another master under a steady stream of getToken, with %s', (kind, connect) => {
  it('loses no request: every getToken succeeds, and the entries are served from their new master', async () => {
    const client = await connect(cluster.nodes[0]!.port)
    const keyPrefix = `migrate:${kind.replace(/\W/g, '')}:`
    // No L1: every getToken reads Redis, so every one of them crosses the migration.
    const cache = createRedisTokenCache({ redis: client.client, keys, keyPrefix, timeoutMs: 2_000, l1: false })
    const engine = createJoseEngine()({
      clientId: emu.defaults.middleTier.clientId,
      credential: { kind: 'secret', secret: emu.defaults.middleTier.clientSecret },
      authorityHost: emu.authorityHost,
      disableInstanceDiscovery: true,
      fetch: emu.fetch,
    })
    const provider = createTokenProvider({ engine, cache })
    const scopes = [emu.defaults.downstream.defaultScope]
    const assertions = Array.from({ length: 6 }, () => emu.issueUserToken({ user: emu.addUser() }))
    const tokenRequests = (): number => emu.requests.filter((request) => request.endpoint === 'token').length
    const nodes = await Promise.all(
      cluster.nodes.map(async ({ port }) => {
        const direct = new Redis({ host: '127.0.0.1', port, maxRetriesPerRequest: 1 })
        return { port, direct, id: String(await direct.call('CLUSTER', 'MYID')) }
      }),
    )
    try {
      for (const userAssertion of assertions) await provider.getToken({ tenantId: emu.tenantId, userAssertion, scopes })
      await until(() => cache.stats().writes === assertions.length)

      // The stream: four callers, round-robin over the users, until the migrations are done.
      const failures: unknown[] = []
      let completed = 0
      let streaming = true
      const stream = Promise.all(
        Array.from({ length: 4 }, async (_, caller) => {
          for (let n = caller; streaming; n++) {
            const userAssertion = assertions[n % assertions.length] as string
            try {
              await provider.getToken({ tenantId: emu.tenantId, userAssertion, scopes })
            } catch (error) {
              failures.push(error)
            }
            completed++
          }
        }),
      )
      /** Lets the stream run at least `calls` more getToken through the current state of the migration. */
      const meanwhile = async (calls: number): Promise<void> => {
        const mark = completed
        await until(() => completed >= mark + calls)
      }

      // Every slot holding this cache's keys (entries and user indexes) moves to the next master. Planned before
      // any move, so that a key is moved once.
      const plan: { slot: number; names: string[]; source: (typeof nodes)[number]; target: (typeof nodes)[number] }[] =
        []
      for (const [n, source] of nodes.entries()) {
        const bySlot = new Map<number, string[]>()
        for (const name of await source.direct.keys(`${keyPrefix}*`)) {
          const slot = Number(await source.direct.call('CLUSTER', 'KEYSLOT', name))
          bySlot.set(slot, [...(bySlot.get(slot) ?? []), name])
        }
        const target = nodes[(n + 1) % nodes.length]!
        for (const [slot, names] of bySlot) plan.push({ slot, names, source, target })
      }
      for (const { slot, source, target } of plan) {
        await target.direct.call('CLUSTER', 'SETSLOT', slot, 'IMPORTING', source.id)
        await source.direct.call('CLUSTER', 'SETSLOT', slot, 'MIGRATING', target.id)
        await meanwhile(8) // reads and writes meet a slot that is half-way (ASK redirections)
        for (;;) {
          const inSlot = (await source.direct.call('CLUSTER', 'GETKEYSINSLOT', slot, 100)) as string[]
          if (inSlot.length === 0) break
          await source.direct.call('MIGRATE', '127.0.0.1', target.port, '', 0, 5_000, 'KEYS', ...inSlot)
          await meanwhile(8)
        }
        for (const node of [target, source, ...nodes.filter((other) => other !== target && other !== source)]) {
          await node.direct.call('CLUSTER', 'SETSLOT', slot, 'NODE', target.id)
        }
        await meanwhile(8) // the old owner now answers MOVED
      }
      streaming = false
      await stream

      expect(failures).toEqual([])
      expect(completed).toBeGreaterThan(24)
      // Really moved: each key now lives on the master it was migrated to.
      expect(plan.flatMap(({ names }) => names).length).toBeGreaterThanOrEqual(assertions.length)
      for (const { names, target } of plan) {
        for (const name of names) expect(await target.direct.exists(name), name).toBe(1)
      }
      // Every user is still a cache hit after the move: no entry was lost on the way.
      const before = tokenRequests()
      for (const userAssertion of assertions) await provider.getToken({ tenantId: emu.tenantId, userAssertion, scopes })
      expect(tokenRequests()).toBe(before)
    } finally {
      await provider.close()
      for (const { direct } of nodes) direct.disconnect()
      await client.close()
    }
  }, 120_000)
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
