/**
 * Scenario 1: the cost of a cache hit as the number of cached users grows. One process walks the sizes upwards,
 * adding users at each step: real users first (token exchanges with the emulator), then pre-filled ones.
 *
 * @module
 */
import { createHash } from 'node:crypto'
import type { Contender } from '../contenders/index.ts'
import type { ParentClient } from '../parent-client.ts'
import type { CacheHitResult, HitPoint, Skipped } from '../results.ts'
import { summarize } from '../stats.ts'
import { syntheticUsers } from '../synthetic.ts'
import type { SyntheticUser } from '../synthetic.ts'
import { mapLimit, nowMs } from './timing.ts'

/** Settings of {@link runCacheHits}. */
export interface CacheHitParams {
  readonly sizes: readonly number[]
  /** At most this many users are real (minted and exchanged through the emulator); the rest are pre-filled. */
  readonly realUsers: number
  /** Skip a size when the lookup projected from the previous size exceeds this (ms). */
  readonly capMs: number
  readonly maxSamples: number
  readonly minSamples: number
  /** Time spent measuring per size (ms), within the sample bounds. */
  readonly budgetMs: number
  /** Time spent warming up per size (ms). */
  readonly warmupMs: number
}

interface CachedUser {
  readonly assertion: string
  readonly token: string
}

/**
 * Measures hit latency at each size (in microseconds); checks that hits make no token request and return the
 * user's own token.
 *
 * @example
 * ```ts
 * const result = await runCacheHits(contender, parent, { sizes: [1, 100], realUsers: 100, capMs: 250, ... })
 * ```
 */
export async function runCacheHits(
  contender: Contender,
  parent: ParentClient,
  params: CacheHitParams,
): Promise<CacheHitResult> {
  const users: CachedUser[] = []
  let real = 0
  let synthetic = 0
  let makeSynthetic: ((from: number, count: number) => SyntheticUser[]) | undefined
  const points: (HitPoint | Skipped)[] = []
  let previous: { users: number; medianMs: number } | undefined
  // The floor's map: every cached user's assertion hash, as large as the contender's cache.
  const floorMap = new Map<string, string>()
  const floorHash = (assertion: string): string => createHash('sha256').update(assertion).digest('base64url')

  for (const size of params.sizes) {
    if (previous !== undefined) {
      const projectedMs = (previous.medianMs * size) / previous.users
      if (projectedMs > params.capMs) {
        points.push({
          users: size,
          skipped: `one lookup projects to ${Math.round(projectedMs)} ms (linear from ${previous.medianMs.toFixed(1)} ms at ${previous.users.toLocaleString('en-US')} users), over the ${params.capMs} ms cap`,
        })
        continue
      }
    }
    const realTarget = Math.min(size, params.realUsers)
    const syntheticTarget = size - realTarget
    if (syntheticTarget > 0 && (contender.prefill === undefined || contender.learnTemplate === undefined)) {
      points.push({ users: size, skipped: 'the contender has no public way to pre-fill its cache' })
      continue
    }
    const fillStart = nowMs()
    if (realTarget > real) {
      const assertions = (await parent.users(realTarget)).slice(real)
      const tokens = await mapLimit(assertions, 4, (assertion) => contender.call(assertion))
      assertions.forEach((assertion, i) => users.push({ assertion, token: tokens[i] ?? '' }))
      real = realTarget
    }
    if (syntheticTarget > synthetic && contender.prefill !== undefined && contender.learnTemplate !== undefined) {
      const first = users[0]
      if (first === undefined) throw new Error('no real user to learn the entry shape from')
      makeSynthetic ??= syntheticUsers(await contender.learnTemplate(first.assertion))
      const added = makeSynthetic(synthetic, syntheticTarget - synthetic)
      await contender.prefill(added)
      for (const user of added) users.push({ assertion: user.assertion, token: user.accessToken })
      synthetic = syntheticTarget
    }
    const fillMs = nowMs() - fillStart
    for (let i = floorMap.size; i < users.length; i++) {
      const user = users[i] as CachedUser
      floorMap.set(floorHash(user.assertion), user.token)
    }
    // Filling allocates hundreds of MB at the larger sizes; collect it now, for every contender alike, so the
    // measured hits do not pay for the fill's garbage.
    ;(globalThis as { gc?: () => void }).gc?.()

    const pick = (): CachedUser => users[Math.floor(Math.random() * users.length)] as CachedUser
    const warmupEnd = nowMs() + params.warmupMs
    for (let i = 0; i < 2 || (nowMs() < warmupEnd && i < params.maxSamples); i++) {
      await contender.call(pick().assertion)
    }

    const before = await parent.counts()
    const samplesUs: number[] = []
    const floorSamplesUs: number[] = []
    let wrongTokens = 0
    const end = nowMs() + params.budgetMs
    while (samplesUs.length < params.maxSamples && (samplesUs.length < params.minSamples || nowMs() < end)) {
      const user = pick()
      // A middle tier hashes an assertion that has just arrived in a request, so it is hot in the CPU cache.
      // Copy the stored one (outside the timed region) so every contender hashes a freshly made string,
      // not one last touched 100,000 users ago.
      const assertion = Buffer.from(user.assertion, 'latin1').toString('latin1')
      const floorAssertion = Buffer.from(user.assertion, 'latin1').toString('latin1')
      const floorStart = process.hrtime.bigint()
      const floorToken = floorMap.get(floorHash(floorAssertion))
      floorSamplesUs.push(Number(process.hrtime.bigint() - floorStart) / 1000)
      const start = process.hrtime.bigint()
      const token = await contender.call(assertion)
      samplesUs.push(Number(process.hrtime.bigint() - start) / 1000)
      if (token !== user.token || floorToken !== user.token) wrongTokens++
    }
    const after = await parent.counts()
    const hitUs = summarize(samplesUs)
    points.push({
      users: size,
      realUsers: real,
      prefilledUsers: synthetic,
      fillMs,
      hitUs,
      floorUs: summarize(floorSamplesUs),
      tokenRequestsDuringHits: after.token - before.token,
      wrongTokens,
    })
    previous = { users: size, medianMs: hitUs.median / 1000 }
  }
  return { points }
}
