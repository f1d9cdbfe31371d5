import { Redis } from 'ioredis'
import { afterAll, expect, it } from 'vitest'
import { runScenarios } from '../src/scenarios.ts'
import { startDemoStack, type DemoStack } from '../src/stack.ts'

// The scripted pass again, with the other engine (msal-node) and the distributed cache (Redis L1+L2):
// the middle tier's code is the same, only the environment differs.
const redisUrl = process.env['REDIS_URL']
let stack: DemoStack | undefined
let redis: Redis | undefined

afterAll(async () => {
  await stack?.close()
  await redis?.quit()
})

it('passes every scenario with the msal engine and the Redis cache, storing only encrypted values under hashed keys', async () => {
  // In the test, not in beforeAll: a failed hook would report the test as skipped.
  if (redisUrl === undefined || redisUrl === '') {
    throw new Error('REDIS_URL is not set: run the tests through `pnpm test`, which starts a loopback redis-server.')
  }
  redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 })
  stack = await startDemoStack({ env: { ONBEHALF_ENGINE: 'msal', REDIS_URL: redisUrl } })
  expect(stack.cacheKind).toBe('redis')
  const results = await runScenarios(stack)
  expect(results.filter((r) => !r.ok).map((r) => `${r.name}: ${r.detail}`)).toEqual([])
  expect(results.length).toBeGreaterThanOrEqual(7)
  const obo = stack.identity.emulator?.requests.filter((r) => r.form['requested_token_use'] === 'on_behalf_of') ?? []
  expect(obo.length).toBeGreaterThan(0)
  // msal-node sends its telemetry (x-client-SKU) in the form body.
  expect(obo.every((r) => /msal/i.test(r.form['x-client-SKU'] ?? ''))).toBe(true)

  const keys = await redis.keys('onbehalf-demo:*')
  expect(keys.length).toBeGreaterThan(0)
  const entries = keys.filter((key) => !key.startsWith('onbehalf-demo:user:'))
  expect(entries.length).toBeGreaterThan(0)
  // A JWT in the clear is `eyJ…` followed by two dot-separated segments. Ciphertext is base64url with no dots, so
  // unlike a bare 'eyJ' (which random base64url contains now and then) this shape cannot appear by chance.
  const jwtInTheClear = /eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*\./
  for (const key of entries) {
    expect(key).toMatch(/^onbehalf-demo:\{[A-Za-z0-9_-]{43}\}$/)
    const value = (await redis.getBuffer(key)) ?? Buffer.alloc(0)
    expect(value.toString('latin1')).not.toMatch(jwtInTheClear)
  }
  // The per-user index that evictUser reads is named by a keyed hash and holds entry keys only.
  for (const key of keys.filter((key) => key.startsWith('onbehalf-demo:user:'))) {
    expect(key).toMatch(/^onbehalf-demo:user:\{[A-Za-z0-9_-]{22,43}\}$/)
    for (const member of await redis.smembers(key)) expect(member).not.toMatch(jwtInTheClear)
  }
})
