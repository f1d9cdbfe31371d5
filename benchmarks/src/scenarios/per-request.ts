/**
 * Scenario 2: a returning user, one call per incoming request. onbehalf and `@azure/identity` build a new
 * credential per call (the user assertion is a constructor argument); msal-node calls its one shared app.
 *
 * @module
 */
import { countsBetween } from '../child-protocol.ts'
import type { Contender } from '../contenders/index.ts'
import type { ParentClient } from '../parent-client.ts'
import type { PerRequestResult } from '../results.ts'
import { summarize } from '../stats.ts'
import { nowMs } from './timing.ts'

/**
 * Makes `calls` sequential calls for one user (the first one is the user's first visit) and counts the token
 * requests the emulator received.
 *
 * @example
 * ```ts
 * const result = await runPerRequest(contender, parent, { calls: 1000 })
 * ```
 */
export async function runPerRequest(
  contender: Contender,
  parent: ParentClient,
  params: { calls: number },
): Promise<PerRequestResult> {
  const [assertion] = await parent.users(1)
  if (assertion === undefined) throw new Error('no user')
  const before = await parent.counts()
  const latencyMs: number[] = []
  for (let i = 0; i < params.calls; i++) {
    const start = nowMs()
    await contender.call(assertion)
    latencyMs.push(nowMs() - start)
  }
  const requests = countsBetween(before, await parent.counts())
  return {
    calls: params.calls,
    requests,
    latencyMs: summarize(latencyMs),
    pattern: contender.id === 'msal-node' ? 'one shared ConfidentialClientApplication' : 'new credential per call',
  }
}
