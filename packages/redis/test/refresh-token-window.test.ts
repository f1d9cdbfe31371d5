/**
 * SPEC §12: refresh-token redemption after the user assertion expired is allowed only within a window counted
 * from the first exchange (not renewed by each redemption), and it is the same with every cache. One scenario,
 * run with core's memory cache and with this package's cache over a real redis-server (no L1, so every read is
 * an L2 read; and a second instance that never saw the first exchange), on a clock the test moves.
 */
import { randomBytes } from 'node:crypto'
import { createMemoryTokenCache, createTokenProvider, OAuthError } from '@onbehalf/core'
import type { OboEngine, TokenCache, TokenResult } from '@onbehalf/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createRedisTokenCache } from '../src/index.ts'
import { connectIoredis } from '@onbehalf/test-kit/redis-clients'
import type { TestClient } from '@onbehalf/test-kit/redis-clients'
import { startRedisServer } from '@onbehalf/test-kit/redis-server'
import type { RedisServer } from '@onbehalf/test-kit/redis-server'

const hourMs = 3_600_000
const start = 1_900_000_000_000
const scopes = ['api://downstream/.default']
const keys = [{ id: 'w1', key: new Uint8Array(randomBytes(32)) }]

let server: RedisServer
let client: TestClient

beforeAll(async () => {
  server = await startRedisServer()
  client = await connectIoredis(server.port)
})
afterAll(async () => {
  await client.close()
  await server.stop()
})

/** A user assertion (a JWT payload with `exp`; the scripted IdP reads nothing else). */
function assertionExpiringAt(expMs: number, user: string): string {
  const part = (value: object): string => Buffer.from(JSON.stringify(value)).toString('base64url')
  return `${part({ alg: 'RS256' })}.${part({ sub: user, exp: Math.floor(expMs / 1000) })}.c2ln`
}

/**
 * The IdP's rules that matter here, scripted: an exchange of an expired assertion is refused as Entra refuses
 * it (`invalid_grant`, AADSTS500133); a refresh token is redeemed for a one-hour token and a new refresh token.
 */
function scriptedIdp(now: () => number): OboEngine & { readonly log: string[] } {
  const log: string[] = []
  let issued = 0
  const answer = (): TokenResult => ({
    accessToken: `at-${++issued}`,
    tokenType: 'Bearer',
    scopes,
    expiresAt: now() + hourMs,
    refreshToken: `rt-${issued}`,
  })
  return {
    name: 'scripted-idp',
    fingerprint: 'e'.repeat(64),
    log,
    async exchange(request) {
      const exp = JSON.parse(Buffer.from(request.userAssertion.split('.')[1]!, 'base64url').toString()) as {
        exp: number
      }
      if (exp.exp * 1000 <= now()) {
        log.push('refused')
        throw new OAuthError({ status: 400, error: 'invalid_grant', errorCodes: [500133] })
      }
      log.push('exchange')
      return answer()
    },
    async redeemRefreshToken() {
      log.push('redeem')
      return answer()
    },
    async close() {},
  }
}

type CacheKind = 'memory' | 'redis'

/**
 * The cache under test, and a way to wait for its writes: the provider does not wait for a distributed write
 * (it must not delay the caller), but the next call of this test must find what the previous one stored.
 */
function cacheOf(
  kind: CacheKind,
  now: () => number,
  prefix: string,
): { cache: TokenCache; settled: () => Promise<void> } {
  const inner =
    kind === 'memory'
      ? createMemoryTokenCache({ now })
      : createRedisTokenCache({ redis: client.client, keys, keyPrefix: prefix, l1: false, now, timeoutMs: 2_000 })
  return withSettledWrites(inner)
}

function withSettledWrites(inner: TokenCache): { cache: TokenCache; settled: () => Promise<void> } {
  const writes: Promise<unknown>[] = []
  return {
    cache: {
      get: (key) => inner.get(key),
      set: (key, value, ttlMs) => {
        const written = inner.set(key, value, ttlMs)
        if (written instanceof Promise) writes.push(written)
        return written
      },
      delete: (key) => inner.delete(key),
    },
    settled: async () => {
      await Promise.all(writes.splice(0))
    },
  }
}

/** Calls once an hour (each call finds the access token expired) and returns what the IdP saw. */
async function hourly(kind: CacheKind, windowMs: number | undefined, calls: number): Promise<string[]> {
  let time = start
  const now = (): number => time
  const idp = scriptedIdp(now)
  const prefix = `window:${kind}:${String(windowMs)}:${String(calls)}:`
  const { cache, settled } = cacheOf(kind, now, prefix)
  const provider = createTokenProvider({
    engine: idp,
    cache,
    now,
    ...(windowMs === undefined ? {} : { refreshTokenWindowMs: windowMs }),
  })
  const userAssertion = assertionExpiringAt(start + 600_000, `${kind}-${String(windowMs)}`)
  for (let i = 0; i < calls; i++) {
    await provider.getToken({ tenantId: 'tenant-a', userAssertion, scopes }).catch(() => undefined)
    await settled()
    time += hourMs + 1
  }
  return idp.log
}

describe.each<CacheKind>(['memory', 'redis'])('refresh-token redemption window with the %s cache', (kind) => {
  it('redeems only within the window from the first exchange; redemptions do not extend it', async () => {
    expect(await hourly(kind, 4 * hourMs + 10, 7)).toEqual([
      'exchange',
      'redeem',
      'redeem',
      'redeem',
      'redeem',
      'refused',
      'refused',
    ])
  })

  it('the default window is 24 hours: 200 hours after the first exchange, the expired assertion is refused', async () => {
    const log = await hourly(kind, undefined, 201)
    expect(log.slice(0, 24)).toEqual(['exchange', ...Array<string>(23).fill('redeem')])
    expect(log.slice(24)).toEqual(Array<string>(177).fill('refused'))
  })

  it('0 turns redemption off', async () => {
    expect(await hourly(kind, 0, 3)).toEqual(['exchange', 'refused', 'refused'])
  })
})

describe('refresh-token redemption window across instances sharing Redis', () => {
  it('a second instance redeems within the first exchange’s window and refuses after it', async () => {
    let time = start
    const now = (): number => time
    const idpA = scriptedIdp(now)
    const idpB = scriptedIdp(now)
    const shared = { redis: client.client, keys, keyPrefix: 'window:instances:', now, timeoutMs: 2_000 }
    const cacheA = withSettledWrites(createRedisTokenCache(shared))
    const cacheB = withSettledWrites(createRedisTokenCache(shared))
    const a = createTokenProvider({ engine: idpA, cache: cacheA.cache, now })
    const b = createTokenProvider({ engine: idpB, cache: cacheB.cache, now })
    const request = { tenantId: 'tenant-a', userAssertion: assertionExpiringAt(start + 600_000, 'both'), scopes }
    await a.getToken(request)
    await cacheA.settled()
    time += 23 * hourMs
    await b.getToken(request)
    await cacheB.settled()
    time += 2 * hourMs
    await expect(b.getToken(request)).rejects.toMatchObject({ code: 'INVALID_GRANT' })
    expect(idpA.log).toEqual(['exchange'])
    expect(idpB.log).toEqual(['redeem', 'refused'])
  })
})
