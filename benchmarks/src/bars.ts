/**
 * The performance targets (bars) that this run can decide, computed from its own figures only.
 *
 * @module
 */
import {
  isNotApplicable,
  isSkipped,
  type Bar,
  type CacheHitResult,
  type ComparisonResults,
  type ContenderId,
  type HitPoint,
  type NotApplicable,
} from './results.ts'

const ours: readonly ContenderId[] = ['ours-jose', 'ours-msal']

/**
 * What "the same within noise" means for the two engines' hit medians: ±15 %, about the spread of one
 * contender's median between two runs on a shared machine.
 */
const engineNoise = { low: 0.87, high: 1.15 } as const

function hitAt(result: CacheHitResult | NotApplicable | undefined, users: number): HitPoint | undefined {
  if (result === undefined || isNotApplicable(result)) return undefined
  const point = result.points.find((p) => p.users === users)
  return point === undefined || isSkipped(point) ? undefined : point
}

function formatRatio(ratio: number): string {
  return `${ratio >= 100 ? Math.round(ratio).toLocaleString('en-US') : ratio.toFixed(1)}×`
}

/**
 * Every bar the results allow to decide; a bar whose inputs were not measured is reported as failing when the
 * run was meant to measure it (`barUsers` in the sizes), and left out otherwise.
 *
 * @example
 * ```ts
 * const bars = computeBars(results, { barUsers: 4_000, sizes: [1, 4_000] })
 * ```
 */
export function computeBars(
  results: Omit<ComparisonResults, 'bars'>,
  settings: {
    readonly barUsers: number
    readonly sizes: readonly number[]
    readonly memorySizes: readonly number[]
  },
): Bar[] {
  const bars: Bar[] = []
  const largest = settings.sizes[settings.sizes.length - 1]
  const smallest = settings.sizes[0]
  for (const id of ours) {
    const mine = results.cacheHits[id]
    if (mine === undefined) continue
    if (settings.sizes.includes(settings.barUsers)) {
      const a = hitAt(mine, settings.barUsers)
      const b = hitAt(results.cacheHits['msal-node'], settings.barUsers)
      const ratio = a !== undefined && b !== undefined ? b.hitUs.median / a.hitUs.median : Number.NaN
      bars.push({
        name: `${id} vs msal-node, cache hit at ${settings.barUsers.toLocaleString('en-US')} users (median)`,
        value: Number.isNaN(ratio) ? 'not measured' : `${formatRatio(ratio)} faster`,
        threshold: '≥ 100× faster',
        pass: ratio >= 100,
      })
    }
    if (largest !== undefined && largest >= 100_000) {
      const top = hitAt(mine, largest)
      bars.push({
        name: `${id} cache hit, new credential per call, at ${largest.toLocaleString('en-US')} users (median)`,
        value: top === undefined ? 'not measured' : `${top.hitUs.median.toFixed(2)} µs`,
        threshold: '≤ 5 µs',
        pass: top !== undefined && top.hitUs.median <= 5,
      })
    }
    if (largest !== undefined && largest >= 100_000) {
      const top = hitAt(mine, largest)
      const ratio = top?.floorUs === undefined ? Number.NaN : top.hitUs.median / top.floorUs.median
      bars.push({
        name: `${id} cache hit vs the floor (SHA-256 of the assertion + a map lookup, same run) at ${largest.toLocaleString('en-US')} users (median)`,
        value:
          top?.floorUs === undefined || Number.isNaN(ratio)
            ? 'not measured'
            : `${ratio.toFixed(2)}× (${top.hitUs.median.toFixed(2)} µs vs ${top.floorUs.median.toFixed(2)} µs)`,
        threshold: '≤ 2× the floor',
        pass: ratio <= 2,
      })
    }
    if (largest !== undefined && smallest !== undefined && largest > smallest) {
      const top = hitAt(mine, largest)
      const bottom = hitAt(mine, smallest)
      const ratio = top !== undefined && bottom !== undefined ? top.hitUs.median / bottom.hitUs.median : Number.NaN
      bars.push({
        name: `${id} hit cost at ${largest.toLocaleString('en-US')} users vs ${smallest.toLocaleString('en-US')} user(s) (median)`,
        value: Number.isNaN(ratio) ? 'not measured' : `${ratio.toFixed(2)}×`,
        threshold: '≤ 2×',
        pass: ratio <= 2,
      })
    }
    const herd = results.herd[id]
    if (herd !== undefined && !isNotApplicable(herd)) {
      bars.push({
        name: `${id} thundering herd: ${herd.concurrency.toLocaleString('en-US')} concurrent cold calls, one user`,
        value: `${herd.requests.token} token request(s), ${herd.failed} failed`,
        threshold: 'exactly 1 token request, 0 failed',
        pass: herd.requests.token === 1 && herd.failed === 0,
      })
    }
    const perRequest = results.perRequest[id]
    if (perRequest !== undefined && !isNotApplicable(perRequest)) {
      bars.push({
        name: `${id} new credential per call: ${perRequest.calls.toLocaleString('en-US')} calls, returning user`,
        value: `${perRequest.requests.token} token request(s)`,
        threshold: '1 token request',
        pass: perRequest.requests.token === 1,
      })
    }
    const memory = results.memory[id]
    const memoryTop = settings.memorySizes[settings.memorySizes.length - 1]
    if (memory !== undefined && !isNotApplicable(memory) && memoryTop !== undefined) {
      const point = memory.points.find((p) => p.users === memoryTop)
      const overhead =
        point === undefined || isSkipped(point) ? Number.NaN : point.bytesPerUser - point.tokenBytesPerUser
      bars.push({
        name: `${id} memory overhead per cached user beyond its tokens, at ${memoryTop.toLocaleString('en-US')} users`,
        value: Number.isNaN(overhead) ? 'not measured' : `${Math.round(overhead).toLocaleString('en-US')} B`,
        threshold: '≤ 2,048 B',
        pass: overhead <= 2048,
      })
    }
  }
  if (largest !== undefined && largest >= 100_000) {
    // The hit path never touches the engine: both engines' hits should cost the same.
    const jose = hitAt(results.cacheHits['ours-jose'], largest)
    const msal = hitAt(results.cacheHits['ours-msal'], largest)
    if (jose !== undefined || msal !== undefined) {
      const ratio = jose !== undefined && msal !== undefined ? msal.hitUs.median / jose.hitUs.median : Number.NaN
      bars.push({
        name: `ours-msal vs ours-jose cache hit at ${largest.toLocaleString('en-US')} users (median): the same within noise`,
        value: Number.isNaN(ratio)
          ? 'not measured'
          : `${ratio.toFixed(2)}× (${msal!.hitUs.median.toFixed(2)} µs vs ${jose!.hitUs.median.toFixed(2)} µs)`,
        threshold: `${engineNoise.low}× to ${engineNoise.high}×`,
        pass: ratio >= engineNoise.low && ratio <= engineNoise.high,
      })
    }
  }
  for (const [id, result] of Object.entries(results.cacheHits)) {
    if (result === undefined || isNotApplicable(result)) continue
    const measured = result.points.filter((p): p is HitPoint => !isSkipped(p))
    const requests = measured.reduce((n, p) => n + p.tokenRequestsDuringHits, 0)
    const wrong = measured.reduce((n, p) => n + p.wrongTokens, 0)
    bars.push({
      name: `${id} cache hits are hits (sanity)`,
      value: `${requests} token request(s), ${wrong} wrong token(s) while measuring`,
      threshold: '0 and 0',
      pass: requests === 0 && wrong === 0,
    })
  }
  return bars
}
