import { describe, expect, it } from 'vitest'
import { fleetSection, spliceFleetSection } from '../src/fleet/markdown.ts'
import { runFleet } from '../src/fleet/run-fleet.ts'
import type { FleetResults } from '../src/fleet/results.ts'

// A tiny run of the real fleet: Redis, the emulator over HTTPS, four instance processes. Its timings mean
// nothing at this size and on a shared machine; the behaviour (request counts, every instance seeing an
// eviction and a replacement) does. The propagation waits are bounded only by the test's timeout.
describe('bench:fleet, tiny', () => {
  let results: FleetResults

  it('four processes, one cold burst: exactly one token request per user with the lock, one per process without', async () => {
    results = await runFleet({ users: 12, trials: 2 })
    expect(results.instances).toBe(4)
    expect(results.withLock).toMatchObject({ tokenRequests: 12, failed: 0 })
    expect(results.withLock.engineCallsPerInstance.reduce((sum, n) => sum + n, 0)).toBe(12)
    // Without the lock each process asks for every user it finds nowhere; one that starts late may find some.
    expect(results.withoutLock.failed).toBe(0)
    expect(results.withoutLock.tokenRequests).toBeGreaterThanOrEqual(12)
    expect(results.withoutLock.tokenRequests).toBeLessThanOrEqual(48)
  }, 600_000)

  it('an instance with an empty L1 reads the others’ entries from Redis without a token request', () => {
    expect(results.l2Hit.reads).toBeGreaterThan(0)
    expect(results.l2Hit).toMatchObject({ failed: 0, tokenRequests: 0 })
    expect(results.l2Hit.ms.count).toBe(results.l2Hit.reads)
  })

  it('an eviction and a claims replacement reach every instance', () => {
    // Each trial ends only when every instance saw it (a missing one would hang the run past its timeout).
    expect(results.evictUser.ms.count).toBe(2)
    expect(results.claimsReplacement.ms.count).toBe(2)
    expect(results.bars.map((bar) => bar.name)).toHaveLength(3)
  })

  it('renders its own section of docs/benchmarks.md, and replaces only that section', () => {
    const section = fleetSection(results)
    expect(section).toContain('## 6. Fleet: 4 processes on one Redis')
    const page = '# Benchmarks\n\nintro\n'
    const once = spliceFleetSection(page, section)
    expect(once.startsWith(page.trimEnd())).toBe(true)
    expect(once).toContain(section)
    const again = spliceFleetSection(`${once}\n## After\n`, fleetSection({ ...results, users: 7 }))
    expect(again.split('<!-- fleet:start').length).toBe(2)
    expect(again).toContain('One cold burst of 7 users')
    expect(again).not.toContain('One cold burst of 12 users')
    expect(again).toContain('## After')
    expect(again.startsWith(page.trimEnd())).toBe(true)
  })
})
