/**
 * Scenario 3: a thundering herd. In a fresh process, `concurrency` calls for one user start together.
 *
 * @module
 */
import { countsBetween } from '../child-protocol.ts'
import type { Contender } from '../contenders/index.ts'
import type { ParentClient } from '../parent-client.ts'
import type { HerdResult } from '../results.ts'
import { nowMs } from './timing.ts'

/**
 * Starts `concurrency` cold calls at once and waits for all of them.
 *
 * @example
 * ```ts
 * const result = await runHerd(contender, parent, { concurrency: 1000 })
 * ```
 */
export async function runHerd(
  contender: Contender,
  parent: ParentClient,
  params: { concurrency: number },
): Promise<HerdResult> {
  const [assertion] = await parent.users(1)
  if (assertion === undefined) throw new Error('no user')
  const before = await parent.counts()
  const start = nowMs()
  const settled = await Promise.allSettled(Array.from({ length: params.concurrency }, () => contender.call(assertion)))
  const totalMs = nowMs() - start
  const requests = countsBetween(before, await parent.counts())
  const tokens = new Set<string>()
  const errors = new Set<string>()
  let failed = 0
  for (const outcome of settled) {
    if (outcome.status === 'fulfilled') tokens.add(outcome.value)
    else {
      failed++
      // Library error messages name codes and endpoints, never the assertion or the secret.
      if (errors.size < 3) errors.add(describeError(outcome.reason))
    }
  }
  return {
    concurrency: params.concurrency,
    requests,
    totalMs,
    failed,
    errors: [...errors],
    distinctTokens: tokens.size,
  }
}

/** `name: message`, plus what caused it (e.g. the socket error under a library's network error). */
function describeError(reason: unknown): string {
  if (!(reason instanceof Error)) return String(reason).slice(0, 200)
  const causes: string[] = []
  let cause: unknown = reason.cause
  for (let depth = 0; depth < 4 && cause instanceof Error; depth++) {
    const code = (cause as Error & { code?: unknown }).code
    causes.push(typeof code === 'string' ? code : cause.message.slice(0, 60))
    cause = cause.cause
  }
  const text = `${reason.name}: ${reason.message}`.slice(0, 200)
  return causes.length === 0 ? text : `${text} (cause: ${causes.join(' ← ')})`
}
