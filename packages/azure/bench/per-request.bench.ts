/**
 * `pnpm --filter @onbehalf/azure bench`: SPEC §7's per-request bars, in process. At 1 and 100,000 cached users,
 * each call with a fresh 1.5 KB assertion string, three paths are timed in the same run, interleaved so that
 * machine load weighs on each alike:
 *
 * - floor: SHA-256 of the assertion (node:crypto) and a map lookup, the least any cache hit can cost;
 * - credentialFor: `createOnBehalfOf(config).credentialFor(assertion).getToken(scope)`;
 * - constructor: `new OnBehalfOfCredential(tenantId, clientId, { … }).getToken(scope)`.
 *
 * The engine is an in-process stand-in: only the hit path is measured.
 */
import { createHash } from 'node:crypto'
import type { EngineFactory } from '@onbehalf/core'
import { createMemoryTokenCache } from '@onbehalf/core'
import { createOnBehalfOf, OnBehalfOfCredential } from '../src/index.ts'

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
// A fresh string per call, as a just-arrived request's header would be (no hash cached in the string).
const assertionFor = (user: number) => `${assertionBase}.${user.toString().padStart(8, '0')}`.split('').join('')
const scope = 'api://downstream/.default'
const tenantId = '72f988bf-86f1-41af-91ab-2d7cd011db47'
const clientId = '11111111-2222-3333-4444-555555555555'

type Path = 'floor' | 'credentialFor' | 'constructor'
const paths: readonly Path[] = ['floor', 'credentialFor', 'constructor']

async function run(users: number, calls: number): Promise<Record<Path, number>> {
  const cache = createMemoryTokenCache({ maxEntries: users, maxBytes: users * 8_192 })
  const obo = createOnBehalfOf({ tenantId, clientId, clientSecret: 'bench-secret', engine, cache })
  const floorMap = new Map<string, string>()
  for (let user = 0; user < users; user++) {
    const assertion = assertionFor(user)
    await obo.credentialFor(assertion).getToken(scope)
    floorMap.set(createHash('sha256').update(assertion).digest('base64url'), `at-${user}`)
  }
  const samples: Record<Path, Float64Array> = {
    floor: new Float64Array(calls),
    credentialFor: new Float64Array(calls),
    constructor: new Float64Array(calls),
  }
  let seed = 7
  let sink = 0
  for (let i = 0; i < calls; i++) {
    for (const path of paths) {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff
      const assertion = assertionFor(seed % users)
      const start = process.hrtime.bigint()
      if (path === 'floor') {
        sink += floorMap.get(createHash('sha256').update(assertion).digest('base64url'))?.length ?? 0
      } else if (path === 'credentialFor') {
        sink += (await obo.credentialFor(assertion).getToken(scope)).token.length
      } else {
        const credential = new OnBehalfOfCredential(tenantId, clientId, {
          userAssertion: assertion,
          clientSecret: 'bench-secret',
          engine,
          cache,
        })
        sink += (await credential.getToken(scope)).token.length
      }
      samples[path][i] = Number(process.hrtime.bigint() - start) / 1000
    }
  }
  if (sink === 0) throw new Error('nothing was served')
  const median = (values: Float64Array) => values.sort()[values.length >> 1]!
  return {
    floor: median(samples.floor),
    credentialFor: median(samples.credentialFor),
    constructor: median(samples.constructor),
  }
}

let ok = true
for (const users of [1, 100_000]) {
  const result = await run(users, 30_000)
  const line = paths.map((path) => `${path} ${result[path].toFixed(2)} µs`).join(', ')
  console.log(`${users.toLocaleString('en-US').padStart(7)} cached users (median): ${line}`)
  for (const path of ['credentialFor', 'constructor'] as const) {
    const ratio = result[path] / result.floor
    const pass = ratio <= 2
    ok &&= pass || users !== 100_000
    console.log(`  ${path}: ${ratio.toFixed(2)}× the floor ${pass ? '(≤ 2×)' : '(> 2×)'}`)
  }
}
console.log(`${ok ? 'PASS' : 'FAIL'}  median at 100,000 users ≤ 2× the floor, for both paths`)
if (!ok) process.exitCode = 1
