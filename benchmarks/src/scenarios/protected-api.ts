/**
 * Scenario 6: a protected API's own cost per request for a returning caller. Each of `users` real callers is
 * seen once first (its token verified, its OBO token obtained); then requests from random callers are timed:
 * validation of a token seen before, plus an OBO token the tier may already hold.
 *
 * @module
 */
import { countsBetween } from '../child-protocol.ts'
import type { IncomingRequest, ProtectedTier } from '../contenders/protected-tier.ts'
import type { ParentClient } from '../parent-client.ts'
import type { ProtectedApiResult } from '../results.ts'
import { summarize } from '../stats.ts'
import { jwtClaims } from '../synthetic.ts'
import { mapLimit, nowMs } from './timing.ts'

/** Settings of {@link runProtectedApi}. */
export interface ProtectedApiParams {
  /** Distinct callers (real emulator users). */
  readonly users: number
  readonly maxSamples: number
  readonly minSamples: number
  /** Time spent measuring (ms), within the sample bounds. */
  readonly budgetMs: number
  /** Time spent warming up (ms) after every caller was seen once. */
  readonly warmupMs: number
}

function requestFor(assertion: string): IncomingRequest {
  // A request that has just arrived brings a freshly made header string, not one stored long ago.
  return { headers: { authorization: `Bearer ${Buffer.from(assertion, 'latin1').toString('latin1')}` } }
}

/**
 * Times validate + OBO token per request (microseconds); counts what the emulator received meanwhile and
 * checks that every OBO token is the caller's own.
 *
 * @example
 * ```ts
 * const result = await runProtectedApi(tier, parent, { users: 1_000, maxSamples: 20_000, minSamples: 15, budgetMs: 2_000, warmupMs: 500 })
 * ```
 */
export async function runProtectedApi(
  tier: ProtectedTier,
  parent: ParentClient,
  params: ProtectedApiParams,
): Promise<ProtectedApiResult> {
  const assertions = await parent.users(params.users)
  const oids = assertions.map((a) => String(jwtClaims(a)['oid']))
  const serve = async (assertion: string): Promise<string> => (await tier.validate(requestFor(assertion))).token()
  // Every caller once: its token verified and exchanged (the tier's first sight of it).
  await mapLimit(assertions, 4, serve)
  const pick = (): number => Math.floor(Math.random() * assertions.length)
  const warmupEnd = nowMs() + params.warmupMs
  for (let i = 0; i < 2 || (nowMs() < warmupEnd && i < params.maxSamples); i++) {
    await serve(assertions[pick()] as string)
  }

  const before = await parent.counts()
  const requestUs: number[] = []
  const validateUs: number[] = []
  const tokenUs: number[] = []
  let wrongUsers = 0
  const end = nowMs() + params.budgetMs
  while (requestUs.length < params.maxSamples && (requestUs.length < params.minSamples || nowMs() < end)) {
    const index = pick()
    const request = requestFor(assertions[index] as string)
    const start = process.hrtime.bigint()
    const validated = await tier.validate(request)
    const validatedAt = process.hrtime.bigint()
    const token = await validated.token()
    const done = process.hrtime.bigint()
    validateUs.push(Number(validatedAt - start) / 1000)
    tokenUs.push(Number(done - validatedAt) / 1000)
    requestUs.push(Number(done - start) / 1000)
    if (validated.oid !== oids[index] || jwtClaims(token)['oid'] !== oids[index]) wrongUsers++
  }
  const requestsDuringMeasure = countsBetween(before, await parent.counts())
  return {
    pattern: tier.pattern,
    users: assertions.length,
    requestUs: summarize(requestUs),
    validateUs: summarize(validateUs),
    tokenUs: summarize(tokenUs),
    requestsDuringMeasure,
    wrongUsers,
  }
}
