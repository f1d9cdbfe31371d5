/**
 * `pnpm bench`: the memory cache through the token provider, as a per-request credential uses it. Each call
 * hashes a fresh 1.5 KB assertion string. Prints median and p99 hit latency at 1, 1,000 and 100,000 cached
 * users, the 100,000 / 1 ratio and heap bytes per entry beyond the token, against SPEC §7's bars.
 */
import { createMemoryTokenCache, createTokenProvider } from '../src/index.ts'
import type { OboEngine } from '../src/index.ts'

const gc = (globalThis as { gc?: () => void }).gc
if (gc === undefined) throw new Error('Run with --expose-gc (pnpm bench does).')

const assertionBase = 'eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.' + 'x'.repeat(1500 - 60)
const tokenLength = 1200
const scopes = ['api://downstream/.default']
const engine: OboEngine = {
  name: 'bench',
  fingerprint: 'b'.repeat(64),
  async exchange(request) {
    return {
      // A distinct token per user, like real ones; its bytes are what "beyond the token itself" subtracts.
      accessToken: (request.userAssertion.slice(-8) + 't'.repeat(tokenLength)).slice(0, tokenLength),
      tokenType: 'Bearer',
      scopes: request.scopes,
      expiresAt: Date.now() + 3_600_000,
    }
  },
  redeemRefreshToken: () => Promise.reject(new Error('unused')),
  async close() {},
}

const assertionFor = (user: number) => `${assertionBase}.${user.toString().padStart(8, '0')}`

async function fill(users: number) {
  const cache = createMemoryTokenCache({ maxEntries: Math.max(users, 1), maxBytes: Math.max(users, 1) * 8_192 }) // every user held: the entry bound binds, not the byte budget
  const provider = createTokenProvider({ engine, cache })
  for (let user = 0; user < users; user++) {
    await provider.getToken({ tenantId: 'tenant', userAssertion: assertionFor(user), scopes })
  }
  return { provider, cache }
}

async function measureHits(users: number, calls: number) {
  const { provider } = await fill(users)
  const samples = new Float64Array(calls)
  let seed = 42
  for (let i = 0; i < calls; i++) {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff
    const user = seed % users
    const start = process.hrtime.bigint()
    await provider.getToken({ tenantId: 'tenant', userAssertion: assertionFor(user), scopes })
    samples[i] = Number(process.hrtime.bigint() - start) / 1000
  }
  if (provider.stats().misses !== users) throw new Error('a measured call missed the cache')
  samples.sort()
  return { median: samples[Math.floor(calls / 2)]!, p99: samples[Math.floor(calls * 0.99)]! }
}

async function heapPerEntry(users: number) {
  gc!()
  const before = process.memoryUsage().heapUsed
  const { cache } = await fill(users)
  gc!()
  const after = process.memoryUsage().heapUsed
  if (cache.size !== users) throw new Error('cache lost entries')
  // A one-byte V8 string costs its length plus a 16-byte header (rounded to 8): that is the token itself.
  const tokenBytes = Math.ceil((tokenLength + 16) / 8) * 8
  return (after - before) / users - tokenBytes
}

const results: Record<number, { median: number; p99: number }> = {}
for (const users of [1, 1_000, 100_000]) {
  await measureHits(users, 20_000) // warm-up: JIT and caches
  results[users] = await measureHits(users, 200_000)
  console.log(
    `hit, ${users.toLocaleString('en-US').padStart(7)} cached users: median ${results[users].median.toFixed(2)} µs, p99 ${results[users].p99.toFixed(2)} µs`,
  )
}
const ratio = results[100_000]!.median / results[1]!.median
const overhead = await heapPerEntry(100_000)
console.log(`ratio 100,000 / 1 (median): ${ratio.toFixed(2)}`)
console.log(`heap per entry beyond the token: ${Math.round(overhead)} bytes`)

const bars = [
  ['hit median at 100,000 users <= 5 µs', results[100_000]!.median <= 5],
  ['ratio 100,000 / 1 <= 2', ratio <= 2],
  ['overhead per entry <= 2048 bytes', overhead <= 2048],
] as const
for (const [bar, ok] of bars) console.log(`${ok ? 'PASS' : 'FAIL'}  ${bar}`)
if (bars.some(([, ok]) => !ok)) process.exitCode = 1
