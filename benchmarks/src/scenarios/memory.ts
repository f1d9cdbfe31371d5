/**
 * Scenario 5: heap retained per cached user. Users are pre-filled (see the contenders) in batches; the
 * benchmark keeps no reference to them, so the heap growth is what the contender retains.
 *
 * @module
 */
import type { Contender } from '../contenders/index.ts'
import type { ParentClient } from '../parent-client.ts'
import type { MemoryPoint, MemoryResult } from '../results.ts'
import { syntheticUsers } from '../synthetic.ts'
import { settledHeapUsed } from './timing.ts'

/** Settings of {@link runMemory}. */
export interface MemoryParams {
  /** The sizes to measure (the harness leaves out, and reports, sizes a contender skips). */
  readonly sizes: readonly number[]
  /** Users per pre-fill call. */
  readonly batch: number
}

/**
 * Fills the cache to each size and measures `heapUsed` after full garbage collections.
 *
 * @example
 * ```ts
 * const result = await runMemory(contender, parent, { sizes: [10_000, 100_000], batch: 5_000 })
 * ```
 */
export async function runMemory(
  contender: Contender,
  parent: ParentClient,
  params: MemoryParams,
): Promise<MemoryResult> {
  const { prefill, learnTemplate } = contender
  if (prefill === undefined || learnTemplate === undefined) {
    throw new Error('this contender cannot be pre-filled')
  }
  const [assertion] = await parent.users(1)
  if (assertion === undefined) throw new Error('no user')
  await contender.call(assertion)
  const make = syntheticUsers(await learnTemplate(assertion))
  // One synthetic user before the baseline, so one-time costs of the pre-fill path are not counted per user.
  await prefill(make(0, 1))
  let cached = 2
  const baselineHeapBytes = await settledHeapUsed()
  const points: MemoryPoint[] = []
  for (const size of params.sizes) {
    while (cached < size) {
      const count = Math.min(params.batch, size - cached)
      await prefill(make(cached - 1, count))
      cached += count
    }
    const heapUsedBytes = await settledHeapUsed()
    points.push({
      users: size,
      heapUsedBytes,
      bytesPerUser: (heapUsedBytes - baselineHeapBytes) / (size - 2),
      tokenBytesPerUser: contender.tokenBytesPerUser?.() ?? 0,
    })
  }
  return { baselineHeapBytes, points }
}
