/**
 * Scenario 4: the first call of a fresh process (authority discovery included where the contender does it).
 *
 * @module
 */
import { countsBetween } from '../child-protocol.ts'
import type { Contender } from '../contenders/index.ts'
import type { ParentClient } from '../parent-client.ts'
import type { RequestCounts } from '../results.ts'
import { nowMs } from './timing.ts'

/** One cold run. */
export interface ColdRun {
  readonly firstCallMs: number
  readonly requests: RequestCounts
}

/**
 * Times the first call (the library is already imported and, for msal-node, the app constructed).
 *
 * @example
 * ```ts
 * const run = await runCold(contender, parent)
 * ```
 */
export async function runCold(contender: Contender, parent: ParentClient): Promise<ColdRun> {
  const [assertion] = await parent.users(1)
  if (assertion === undefined) throw new Error('no user')
  const before = await parent.counts()
  const start = nowMs()
  await contender.call(assertion)
  const firstCallMs = nowMs() - start
  return { firstCallMs, requests: countsBetween(before, await parent.counts()) }
}
