/**
 * The cross-instance lock against a real Redis, with one race forced: an instance whose read missed just
 * before another instance wrote the token, and whose `SET NX` lands just after that instance released its lock.
 */
import { randomBytes } from 'node:crypto'
import { sha256Base64Url } from '@onbehalf/core/engine'
import type { CachedToken, TokenCacheContext } from '@onbehalf/core'
import type { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createRedisTokenCache, toRedisCommands } from '../src/index.ts'
import { deferred } from '@onbehalf/test-kit/deferred'
import { clientKinds, inspector } from '@onbehalf/test-kit/redis-clients'
import type { TestClient } from '@onbehalf/test-kit/redis-clients'
import { startRedisServer } from '@onbehalf/test-kit/redis-server'
import type { RedisServer } from '@onbehalf/test-kit/redis-server'
import { until } from './until.ts'

const keys = [{ id: 'k1', key: new Uint8Array(randomBytes(32)) }]
const context: TokenCacheContext = {
  tenantId: 'contoso',
  userAssertion: `eyJhbGciOiJSUzI1NiJ9.${Buffer.from(JSON.stringify({ oid: 'user-race' })).toString('base64url')}.sig`,
}
const token = (): CachedToken => ({
  accessToken: `eyJ.access.${randomBytes(24).toString('hex')}`,
  tokenType: 'Bearer',
  expiresAt: Date.now() + 3_600_000,
})

/** Polls until the lock is gone (it is released without waiting); the limit only ends a broken run. */
async function lockReleased(lockName: string): Promise<void> {
  for (let waited = 0; (await raw.exists(lockName)) === 1; waited += 10) {
    if (waited > 10_000) throw new Error(`${lockName} was never released`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

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
  afterAll(async () => {
    await Promise.all(clients.map((client) => client.close()))
  })

  it('a lock taken after its holder wrote and released it finds the token: no second token request', async () => {
    const [forA, forB] = [await connect(server.port), await connect(server.port)]
    clients.push(forA, forB)
    const keyPrefix = `race:${kind}:`
    const singleFlight = { maxWaitMs: 5_000 }
    const a = createRedisTokenCache({ redis: forA.client, keys, keyPrefix, singleFlight, l1: false })
    // b's SET NX is held back until a has written its token and released the lock.
    const real = toRedisCommands(forB.client)
    const gate = deferred<void>()
    let lockAsked = false
    const b = createRedisTokenCache({
      redis: {
        ...real,
        get: (name) => real.get(name),
        set: (name, value, ttlMs) => real.set(name, value, ttlMs),
        del: (name) => real.del(name),
        setIfAbsent: async (name, value, ttlMs) => {
          lockAsked = true
          await gate.promise
          return real.setIfAbsent!(name, value, ttlMs)
        },
      },
      keys,
      keyPrefix,
      singleFlight,
      l1: false,
    })
    const key = sha256Base64Url(randomBytes(16).toString('hex'))
    const name = a.keyName(key)

    const readByB = b.get(key, context) // misses in Redis, then asks for the lock
    await until(() => lockAsked)
    expect(await a.get(key, context)).toBeUndefined() // a takes the lock: a fetches
    const value = token()
    await a.set(key, value, 3_600_000, context)
    await lockReleased(`${name}:lock`) // a released its lock after its write landed
    gate.resolve()

    // b now holds a lock nobody else does; the token is already there: it must serve it, not fetch again.
    expect(await readByB).toEqual(value)
    expect(b.stats()).toMatchObject({ l2Hits: 1, l2Misses: 0 })
    await lockReleased(`${name}:lock`) // and b released the lock it no longer needs
  })
})
