import { describe, expect, it, vi } from 'vitest'
import { createFakeEngine, deferred } from '../test/fake-engine.ts'
import type { CachedToken } from './cache.ts'
import type { TokenResult } from './engine.ts'
import { OAuthError, OboError } from './errors.ts'
import { createMemoryTokenCache } from './memory-cache.ts'
import { createTokenProvider } from './token-provider.ts'
import type { AbortSignalLike, TokenEvent, TokenProviderOptions } from './token-provider.ts'

const scopes = ['api://downstream/.default']
const request = { tenantId: 'tenant-a', userAssertion: 'user-1', scopes }

function setup(lifetimeMs = 3_600_000, extra: Partial<TokenProviderOptions> = {}) {
  let time = 1_000_000_000_000
  const now = () => time
  const engine = createFakeEngine({ now, lifetimeMs })
  const events: TokenEvent[] = []
  const provider = createTokenProvider({
    engine,
    cache: createMemoryTokenCache({ now }),
    now,
    onEvent: (event) => events.push(event),
    ...extra,
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
    expect(engine.exchanges).toHaveLength(0)
    expect(engine.refreshes).toHaveLength(0)
  })

  it('starts no token request for 100 callers whose abort lands during an asynchronous cache read', async () => {
    const engine = createFakeEngine()
    const read = deferred<undefined>()
    const provider = createTokenProvider({
      engine,
      cache: { get: () => read.promise, set: () => undefined, delete: () => undefined },
    })
    const controllers = Array.from({ length: 100 }, () => new AbortController())
    const calls = controllers.map((c) => provider.getToken({ ...request, signal: c.signal }))
    for (const c of controllers) c.abort()
    read.resolve(undefined)
    const results = await Promise.allSettled(calls)
    expect(results.every((r) => r.status === 'rejected' && (r.reason as OboError).code === 'ABORTED')).toBe(true)
    expect(engine.exchanges).toHaveLength(0)
    expect(provider.stats()).toMatchObject({ engineCalls: 0, inFlight: 0 })
  })

  it('starts no token request for a caller whose timeout passed during an asynchronous cache read', async () => {
    const engine = createFakeEngine()
    const read = deferred<undefined>()
    const provider = createTokenProvider({
      engine,
      cache: { get: () => read.promise, set: () => undefined, delete: () => undefined },
    })
    const call = provider.getToken({ ...request, timeoutMs: 1 })
    await new Promise((resolve) => setTimeout(resolve, 5))
    read.resolve(undefined)
    await expect(call).rejects.toMatchObject({ code: 'TIMEOUT' })
    expect(engine.exchanges).toHaveLength(0)
  })

  it('a timeout stops the wait with TIMEOUT; the last waiter leaving cancels the request', async () => {
    const { engine, provider } = setup()
    engine.behaviour = (r) =>
      new Promise((_, reject) => {
        r.signal?.addEventListener('abort', () => reject(new OboError('aborted', { code: 'ABORTED' })))
      })
    await expect(provider.getToken({ ...request, timeoutMs: 10 })).rejects.toMatchObject({ code: 'TIMEOUT' })
    expect(engine.exchanges[0]!.signal?.aborted).toBe(true)
    expect(provider.stats().inFlight).toBe(0)
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

describe('createTokenProvider: abort plumbing on the hit path', () => {
  /** An AbortSignalLike that is not a DOM AbortSignal, counting its listeners. */
  function countingSignal(): AbortSignalLike & { added: number; removed: number } {
    return {
      aborted: false,
      added: 0,
      removed: 0,
      addEventListener() {
        this.added++
      },
      removeEventListener() {
        this.removed++
      },
    }
  }

  it('10,000 hits with a non-native signal and a timeout leave no listener and start no timer', async () => {
    const { provider } = setup()
    await provider.getToken(request)
    const signal = countingSignal()
    const setTimeoutSpy = vi.spyOn(globalThis, 'setTimeout')
    try {
      for (let i = 0; i < 10_000; i++) await provider.getToken({ ...request, signal, timeoutMs: 60_000 })
      expect(setTimeoutSpy).not.toHaveBeenCalled()
    } finally {
      setTimeoutSpy.mockRestore()
    }
    expect(signal.added - signal.removed).toBe(0)
    expect(signal.added).toBe(0)
    expect(provider.stats().hits).toBe(10_000)
  })

  it('a miss removes the listener it added once the caller is served', async () => {
    const { provider } = setup()
    const signal = countingSignal()
    await provider.getToken({ ...request, signal, timeoutMs: 60_000 })
    expect(signal.added).toBe(1)
    expect(signal.removed).toBe(1)
  })
})

describe('createTokenProvider: refresh-token redemption window', () => {
  const hourMs = 3_600_000

  function withRefreshTokens(extra: Partial<TokenProviderOptions> = {}) {
    const context = setup(hourMs, extra)
    const { engine, now } = context
    let issued = 0
    engine.behaviour = async (r) => ({
      accessToken: `${'userAssertion' in r ? 'exchange' : 'redeem'}-${++issued}`,
      tokenType: 'Bearer',
      scopes: r.scopes,
      expiresAt: now() + hourMs,
      refreshToken: `rt-${issued}`,
    })
    // The assertion expires 10 minutes after the first exchange.
    const assertion = jwtExpiringAt(Math.floor(now() / 1000) + 600)
    return { ...context, call: () => context.provider.getToken({ ...request, userAssertion: assertion }) }
  }

  it('redeems within the window counted from the first exchange, never after it, however often it redeems', async () => {
    const { engine, advance, call } = withRefreshTokens({ refreshTokenWindowMs: 5 * hourMs })
    await call() // t = 0: first exchange
    advance(hourMs + 1)
    expect((await call()).accessToken).toBe('redeem-2') // t ≈ 1 h
    advance(hourMs + 1)
    expect((await call()).accessToken).toBe('redeem-3') // t ≈ 2 h
    advance(hourMs + 1)
    expect((await call()).accessToken).toBe('redeem-4') // t ≈ 3 h
    advance(hourMs + 1)
    expect((await call()).accessToken).toBe('redeem-5') // t ≈ 4 h
    advance(hourMs + 1)
    // t ≈ 5 h: the window ended. Each redemption stored the entry again, yet it did not slide: the expired
    // assertion goes to the IdP (which refuses it) instead of a sixth redemption.
    expect((await call()).accessToken).toBe('exchange-6')
    expect(engine.refreshes).toHaveLength(4)
    expect(engine.exchanges).toHaveLength(2)
  })

  it('stores the entry until the window ends, not a fresh window past each redemption', async () => {
    const sets: { value: CachedToken; ttlMs: number }[] = []
    let time = 1_000_000_000_000
    const now = () => time
    const inner = createMemoryTokenCache({ now })
    const engine = createFakeEngine({ now })
    engine.behaviour = async (r) => ({
      accessToken: 'userAssertion' in r ? 'exchanged' : 'redeemed',
      tokenType: 'Bearer',
      scopes: r.scopes,
      expiresAt: now() + hourMs,
      refreshToken: 'rt',
    })
    const provider = createTokenProvider({
      engine,
      now,
      refreshTokenWindowMs: 5 * hourMs,
      cache: {
        get: (key) => inner.get(key),
        set: (key, value, ttlMs) => {
          sets.push({ value, ttlMs })
          inner.set(key, value, ttlMs)
        },
        delete: (key) => inner.delete(key),
      },
    })
    const userAssertion = jwtExpiringAt(Math.floor(now() / 1000) + 600)
    await provider.getToken({ ...request, userAssertion })
    time += hourMs + 1
    await provider.getToken({ ...request, userAssertion })
    time += hourMs + 1
    await provider.getToken({ ...request, userAssertion })
    expect(sets.map((s) => s.value.accessToken)).toEqual(['exchanged', 'redeemed', 'redeemed'])
    expect(sets.map((s) => s.ttlMs)).toEqual([5 * hourMs, 4 * hourMs - 1, 3 * hourMs - 2])
    expect(new Set(sets.map((s) => s.value.firstExchangedAt))).toEqual(new Set([1_000_000_000_000]))
  })

  it('defaults to a 24-hour window', async () => {
    const { engine, advance, call } = withRefreshTokens()
    await call()
    for (let i = 0; i < 23; i++) {
      advance(hourMs + 1)
      await call()
    }
    expect(engine.refreshes).toHaveLength(23)
    advance(hourMs + 1)
    await call()
    expect(engine.refreshes).toHaveLength(23)
    expect(engine.exchanges).toHaveLength(2)
  })

  it('0 turns redemption off: the refresh token is not even stored', async () => {
    const { engine, advance, call } = withRefreshTokens({ refreshTokenWindowMs: 0 })
    const token = await call()
    expect(token.refreshToken).toBeUndefined()
    advance(hourMs + 1)
    await call()
    expect(engine.refreshes).toHaveLength(0)
    expect(engine.exchanges).toHaveLength(2)
  })

  it('a request may set its own window', async () => {
    const { engine, advance, provider, now } = withRefreshTokens()
    const assertion = jwtExpiringAt(Math.floor(now() / 1000) + 600)
    await provider.getToken({ ...request, userAssertion: assertion, refreshTokenWindowMs: 0 })
    advance(hourMs + 1)
    await provider.getToken({ ...request, userAssertion: assertion })
    expect(engine.refreshes).toHaveLength(0)
  })

  it('refuses a negative or NaN window with a TypeError', () => {
    const engine = createFakeEngine()
    expect(() => createTokenProvider({ engine, refreshTokenWindowMs: -1 })).toThrow(/refreshTokenWindowMs/)
    expect(() => createTokenProvider({ engine, refreshTokenWindowMs: Number.NaN })).toThrow(TypeError)
  })
})

describe('createTokenProvider: Retry-After cap', () => {
  it('blocks a key at most 1 hour, even for retryAfterMs = Infinity from an engine', async () => {
    const { engine, provider, advance } = setup()
    const ok = engine.behaviour
    engine.behaviour = async () => {
      throw new OAuthError({ status: 429, error: 'throttled', retryAfterMs: Number.POSITIVE_INFINITY })
    }
    await expect(provider.getToken(request)).rejects.toMatchObject({ code: 'THROTTLED' })
    engine.behaviour = ok
    advance(3_599_000)
    await expect(provider.getToken(request)).rejects.toMatchObject({ code: 'THROTTLED' })
    advance(1_001)
    await expect(provider.getToken(request)).resolves.toBeDefined()
    expect(engine.exchanges).toHaveLength(2)
  })

  it('a NaN retryAfterMs blocks for the default, not forever', async () => {
    const { engine, provider, advance } = setup()
    const ok = engine.behaviour
    engine.behaviour = async () => {
      throw new OAuthError({ status: 429, error: 'throttled', retryAfterMs: Number.NaN })
    }
    await expect(provider.getToken(request)).rejects.toMatchObject({ code: 'THROTTLED' })
    engine.behaviour = ok
    advance(5_001)
    await expect(provider.getToken(request)).resolves.toBeDefined()
  })
})
