import { describe, expect, it } from 'vitest'
import { createFakeEngine, deferred } from '../test/fake-engine.ts'
import type { TokenResult } from './engine.ts'
import { OAuthError, OboError } from './errors.ts'
import { createMemoryTokenCache } from './memory-cache.ts'
import { createTokenProvider } from './token-provider.ts'
import type { TokenEvent } from './token-provider.ts'

const scopes = ['api://downstream/.default']
const request = { tenantId: 'tenant-a', userAssertion: 'user-1', scopes }

function setup(lifetimeMs = 3_600_000) {
  let time = 1_000_000_000_000
  const now = () => time
  const engine = createFakeEngine({ now, lifetimeMs })
  const events: TokenEvent[] = []
  const provider = createTokenProvider({
    engine,
    cache: createMemoryTokenCache({ now }),
    now,
    onEvent: (event) => events.push(event),
  })
  return {
    engine,
    provider,
    events,
    advance: (ms: number) => {
      time += ms
    },
    now,
  }
}

function jwtExpiringAt(epochSeconds: number): string {
  const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url')
  return `${encode({ alg: 'none' })}.${encode({ exp: epochSeconds })}.sig`
}

describe('createTokenProvider: cache', () => {
  it('serves a second call from the cache without calling the engine', async () => {
    const { engine, provider, events } = setup()
    const first = await provider.getToken(request)
    const second = await provider.getToken(request)
    expect(second).toBe(first)
    expect(engine.exchanges).toHaveLength(1)
    expect(events.map((e) => e.type)).toEqual(['miss', 'hit'])
  })

  it('keeps users, tenants, scope sets and CAE modes apart', async () => {
    const { engine, provider } = setup()
    const variants = [
      request,
      { ...request, userAssertion: 'user-2' },
      { ...request, tenantId: 'tenant-b' },
      { ...request, scopes: ['api://other/.default'] },
      { ...request, enableCae: true },
    ]
    const tokens = await Promise.all(variants.map((v) => provider.getToken(v)))
    expect(new Set(tokens.map((t) => t.accessToken)).size).toBe(variants.length)
    expect(engine.exchanges).toHaveLength(variants.length)
    // order-insensitive scopes share an entry
    const a = await provider.getToken({ ...request, scopes: ['b', 'a'] })
    const b = await provider.getToken({ ...request, scopes: ['a', 'b'] })
    expect(b).toBe(a)
  })

  it('declares CAE capability to the engine only when asked', async () => {
    const { engine, provider } = setup()
    await provider.getToken({ ...request, enableCae: true })
    await provider.getToken(request)
    expect(engine.exchanges[0]!.claims).toBe('{"access_token":{"xms_cc":{"values":["cp1"]}}}')
    expect(engine.exchanges[1]!.claims).toBeUndefined()
  })

  it('bypasses the cache when claims are given, and stores the new token for later calls', async () => {
    const { engine, provider, events } = setup()
    const plain = await provider.getToken(request)
    const stepUp = await provider.getToken({ ...request, claims: '{"access_token":{"acrs":{"values":["c1"]}}}' })
    expect(stepUp.accessToken).not.toBe(plain.accessToken)
    expect(engine.exchanges).toHaveLength(2)
    expect(engine.exchanges[1]!.claims).toContain('acrs')
    expect(await provider.getToken(request)).toBe(stepUp)
    expect(events.some((e) => e.type === 'claims-bypass')).toBe(true)
  })

  it('an expired token always goes to the engine', async () => {
    const { engine, provider, advance } = setup(600_000)
    await provider.getToken(request)
    advance(600_001)
    await provider.getToken(request)
    expect(engine.exchanges).toHaveLength(2)
  })
})

describe('createTokenProvider: proactive refresh (Azure Identity rules)', () => {
  it('uses a token with more than 5 minutes left, and refreshes one with less', async () => {
    const { engine, provider, advance } = setup(3_600_000)
    const first = await provider.getToken(request)
    advance(3_600_000 - 300_001)
    expect(await provider.getToken(request)).toBe(first)
    expect(engine.exchanges).toHaveLength(1)
    advance(2)
    const refreshed = await provider.getToken(request)
    expect(refreshed).not.toBe(first)
    expect(engine.exchanges).toHaveLength(2)
  })

  it('refreshes at refresh_in when the server gave one', async () => {
    const { engine, provider, advance, now } = setup()
    engine.behaviour = async (r) => ({
      accessToken: `t${engine.exchanges.length}`,
      tokenType: 'Bearer',
      scopes: r.scopes,
      expiresAt: now() + 7_200_000,
      refreshAt: now() + 3_600_000,
    })
    await provider.getToken(request)
    advance(3_599_000)
    await provider.getToken(request)
    expect(engine.exchanges).toHaveLength(1)
    advance(2_000)
    expect((await provider.getToken(request)).accessToken).toBe('t2')
  })

  it('returns the cached token when a proactive refresh fails, and tries at most once per 30 s', async () => {
    const { engine, provider, advance, events } = setup()
    const first = await provider.getToken(request)
    engine.behaviour = async () => {
      throw new OboError('down', { code: 'SERVER_ERROR' })
    }
    advance(3_600_000 - 200_000)
    for (let i = 0; i < 4; i++) expect(await provider.getToken(request)).toBe(first)
    expect(engine.exchanges).toHaveLength(2)
    expect(events.filter((e) => e.type === 'refresh-failed')).toHaveLength(1)
    advance(30_000)
    expect(await provider.getToken(request)).toBe(first)
    expect(engine.exchanges).toHaveLength(3)
  })

  it('a failure without a usable cached token reaches the caller, one request per call', async () => {
    const { engine, provider } = setup()
    engine.behaviour = async () => {
      throw new OboError('down', { code: 'SERVER_ERROR' })
    }
    for (let i = 0; i < 3; i++) {
      await expect(provider.getToken(request)).rejects.toMatchObject({ code: 'SERVER_ERROR' })
    }
    expect(engine.exchanges).toHaveLength(3)
  })

  it('redeems the refresh token when the token is due and the assertion has expired', async () => {
    const { engine, provider, advance, now } = setup()
    const assertion = jwtExpiringAt(Math.floor(now() / 1000) + 600)
    engine.behaviour = async (r) => ({
      accessToken: 'userAssertion' in r ? 'from-exchange' : 'from-refresh-token',
      tokenType: 'Bearer',
      scopes: r.scopes,
      expiresAt: now() + 3_600_000,
      refreshToken: 'rt-1',
    })
    await provider.getToken({ ...request, userAssertion: assertion })
    advance(3_600_001)
    const token = await provider.getToken({ ...request, userAssertion: assertion })
    expect(token.accessToken).toBe('from-refresh-token')
    expect(engine.refreshes).toHaveLength(1)
    expect(engine.refreshes[0]!.refreshToken).toBe('rt-1')
  })

  it('re-exchanges (not redeems) while the assertion is still valid', async () => {
    const { engine, provider, advance, now } = setup()
    const assertion = jwtExpiringAt(Math.floor(now() / 1000) + 10_000)
    engine.behaviour = async (r) => ({
      accessToken: 'x',
      tokenType: 'Bearer',
      scopes: r.scopes,
      expiresAt: now() + 3_600_000,
      refreshToken: 'rt',
    })
    await provider.getToken({ ...request, userAssertion: assertion })
    advance(3_600_001)
    await provider.getToken({ ...request, userAssertion: assertion })
    expect(engine.refreshes).toHaveLength(0)
    expect(engine.exchanges).toHaveLength(2)
  })
})

describe('createTokenProvider: single-flight', () => {
  it('makes one engine call for 1,000 concurrent cold calls for one key', async () => {
    const { engine, provider } = setup()
    const gate = deferred<void>()
    const original = engine.behaviour
    engine.behaviour = async (r, call) => {
      await gate.promise
      return original(r, call)
    }
    const calls = Array.from({ length: 1000 }, () => provider.getToken(request))
    gate.resolve()
    const tokens = await Promise.all(calls)
    expect(engine.exchanges).toHaveLength(1)
    expect(new Set(tokens).size).toBe(1)
    expect(provider.stats()).toMatchObject({ misses: 1, coalesced: 999, engineCalls: 1, inFlight: 0 })
  })

  it('gives every waiter the error, and the next call tries again', async () => {
    const { engine, provider } = setup()
    const gate = deferred<TokenResult>()
    engine.behaviour = () => gate.promise
    const calls = Array.from({ length: 10 }, () => provider.getToken(request))
    gate.reject(new OboError('bad', { code: 'INVALID_GRANT' }))
    const results = await Promise.allSettled(calls)
    expect(results.every((r) => r.status === 'rejected' && (r.reason as OboError).code === 'INVALID_GRANT')).toBe(true)
    engine.behaviour = createFakeEngine().behaviour
    await expect(provider.getToken(request)).resolves.toBeDefined()
    expect(engine.exchanges).toHaveLength(2)
  })

  it("one waiter's abort leaves the others served", async () => {
    const { engine, provider } = setup()
    const gate = deferred<void>()
    const original = engine.behaviour
    engine.behaviour = async (r, call) => {
      await gate.promise
      return original(r, call)
    }
    const controller = new AbortController()
    const aborted = provider.getToken({ ...request, signal: controller.signal })
    const others = [provider.getToken(request), provider.getToken({ ...request, signal: new AbortController().signal })]
    controller.abort()
    await expect(aborted).rejects.toMatchObject({ code: 'ABORTED' })
    gate.resolve()
    const served = await Promise.all(others)
    expect(served[0]).toBe(served[1])
    expect(engine.exchanges).toHaveLength(1)
    expect(engine.exchanges[0]!.signal?.aborted).toBe(false)
  })

  it('aborts the engine request when every waiter has left, and the next call starts afresh', async () => {
    const { engine, provider } = setup()
    const original = engine.behaviour
    engine.behaviour = (r, call) =>
      new Promise((resolve, reject) => {
        r.signal?.addEventListener('abort', () => reject(new OboError('aborted', { code: 'ABORTED' })))
        if (call > 1) resolve(original(r, call))
      })
    const a = new AbortController()
    const b = new AbortController()
    const calls = [
      provider.getToken({ ...request, signal: a.signal }),
      provider.getToken({ ...request, signal: b.signal }),
    ]
    a.abort()
    b.abort()
    await expect(Promise.all(calls)).rejects.toMatchObject({ code: 'ABORTED' })
    expect(engine.exchanges[0]!.signal?.aborted).toBe(true)
    await expect(provider.getToken(request)).resolves.toBeDefined()
    expect(engine.exchanges).toHaveLength(2)
  })

  it('rejects at once for an already-aborted signal', async () => {
    const { engine, provider } = setup()
    await expect(provider.getToken({ ...request, signal: AbortSignal.abort() })).rejects.toMatchObject({
      code: 'ABORTED',
    })
    expect(engine.exchanges.length).toBeLessThanOrEqual(1)
  })
})

describe('createTokenProvider: throttling', () => {
  it('blocks only the throttled key until Retry-After passes', async () => {
    const { engine, provider, advance } = setup()
    const ok = engine.behaviour
    engine.behaviour = async (r, call) => {
      if ('userAssertion' in r && r.userAssertion === 'user-1') {
        throw new OAuthError({ status: 429, error: 'throttled', retryAfterMs: 10_000 })
      }
      return ok(r, call)
    }
    await expect(provider.getToken(request)).rejects.toMatchObject({ code: 'THROTTLED' })
    const again = provider.getToken(request)
    await expect(again).rejects.toMatchObject({ code: 'THROTTLED' })
    expect(((await again.catch((e: unknown) => e)) as OAuthError).retryAfterMs).toBeLessThanOrEqual(10_000)
    expect(engine.exchanges).toHaveLength(1)
    await expect(provider.getToken({ ...request, userAssertion: 'user-2' })).resolves.toBeDefined()
    expect(engine.exchanges).toHaveLength(2)
    engine.behaviour = ok
    advance(10_001)
    await expect(provider.getToken(request)).resolves.toBeDefined()
    expect(engine.exchanges).toHaveLength(3)
  })
})

describe('createTokenProvider: asynchronous caches', () => {
  it('does not start a second token request when a flight stored the token while a slow read was on its way', async () => {
    const inner = createMemoryTokenCache()
    const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
    const engine = createFakeEngine()
    const plain = engine.behaviour
    engine.behaviour = async (r, call) => {
      await sleep(10)
      return plain(r, call)
    }
    const provider = createTokenProvider({
      engine,
      cache: {
        // A remote read answers what the store held when the read started, 20 ms later.
        get: (key) => {
          const value = inner.get(key)
          return sleep(20).then(() => value)
        },
        set: (key, value, ttlMs) => inner.set(key, value, ttlMs),
        delete: (key) => inner.delete(key),
      },
    })
    const first = provider.getToken(request) // read 0–20 ms (miss), flight 20–30 ms
    await sleep(25)
    const second = provider.getToken(request) // read starts at 25 ms: a stale miss at 45 ms
    expect(await second).toBe(await first)
    expect(engine.exchanges).toHaveLength(1)
  })
})

describe('createTokenProvider: cache context', () => {
  it("passes each call's tenant and assertion to the cache, so a distributed cache can seal entries per user", async () => {
    const inner = createMemoryTokenCache()
    const seen: { op: string; tenantId: string | undefined; userAssertion: string | undefined }[] = []
    const provider = createTokenProvider({
      engine: createFakeEngine(),
      cache: {
        get: (key, context) => {
          seen.push({ op: 'get', tenantId: context?.tenantId, userAssertion: context?.userAssertion })
          return inner.get(key)
        },
        set: (key, value, ttlMs, context) => {
          seen.push({ op: 'set', tenantId: context?.tenantId, userAssertion: context?.userAssertion })
          inner.set(key, value, ttlMs)
        },
        delete: (key) => inner.delete(key),
      },
    })
    await provider.getToken(request)
    await provider.getToken({ ...request, claims: '{"access_token":{"acrs":{"essential":true,"value":"c1"}}}' })
    const context = { tenantId: 'tenant-a', userAssertion: 'user-1' }
    expect(seen).toEqual([
      { op: 'get', ...context },
      { op: 'set', ...context },
      { op: 'set', ...context },
    ])
  })
})

describe('createTokenProvider: robustness', () => {
  it('treats a failing asynchronous cache read as a miss and ignores a failing write', async () => {
    const engine = createFakeEngine()
    const provider = createTokenProvider({
      engine,
      cache: {
        get: () => Promise.reject(new Error('redis down')),
        set: () => Promise.reject(new Error('redis down')),
        delete: () => undefined,
      },
    })
    await expect(provider.getToken(request)).resolves.toBeDefined()
    await expect(provider.getToken(request)).resolves.toBeDefined()
    expect(engine.exchanges).toHaveLength(2)
  })

  it('wraps an untyped engine failure and never leaks a listener error', async () => {
    const engine = createFakeEngine()
    engine.behaviour = async () => {
      throw new Error('boom')
    }
    const provider = createTokenProvider({
      engine,
      cache: createMemoryTokenCache(),
      onEvent: () => {
        throw new Error('listener bug')
      },
    })
    await expect(provider.getToken(request)).rejects.toMatchObject({ code: 'INTERNAL_ERROR' })
  })

  it('refuses calls after close', async () => {
    const { provider } = setup()
    await provider.close()
    await expect(provider.getToken(request)).rejects.toMatchObject({ code: 'CLOSED' })
  })
})
