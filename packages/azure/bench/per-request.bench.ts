/**
 * `pnpm --filter @onbehalf/azure bench`: SPEC §7's per-request bar. A new `OnBehalfOfCredential` per call (as a
 * middle tier builds one per incoming request) and a cache hit, at 1 and 100,000 cached users, each call with a
 * fresh 1.5 KB assertion string. The engine is an in-process stand-in: only the hit path is measured.
 */
import type { EngineFactory } from '@onbehalf/core'
import { createMemoryTokenCache } from '@onbehalf/core'
import { OnBehalfOfCredential } from '../src/index.ts'

const engine: EngineFactory = () => ({
  name: 'bench',
  fingerprint: 'bench'.padEnd(64, '0'),
  async exchange(request) {
    return {
      accessToken: `at-${request.userAssertion.slice(-8)}`,
      tokenType: 'Bearer',
      scopes: request.scopes,
      expiresAt: Date.now() + 3_600_000,
    }
  },
  redeemRefreshToken: () => Promise.reject(new Error('unused')),
  async close() {},
})

const assertionBase = 'eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.' + 'x'.repeat(1440)
const assertionFor = (user: number) => `${assertionBase}.${user.toString().padStart(8, '0')}`
const scope = 'api://downstream/.default'
const tenantId = '72f988bf-86f1-41af-91ab-2d7cd011db47'
const clientId = '11111111-2222-3333-4444-555555555555'

async function run(users: number, calls: number) {
  const cache = createMemoryTokenCache({ maxEntries: users })
  const options = (user: number) => ({ userAssertion: assertionFor(user), clientSecret: 'bench-secret', engine, cache })
  for (let user = 0; user < users; user++) {
    await new OnBehalfOfCredential(tenantId, clientId, options(user)).getToken(scope)
  }
  const samples = new Float64Array(calls)
  let seed = 7
  for (let i = 0; i < calls; i++) {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff
    const user = seed % users
    const start = process.hrtime.bigint()
    await new OnBehalfOfCredential(tenantId, clientId, options(user)).getToken(scope)
    samples[i] = Number(process.hrtime.bigint() - start) / 1000
  }
  samples.sort()
  return { median: samples[calls >> 1]!, p99: samples[Math.floor(calls * 0.99)]! }
}

const results: Record<number, { median: number; p99: number }> = {}
for (const users of [1, 100_000]) {
  await run(users, 20_000)
  results[users] = await run(users, 200_000)
  console.log(
    `new credential + hit, ${users.toLocaleString('en-US').padStart(7)} cached users: median ${results[users].median.toFixed(2)} µs, p99 ${results[users].p99.toFixed(2)} µs`,
  )
}
const ratio = results[100_000]!.median / results[1]!.median
console.log(`ratio 100,000 / 1: ${ratio.toFixed(2)}`)
const ok = results[100_000]!.median <= 5 && ratio <= 2
console.log(`${ok ? 'PASS' : 'FAIL'}  median at 100,000 users <= 5 µs and ratio <= 2`)
if (!ok) process.exitCode = 1
