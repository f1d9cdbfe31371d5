import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import {
  isNotApplicable,
  isSkipped,
  quickSettings,
  runComparison,
  writeOutputs,
  type ComparisonResults,
  type ComparisonSettings,
} from '../src/index.ts'

// A tiny run of the real harness: emulators, one process per scenario and contender, IPC, outputs. The figures
// are meaningless at this size; the behaviour (request counts, hits being hits) is not.
const settings: ComparisonSettings = {
  ...quickSettings,
  contenders: ['ours-jose', 'msal-node', 'azure-identity'],
}
let results: ComparisonResults | undefined
const dirs: string[] = []

async function run(): Promise<ComparisonResults> {
  results ??= await runComparison(settings)
  return results
}

afterAll(async () => {
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })))
})

describe('benchmark harness (tiny run)', () => {
  it('counts one token request for a returning user with per-request onbehalf credentials, one per call for @azure/identity', async () => {
    const { perRequest } = await run()
    const ours = perRequest['ours-jose']
    const identity = perRequest['azure-identity']
    const msal = perRequest['msal-node']
    if (
      ours === undefined ||
      isNotApplicable(ours) ||
      identity === undefined ||
      isNotApplicable(identity) ||
      msal === undefined ||
      isNotApplicable(msal)
    ) {
      throw new Error('per-request results missing')
    }
    expect(ours.requests.token).toBe(1)
    expect(msal.requests.token).toBe(1)
    expect(identity.requests.token).toBe(settings.perRequestCalls)
    expect(ours.latencyMs.count).toBe(settings.perRequestCalls)
  }, 180_000)

  it('sees single-flight in onbehalf and one request per caller in msal-node during a herd', async () => {
    const { herd } = await run()
    const ours = herd['ours-jose']
    const msal = herd['msal-node']
    if (ours === undefined || isNotApplicable(ours) || msal === undefined || isNotApplicable(msal)) {
      throw new Error('herd results missing')
    }
    expect(ours).toMatchObject({ failed: 0, distinctTokens: 1 })
    expect(ours.requests.token).toBe(1)
    expect(msal.requests.token).toBeGreaterThan(1)
  }, 180_000)

  it('measures hits that are hits, over real and pre-filled users', async () => {
    const { cacheHits } = await run()
    expect(isNotApplicable(cacheHits['azure-identity'])).toBe(true)
    for (const id of ['ours-jose', 'msal-node'] as const) {
      const result = cacheHits[id]
      if (isNotApplicable(result)) throw new Error(`${id} has no cache-hit result`)
      const measured = result.points.filter((p) => !isSkipped(p))
      expect(measured.map((p) => p.users)).toEqual(settings.sizes)
      for (const point of measured) {
        if (isSkipped(point)) continue
        expect(point.tokenRequestsDuringHits).toBe(0)
        expect(point.wrongTokens).toBe(0)
        expect(point.hitUs.count).toBeGreaterThanOrEqual(settings.hitMinSamples)
        // The floor is timed beside every hit, in the same loop.
        expect(point.floorUs?.count).toBe(point.hitUs.count)
      }
      const largest = measured[measured.length - 1]
      if (largest === undefined || isSkipped(largest)) throw new Error('no largest point')
      expect(largest.prefilledUsers).toBe(largest.users - settings.realUsers)
    }
  }, 180_000)

  it('measures the protected API: hits for @onbehalf/server, an exchange per request for the hand-written tier', async () => {
    const { protectedApi } = await run()
    const ours = protectedApi?.['ours-jose']
    const handWritten = protectedApi?.['azure-identity']
    if (ours === undefined || isNotApplicable(ours) || handWritten === undefined || isNotApplicable(handWritten)) {
      throw new Error('protected-API results missing')
    }
    expect(isNotApplicable(protectedApi?.['msal-node'])).toBe(true)
    expect(ours.users).toBe(settings.protectedApiUsers)
    expect(ours.requestsDuringMeasure.token).toBe(0)
    expect(ours.wrongUsers).toBe(0)
    expect(ours.requestUs.count).toBeGreaterThanOrEqual(settings.hitMinSamples)
    expect(ours.validateUs.count).toBe(ours.requestUs.count)
    // @azure/identity's credential per request has no shared cache: every request is a token exchange.
    expect(handWritten.requestsDuringMeasure.token).toBe(handWritten.requestUs.count)
    expect(handWritten.wrongUsers).toBe(0)
  }, 180_000)

  it('measures memory and cold calls, and writes the JSON, the page and the charts', async () => {
    const r = await run()
    const memory = r.memory['ours-jose']
    if (memory === undefined || isNotApplicable(memory)) throw new Error('memory result missing')
    expect(memory.points.map((p) => p.users)).toEqual(settings.memorySizes)
    const msalMemory = r.memory['msal-node']
    if (msalMemory === undefined || isNotApplicable(msalMemory)) {
      throw new Error('msal-node memory result missing')
    }
    expect(msalMemory.points.filter(isSkipped).map((p) => p.users)).toEqual(
      settings.memorySizes.filter((n) => n > settings.msalMemoryMaxUsers),
    )
    for (const id of settings.contenders) {
      const cold = r.cold[id]
      if (cold === undefined || isNotApplicable(cold)) throw new Error(`${id} has no cold result`)
      expect(cold.requests.token).toBe(1)
    }

    const dir = await mkdtemp(join(tmpdir(), 'onbehalf-bench-test-'))
    dirs.push(dir)
    const written = await writeOutputs(r, settings, {
      json: join(dir, 'latest.json'),
      markdown: join(dir, 'docs', 'benchmarks.md'),
      chartsDir: join(dir, 'docs', 'benchmarks'),
    })
    expect(JSON.parse(await readFile(written.json, 'utf8'))).toEqual(JSON.parse(JSON.stringify(r)))
    const page = await readFile(written.markdown, 'utf8')
    expect(page).toContain('](benchmarks/cache-hit-latency.svg)')
    expect(page).toContain('## 5. Memory per cached user')
    expect(page).toContain('](benchmarks/protected-api.svg)')
    expect(written.protectedApiChart).toBe(join(dir, 'docs', 'benchmarks', 'protected-api.svg'))
    for (const chart of [written.latencyChart, written.requestsChart, written.protectedApiChart ?? '']) {
      const svg = await readFile(chart, 'utf8')
      expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true)
      expect(svg).not.toContain('NaN')
    }
  }, 180_000)
})
