/**
 * `pnpm --filter @onbehalf/opentelemetry bench`: what telemetry adds to a memory cache hit (SPEC §7: nothing
 * when unsubscribed, ≤ 1 µs with OpenTelemetry subscribed). Rounds alternate between no subscriber and
 * `registerOnBehalfOfMetrics` on a real SDK meter provider, so machine load hits both alike; each round takes
 * the median of its hits (a fresh 1.5 KB assertion string per call, as a per-request credential does).
 */
import { createMemoryTokenCache, createTokenProvider, type OboEngine } from '@onbehalf/core'
import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics'
import { registerOnBehalfOfMetrics } from '../src/index.ts'

const users = 1_000
const callsPerRound = 20_000
const rounds = 7
const assertionBase = 'eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.' + 'x'.repeat(1500 - 60)
const scopes = ['api://downstream/.default']
// The hit path never reaches the engine; this one only fills the cache.
const engine: OboEngine = {
  name: 'bench',
  fingerprint: 'b'.repeat(64),
  async exchange() {
    return { accessToken: 't'.repeat(1200), tokenType: 'Bearer', scopes, expiresAt: Date.now() + 3_600_000 }
  },
  redeemRefreshToken: () => Promise.reject(new Error('unused')),
  async close() {},
}
const assertionFor = (user: number): string => `${assertionBase}.${user.toString().padStart(8, '0')}`

class Reader extends MetricReader {
  protected override onForceFlush(): Promise<void> {
    return Promise.resolve()
  }
  protected override onShutdown(): Promise<void> {
    return Promise.resolve()
  }
}

const provider = createTokenProvider({
  engine,
  cache: createMemoryTokenCache({ maxEntries: users, maxBytes: users * 8_192 }),
})
for (let user = 0; user < users; user++) {
  await provider.getToken({ tenantId: 'tenant', userAssertion: assertionFor(user), scopes })
}

async function roundMedianUs(): Promise<number> {
  const samples = new Float64Array(callsPerRound)
  let seed = 42
  for (let i = 0; i < callsPerRound; i++) {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff
    const start = process.hrtime.bigint()
    await provider.getToken({ tenantId: 'tenant', userAssertion: assertionFor(seed % users), scopes })
    samples[i] = Number(process.hrtime.bigint() - start) / 1000
  }
  samples.sort()
  return samples[callsPerRound >> 1]!
}

const reader = new Reader()
const meterProvider = new MeterProvider({ readers: [reader] })
await roundMedianUs() // warm-up
const off: number[] = []
const on: number[] = []
for (let round = 0; round < rounds; round++) {
  off.push(await roundMedianUs())
  const metrics = registerOnBehalfOfMetrics({ meterProvider })
  on.push(await roundMedianUs())
  metrics.unregister()
}
if (provider.stats().misses !== users) throw new Error('a measured call missed the cache')
// The subscriber really counted: the SDK exports the hits.
const registration = registerOnBehalfOfMetrics({ meterProvider })
await roundMedianUs()
const { resourceMetrics } = await reader.collect()
registration.unregister()
const counted = resourceMetrics.scopeMetrics
  .flatMap((scope) => scope.metrics)
  .find((metric) => metric.descriptor.name === 'onbehalf.token.acquisitions')
  ?.dataPoints.reduce((total, point) => total + (point.value as number), 0)
if (counted !== callsPerRound) throw new Error(`expected ${callsPerRound} hits counted, got ${String(counted)}`)

const median = (values: number[]): number => [...values].sort((x, y) => x - y)[values.length >> 1]!
const fmt = (us: number): string => `${us.toFixed(2)} µs`
const offMedian = median(off)
const onMedian = median(on)
console.log(
  `hit, nothing subscribed   : median of ${rounds} round medians ${fmt(offMedian)} (rounds: ${off.map(fmt).join(', ')})`,
)
console.log(
  `hit, OpenTelemetry metrics: median of ${rounds} round medians ${fmt(onMedian)} (rounds: ${on.map(fmt).join(', ')})`,
)
console.log(`added by telemetry        : ${fmt(onMedian - offMedian)} (bar: ≤ 1 µs)`)
console.log(`noise (spread of unsubscribed round medians): ${fmt(Math.max(...off) - Math.min(...off))}`)
