/**
 * The comparison run: starts the emulator(s) in this process, runs every scenario for every contender in its
 * own process, and assembles the results with the bars.
 *
 * @module
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { computeBars } from './bars.ts'
import type { ChildSpec } from './child-protocol.ts'
import { protectedTierIds } from './contenders/protected-tier.ts'
import { startLane, type EmulatorLane } from './emulator-lane.ts'
import { machineInfo, versionInfo } from './machine.ts'
import {
  isNotApplicable,
  type CacheHitResult,
  type ColdResult,
  type ComparisonResults,
  type ContenderId,
  type HerdResult,
  type MemoryResult,
  type NotApplicable,
  type PerRequestResult,
  type ProtectedApiResult,
  type ScenarioId,
  type Skipped,
} from './results.ts'
import { runChild } from './run-child.ts'
import type { ColdRun } from './scenarios/cold.ts'
import type { ComparisonSettings } from './settings.ts'
import { quantile } from './stats.ts'

/** Options of {@link runComparison}. */
export interface RunOptions {
  /** Progress lines (one per scenario process). */
  readonly onProgress?: (line: string) => void
}

interface Job {
  readonly scenario: ScenarioId
  readonly contender: ContenderId
  readonly params: ChildSpec['params']
}

/** Why `@azure/identity` takes no part in the shared-cache scenarios. */
const identityHasNoSharedCache =
  'A credential is built per request (the user assertion is a constructor argument) and each instance owns a private MSAL cache, so no cache outlives a request: scenario 2 shows the consequence.'

/** Why msal-node takes no part in the protected-API scenario. */
const protectedApiHandWritten =
  'the hand-written middle tier of the protected-API scenario is jose + `@azure/identity`, the way Node APIs are written today (see the `@azure/identity` row)'

function notApplicable(reason: string): NotApplicable {
  return { notApplicable: reason }
}

function planJobs(settings: ComparisonSettings): Job[] {
  const jobs: Job[] = []
  const common = { maxEntries: settings.maxEntries }
  for (const scenario of settings.scenarios) {
    for (const contender of settings.contenders) {
      const sharedCache = contender !== 'azure-identity'
      switch (scenario) {
        case 'cold':
          for (let run = 0; run < settings.coldRuns; run++) {
            jobs.push({ scenario, contender, params: { ...common, run } })
          }
          break
        case 'per-request':
          jobs.push({ scenario, contender, params: { ...common, calls: settings.perRequestCalls } })
          break
        case 'herd':
          jobs.push({
            scenario,
            contender,
            params: { ...common, concurrency: settings.herdConcurrency },
          })
          break
        case 'cache-hits':
          if (sharedCache) {
            jobs.push({
              scenario,
              contender,
              params: {
                ...common,
                sizes: settings.sizes,
                realUsers: settings.realUsers,
                capMs: settings.hitCapMs,
                maxSamples: settings.hitMaxSamples,
                minSamples: settings.hitMinSamples,
                budgetMs: settings.hitBudgetMs,
                warmupMs: settings.hitWarmupMs,
              },
            })
          }
          break
        case 'protected-api':
          if (protectedTierIds.includes(contender)) {
            jobs.push({
              scenario,
              contender,
              params: {
                users: settings.protectedApiUsers,
                maxSamples: settings.hitMaxSamples,
                minSamples: settings.hitMinSamples,
                budgetMs: settings.protectedApiBudgetMs,
                warmupMs: settings.hitWarmupMs,
              },
            })
          }
          break
        case 'memory':
          if (sharedCache) {
            const sizes = settings.memorySizes.filter(
              (n) => contender !== 'msal-node' || n <= settings.msalMemoryMaxUsers,
            )
            if (sizes.length > 0) {
              jobs.push({
                scenario,
                contender,
                params: { ...common, sizes, batch: settings.prefillBatch },
              })
            }
          }
          break
      }
    }
  }
  return jobs
}

const msalMemorySkip = (settings: ComparisonSettings): string =>
  `not run above ${settings.msalMemoryMaxUsers.toLocaleString('en-US')} users: msal-node can only be pre-filled through tokenCache.deserialize(), which replaces the whole cache from one JSON string (≈ 5 KB per user, so ≈ 0.5 GB at 100,000 users, near V8's maximum string length), and filling through acquireTokenOnBehalfOf scans the whole cache on every write (O(N²))`

/**
 * Runs the comparison and returns its results (nothing is written to disk here).
 *
 * @example
 * ```ts
 * const results = await runComparison(fullSettings, { onProgress: console.log })
 * ```
 */
export async function runComparison(
  settings: ComparisonSettings,
  options: RunOptions = {},
): Promise<ComparisonResults> {
  const started = Date.now()
  const machine = machineInfo()
  const dir = await mkdtemp(join(tmpdir(), 'onbehalf-bench-'))
  const lanes: EmulatorLane[] = []
  const outcomes = new Map<Job, unknown>()
  try {
    for (let i = 0; i < Math.max(1, settings.lanes); i++) lanes.push(await startLane(dir, i))
    const jobs = planJobs(settings)
    let next = 0
    let done = 0
    const work = async (lane: EmulatorLane): Promise<void> => {
      while (next < jobs.length) {
        const job = jobs[next++] as Job
        const t0 = Date.now()
        let status: string
        try {
          outcomes.set(job, await runChild(lane, { ...job, emulator: lane.access }, settings.childTimeoutMs))
          status = `${((Date.now() - t0) / 1000).toFixed(1)} s`
        } catch (error) {
          // One failing process must not lose the rest of the run: the report shows what failed.
          const message = (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? 'unknown error'
          outcomes.set(job, notApplicable(`the scenario process failed (${message})`))
          status = `FAILED: ${message}`
        }
        done++
        options.onProgress?.(`[${done}/${jobs.length}] ${job.scenario} · ${job.contender}: ${status}`)
      }
    }
    await Promise.all(lanes.map(work))

    const byScenario = <T>(scenario: ScenarioId): Map<ContenderId, T[]> => {
      const map = new Map<ContenderId, T[]>()
      for (const [job, result] of outcomes) {
        if (job.scenario !== scenario) continue
        const list = map.get(job.contender) ?? []
        list.push(result as T)
        map.set(job.contender, list)
      }
      return map
    }
    const cacheHits = {} as Record<ContenderId, CacheHitResult | NotApplicable>
    const perRequest = {} as Record<ContenderId, PerRequestResult | NotApplicable>
    const herd = {} as Record<ContenderId, HerdResult | NotApplicable>
    const cold = {} as Record<ContenderId, ColdResult | NotApplicable>
    const memory = {} as Record<ContenderId, MemoryResult | NotApplicable>
    const protectedApi: Partial<Record<ContenderId, ProtectedApiResult | NotApplicable>> = {}
    const protectedApis = byScenario<ProtectedApiResult>('protected-api')
    const hits = byScenario<CacheHitResult>('cache-hits')
    const perRequests = byScenario<PerRequestResult>('per-request')
    const herds = byScenario<HerdResult>('herd')
    const colds = byScenario<ColdRun>('cold')
    const memories = byScenario<MemoryResult>('memory')
    for (const id of settings.contenders) {
      const has = (scenario: ScenarioId): boolean => settings.scenarios.includes(scenario)
      if (has('cache-hits')) {
        cacheHits[id] = hits.get(id)?.[0] ?? notApplicable(identityHasNoSharedCache)
      }
      if (has('per-request')) {
        const r = perRequests.get(id)?.[0]
        if (r !== undefined) perRequest[id] = r
      }
      if (has('herd')) {
        const r = herds.get(id)?.[0]
        if (r !== undefined) herd[id] = r
      }
      const allRuns = colds.get(id) ?? []
      const runs = allRuns.filter((r): r is ColdRun => !isNotApplicable(r))
      if (has('cold') && runs[0] !== undefined) {
        const times = runs.map((r) => r.firstCallMs)
        cold[id] = {
          runs: runs.length,
          firstCallMs: times,
          medianMs: quantile(
            [...times].sort((a, b) => a - b),
            0.5,
          ),
          requests: runs[0].requests,
        }
      } else if (has('cold') && allRuns[0] !== undefined) {
        cold[id] = allRuns[0] as unknown as NotApplicable
      }
      if (has('protected-api')) {
        protectedApi[id] = protectedApis.get(id)?.[0] ?? notApplicable(protectedApiHandWritten)
      }
      if (has('memory')) {
        const measured = memories.get(id)?.[0]
        if (measured === undefined) memory[id] = notApplicable(identityHasNoSharedCache)
        else if (isNotApplicable(measured)) memory[id] = measured
        else {
          const skipped: Skipped[] = settings.memorySizes
            .filter((n) => !measured.points.some((p) => p.users === n))
            .map((users) => ({ users, skipped: msalMemorySkip(settings) }))
          memory[id] = {
            ...measured,
            points: [...measured.points, ...skipped].sort((a, b) => a.users - b.users),
          }
        }
      }
    }
    const partial: Omit<ComparisonResults, 'bars'> = {
      schemaVersion: 1,
      date: new Date(started).toISOString(),
      durationMs: Date.now() - started,
      machine,
      versions: versionInfo(),
      settings: { ...settings },
      cacheHits,
      perRequest,
      herd,
      cold,
      memory,
      ...(settings.scenarios.includes('protected-api') ? { protectedApi } : {}),
    }
    return { ...partial, bars: computeBars(partial, settings) }
  } finally {
    await Promise.all(lanes.map((lane) => lane.close()))
    await rm(dir, { recursive: true, force: true })
  }
}
