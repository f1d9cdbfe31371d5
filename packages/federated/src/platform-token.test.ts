import { describe, expect, it } from 'vitest'
import { createPlatformTokenCache, type PlatformToken } from './platform-token.ts'

function clock(start = 1_000_000): { now: () => number; advance: (ms: number) => void } {
  let t = start
  return { now: () => t, advance: (ms) => (t += ms) }
}

describe('createPlatformTokenCache', () => {
  it('serves one fetch to concurrent callers and caches until the renewal point', async () => {
    const c = clock()
    let calls = 0
    const cache = createPlatformTokenCache(
      async () => {
        calls += 1
        await new Promise((resolve) => setTimeout(resolve, 5))
        return { token: `t${calls}`, expiresAt: c.now() + 3_600_000 }
      },
      { now: c.now },
    )
    expect(await Promise.all(Array.from({ length: 20 }, () => cache.get()))).toEqual(Array(20).fill('t1'))
    c.advance(3_600_000 - 5 * 60_000 - 1)
    expect(await cache.get()).toBe('t1')
    c.advance(2)
    expect(await cache.get()).toBe('t2')
    expect(cache.fetches).toBe(2)
  })

  it('keeps serving the held token when renewal fails, but never one about to expire in flight', async () => {
    const c = clock()
    let fail = false
    const cache = createPlatformTokenCache(
      () =>
        fail
          ? Promise.reject(new Error('platform down'))
          : Promise.resolve({ token: 'held', expiresAt: c.now() + 600_000 }),
      { now: c.now, minValidityMs: 60_000 },
    )
    expect(await cache.get()).toBe('held')
    fail = true
    c.advance(600_000 - 120_000) // past renewal (half the lifetime at most 5 min before), 2 min left
    expect(await cache.get()).toBe('held')
    c.advance(61_000) // 59 s left: could expire while the token request is in flight
    await expect(cache.get()).rejects.toThrow('platform down')
  })

  it('refuses a token the platform issued already (nearly) expired, and does not keep a failed fetch', async () => {
    const c = clock()
    const tokens: PlatformToken[] = [
      { token: 'stale', expiresAt: c.now() + 30_000 },
      { token: 'fresh', expiresAt: c.now() + 3_600_000 },
    ]
    const cache = createPlatformTokenCache(() => Promise.resolve(tokens.shift() ?? { token: '', expiresAt: 0 }), {
      now: c.now,
    })
    await expect(cache.get()).rejects.toMatchObject({ code: 'INVALID_RESPONSE' })
    expect(await cache.get()).toBe('fresh')
  })
})
