/**
 * A fleet on one real Redis: L1 invalidation over pub/sub when a token is replaced, `evictUser` across every
 * instance, and the fallback when an instance's subscriber connection drops (it empties its L1).
 */
import { randomBytes } from 'node:crypto'
import { sha256Base64Url } from '@onbehalf/core/engine'
import type { CachedToken, TokenCacheContext } from '@onbehalf/core'
import type { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RedisTokenCache } from '../src/index.ts'
import { clientKinds, inspector } from '@onbehalf/test-kit/redis-clients'
import type { NodeRedisClient, TestClient } from '@onbehalf/test-kit/redis-clients'
import { startRedisServer } from '@onbehalf/test-kit/redis-server'
import type { RedisServer } from '@onbehalf/test-kit/redis-server'
import { openFleetInstance } from './fleet-instance.ts'
import { until } from './until.ts'

const keys = [{ id: 'k1', key: new Uint8Array(randomBytes(32)) }]
const newKey = (): string => sha256Base64Url(randomBytes(16).toString('hex'))
const token = (): CachedToken => ({
  accessToken: `eyJ.access.${randomBytes(24).toString('hex')}`,
  tokenType: 'Bearer',
  expiresAt: Date.now() + 3_600_000,
})
const assertionFor = (tid: string, oid: string): TokenCacheContext => ({
  tenantId: 'organizations',
  userAssertion: `eyJhbGciOiJSUzI1NiJ9.${Buffer.from(JSON.stringify({ tid, oid, n: randomBytes(4).toString('hex') })).toString('base64url')}.sig`,
})

let server: RedisServer
let raw: Redis

beforeAll(async () => {
  server = await startRedisServer()
  raw = inspector(server.port)
})

afterAll(async () => {
  raw.disconnect()
  await server.stop()
})

describe.each(clientKinds)('with %s', (kind, connect) => {
  const clients: TestClient[] = []
  const prefix = `fleet:${kind}:`

  afterAll(async () => {
    await Promise.all(clients.map((client) => client.close()))
  })

  async function instance(): Promise<RedisTokenCache> {
    const { cache } = await openFleetInstance<Redis | NodeRedisClient>({
      connect,
      port: server.port,
      keys,
      keyPrefix: prefix,
      open: clients,
    })
    return cache
  }

  it("a replaced token (claims step-up) leaves every other instance's L1", async () => {
    const [a, b] = [await instance(), await instance()]
    const key = newKey()
    const context = assertionFor('contoso', 'user-1')
    const before = token()
    await a.set(key, before, 3_600_000, context)
    // The first write's own message reaches b too; a read it overtakes does not fill L1.
    await until(() => b.stats().invalidationsReceived >= 1)
    expect(await b.get(key, context)).toEqual(before)
    expect(b.get(key, context)).toEqual(before) // now an L1 hit

    const after = token()
    await a.set(key, after, 3_600_000, context)
    await until(() => b.stats().invalidationsReceived >= 2)
    const read = b.get(key, context)
    expect(read).toBeInstanceOf(Promise) // L1 dropped it
    expect(await read).toEqual(after)
    // The writer's own message does not drop what it has just written.
    expect(a.get(key, context)).toEqual(after)
  })

  it('evictUser drops every token of that user on every instance, and only that user', async () => {
    const [a, b] = [await instance(), await instance()]
    const alice = assertionFor('11111111-aaaa-4aaa-8aaa-111111111111', 'a1a1a1a1-0000-4000-8000-000000000001')
    const bob = assertionFor('11111111-aaaa-4aaa-8aaa-111111111111', 'b2b2b2b2-0000-4000-8000-000000000002')
    const aliceKeys = [newKey(), newKey()]
    const bobKey = newKey()
    for (const key of aliceKeys) await a.set(key, token(), 3_600_000, alice)
    await a.set(bobKey, token(), 3_600_000, bob)
    await until(() => b.stats().invalidationsReceived >= 3)
    for (const key of aliceKeys) expect(await b.get(key, alice)).toBeDefined()
    expect(await b.get(bobKey, bob)).toBeDefined()

    // The index holds keyed hashes only: neither the tenant nor the object ID appears in Redis.
    const indexNames = await raw.keys(`${prefix}user:*`)
    expect(indexNames.length).toBeGreaterThanOrEqual(2)
    const dump = [...indexNames, ...(await Promise.all(indexNames.map((name) => raw.smembers(name)))).flat()].join()
    for (const id of ['11111111', 'a1a1a1a1', 'b2b2b2b2', 'aaaa']) expect(dump).not.toContain(id)

    const result = await a.evictUser({
      tenantId: '11111111-AAAA-4aaa-8aaa-111111111111',
      oid: 'a1a1a1a1-0000-4000-8000-000000000001',
    })
    expect(result).toEqual({ entries: 2, complete: true })
    for (const key of aliceKeys) expect(await raw.exists(a.keyName(key))).toBe(0)
    expect(await raw.exists(a.keyName(bobKey))).toBe(1)
    for (const key of aliceKeys) expect(await a.get(key, alice)).toBeUndefined()

    await until(() => b.stats().invalidationsReceived >= 4)
    for (const key of aliceKeys) expect(await b.get(key, alice)).toBeUndefined()
    expect(b.get(bobKey, bob)).toBeDefined() // still an L1 hit
    expect(b.get(bobKey, bob)).not.toBeInstanceOf(Promise)
    expect(await a.evictUser({ tenantId: 'contoso', oid: 'nobody' })).toEqual({ entries: 0, complete: true })
    await expect(a.evictUser({ tenantId: '', oid: 'x' })).rejects.toThrow(/tenantId/)
  })

  it('an instance whose subscriber connection dropped empties its L1 when it comes back', async () => {
    const [a, b] = [await instance(), await instance()]
    const key = newKey()
    const context = assertionFor('contoso', 'user-2')
    await a.set(key, token(), 3_600_000, context)
    await until(() => b.stats().invalidationsReceived >= 1)
    await b.get(key, context)
    expect(b.get(key, context)).not.toBeInstanceOf(Promise)

    // Messages published while b's subscriber is away would be lost: b must not trust its L1 afterwards.
    await raw.call('CLIENT', 'KILL', 'TYPE', 'pubsub')
    await until(() => b.stats().l1Resets >= 1)
    expect(b.stats().l1Size).toBe(0)
    expect(b.get(key, context)).toBeInstanceOf(Promise)
  })
})
