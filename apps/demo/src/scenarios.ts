/**
 * The scripted pass over every scenario, against a running stack through HTTP only. Each step states what
 * must happen and checks it; `check.ts` prints the steps and exits non-zero if any misbehaved.
 *
 * @module
 */
import { callDocuments, caeEvent, decodeChallengeClaims, signIn, type CallResult } from './demo-client.ts'
import type { DemoStack } from './stack.ts'

/** One checked step. */
export interface StepResult {
  readonly name: string
  readonly ok: boolean
  /** What was observed (or what went wrong). */
  readonly detail: string
}

class StepFailure extends Error {}

/** The name of the single-flight step (tests refer to it). */
export const concurrentStepName =
  'plain user: 5 concurrent calls with a new token make one token request (1 miss; the rest coalesced or hit)'

function expect(condition: boolean, message: string): asserts condition {
  if (!condition) throw new StepFailure(message)
}

function describe(result: CallResult): string {
  const chain = result.body.chain
  const parts = [`HTTP ${String(result.status)}`]
  if (result.body.error !== undefined) parts.push(result.body.error)
  // After a downstream claims challenge the token used is a new one, whatever the first lookup found.
  if (chain?.token === 'claims-bypass') {
    parts.push(`first lookup: cache ${String(chain.cache)}, new token after claims challenge`)
  } else if (chain?.cache !== undefined) parts.push(`cache ${chain.cache}`)
  if (chain !== undefined) {
    parts.push(`OBO ${chain.timings.tokenMs.toFixed(1)} ms`, `total ${chain.timings.totalMs.toFixed(1)} ms`)
  }
  return parts.join(', ')
}

/**
 * Runs every scenario in order; never throws (a failed step is a result with `ok: false`).
 *
 * @example
 * ```ts
 * const results = await runScenarios(stack, (step) => console.log(step.ok ? '✔' : '✘', step.name))
 * ```
 */
export async function runScenarios(
  stack: DemoStack,
  onStep: (step: StepResult) => void = () => undefined,
): Promise<StepResult[]> {
  const results: StepResult[] = []
  const emu = stack.identity.emulator
  // Counts, not the request log: the log keeps only the emulator's most recent requests.
  const oboRequests = (): number => emu?.requestCounts().byGrantType['urn:ietf:params:oauth:grant-type:jwt-bearer'] ?? 0
  const user = (id: string): { oid: string } => {
    const found = stack.identity.users.find((u) => u.id === id)
    if (found === undefined) throw new StepFailure(`no demo user '${id}'`)
    return found
  }
  const step = async (name: string, body: () => Promise<string>): Promise<void> => {
    let result: StepResult
    try {
      result = { name, ok: true, detail: await body() }
    } catch (error) {
      result = { name, ok: false, detail: error instanceof Error ? error.message : String(error) }
    }
    results.push(result)
    onStep(result)
  }

  if (stack.identity.signIn === undefined) {
    const result = {
      name: 'scenarios need the emulator (unset AZURE_TENANT_ID to run them)',
      ok: false,
      detail: 'real-tenant mode',
    }
    onStep(result)
    return [result]
  }

  let plainToken = ''
  await step('plain user: first call exchanges the token (cache miss) and reaches the downstream API', async () => {
    plainToken = await signIn(stack.url, 'plain')
    const before = oboRequests()
    const result = await callDocuments(stack.url, plainToken)
    expect(result.status === 200, `expected 200, got ${describe(result)}`)
    expect(result.body.chain?.cache === 'miss', `expected a cache miss, got ${String(result.body.chain?.cache)}`)
    expect(oboRequests() === before + 1, `expected 1 OBO request, saw ${String(oboRequests() - before)}`)
    expect(
      result.body.chain.obo?.['azp'] === stack.identity.middleTier.clientId,
      'the OBO token is not for the middle tier (azp)',
    )
    return describe(result)
  })

  await step('plain user: second call with the same token is a cache hit (no token request)', async () => {
    const before = oboRequests()
    const result = await callDocuments(stack.url, plainToken)
    expect(result.status === 200, `expected 200, got ${describe(result)}`)
    expect(result.body.chain?.cache === 'hit', `expected a cache hit, got ${String(result.body.chain?.cache)}`)
    expect(oboRequests() === before, `expected no OBO request, saw ${String(oboRequests() - before)}`)
    return describe(result)
  })

  await step(concurrentStepName, async () => {
    const token = await signIn(stack.url, 'plain')
    const before = oboRequests()
    const results = await Promise.all(Array.from({ length: 5 }, () => callDocuments(stack.url, token)))
    const outcomes = results.map((r) => r.body.chain?.cache ?? `HTTP ${String(r.status)}`).sort()
    expect(
      results.every((r) => r.status === 200),
      `expected five 200s, got ${results.map((r) => r.status).join(', ')}`,
    )
    expect(oboRequests() === before + 1, `expected 1 OBO request, saw ${String(oboRequests() - before)}`)
    expect(outcomes.filter((o) => o === 'miss').length === 1, `expected exactly one miss, got ${outcomes.join(', ')}`)
    return `outcomes: ${outcomes.join(', ')}; 1 token request`
  })

  let challenge = ''
  await step('MFA user: Entra demands MFA, the middle tier relays a 401 claims challenge', async () => {
    const token = await signIn(stack.url, 'mfa')
    const result = await callDocuments(stack.url, token)
    expect(result.status === 401, `expected 401, got ${describe(result)}`)
    const claims = decodeChallengeClaims(result.wwwAuthenticate)
    expect(
      claims !== undefined,
      `expected WWW-Authenticate with error="insufficient_claims" and claims, got ${String(result.wwwAuthenticate)}`,
    )
    expect(
      result.body.source === 'entra' && result.body.aadsts?.includes(50076) === true,
      'expected AADSTS50076 from Entra',
    )
    challenge = claims
    return `${describe(result)}, AADSTS50076, claims ${claims}`
  })

  await step('MFA user: the front end satisfies the claims (new token), the retry succeeds', async () => {
    expect(challenge !== '', 'no challenge from the previous step')
    const token = await signIn(stack.url, 'mfa', challenge)
    const result = await callDocuments(stack.url, token)
    expect(result.status === 200, `expected 200, got ${describe(result)}`)
    return describe(result)
  })

  await step('consent-missing user: Entra answers AADSTS65001, relayed as a consent error', async () => {
    const token = await signIn(stack.url, 'consent')
    const result = await callDocuments(stack.url, token)
    expect(result.status === 401, `expected 401, got ${describe(result)}`)
    expect(result.body.error === 'consent_required', `expected consent_required, got ${String(result.body.error)}`)
    expect(result.body.aadsts?.includes(65001) === true, 'expected AADSTS65001')
    expect(result.wwwAuthenticate?.startsWith('Bearer ') === true, 'expected a Bearer WWW-Authenticate header')
    return `${describe(result)}, AADSTS65001`
  })

  await step(
    'CAE: the downstream revokes the session, challenges; the pipeline retries once with claims → 200',
    async () => {
      await caeEvent(stack.url, user('plain').oid)
      const before = oboRequests()
      const result = await callDocuments(stack.url, plainToken)
      const chain = result.body.chain
      expect(result.status === 200, `expected 200, got ${describe(result)}`)
      expect(chain?.attempts.length === 2, `expected 2 downstream attempts, got ${String(chain?.attempts.length)}`)
      expect(
        chain.attempts[0]?.status === 401 && chain.attempts[0].challenged,
        'expected the first attempt to be challenged',
      )
      expect(chain.attempts[1]?.status === 200, 'expected the retry to succeed')
      expect(chain.attempts[0].tokenId !== chain.attempts[1].tokenId, 'expected the retry to carry a new token')
      expect(chain.caeRetried, 'expected caeRetried')
      expect(
        chain.token === 'claims-bypass',
        `expected a new token after the claims challenge, got ${String(chain.token)}`,
      )
      expect(
        oboRequests() === before + 1,
        `expected 1 OBO request (with claims), saw ${String(oboRequests() - before)}`,
      )
      return `${describe(result)}, attempts 401 → 200`
    },
  )

  return results
}
