/**
 * IdP faults, injected by the emulator, against both engines behind core's token provider (and behind
 * `OnBehalfOfCredential`): latency spikes, 429 with and without `Retry-After`, 500/503 bursts, dropped
 * connections, non-JSON and truncated bodies, a hanging response. For each: what `getToken` answers, how many
 * requests reached the IdP, how long the caller waited, that no rejection went unhandled, that the
 * single-flight is released, and how soon a call succeeds once the IdP is healthy again.
 */
import { AuthenticationError, OnBehalfOfCredential } from '@onbehalf/azure'
import {
  createMemoryTokenCache,
  createTokenProvider,
  OAuthError,
  OboError,
  type OboErrorCode,
  type TokenProvider,
} from '@onbehalf/core'
import type { FaultSpec } from '@onbehalf/entra-emulator'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createFigureTable } from '../src/figures.ts'
import {
  actionable,
  captureAzureLogs,
  engineFactory,
  engineNames,
  startSuiteEmulator,
  type EngineName,
  type LogCapture,
  type SuiteEmulator,
} from '../src/harness.ts'
import { createLeakScanner } from '../src/leak-scanner.ts'
import { settle, watchUnhandledRejections, type RejectionWatch } from '../src/process-guards.ts'

const secret = 'faults-canary-secret~4be1c0d2-7f3a-4e55'
/** The jose engine's whole-request deadline here (its default is 30 s); the msal engine's is fixed at 30 s. */
const joseTimeoutMs = 5_000
/** How long a 429 without Retry-After blocks its key (the provider's default is 5 s). */
const defaultThrottleMs = 1_500
const callers = 8

const figures = createFigureTable('idp-faults')
const scanner = createLeakScanner()
scanner.addSecret('client secret', secret)
let logs: LogCapture
let suite: SuiteEmulator
let watch: RejectionWatch

beforeAll(async () => {
  logs = captureAzureLogs(scanner)
  watch = watchUnhandledRejections()
  suite = await startSuiteEmulator(secret, { scanner })
})

afterAll(async () => {
  figures.print()
  watch.stop()
  logs.restore()
  await suite.emu.close()
})

const tokenError = (body: Record<string, unknown>): string => JSON.stringify(body)

interface FaultRow {
  readonly name: string
  readonly faults: readonly FaultSpec[]
  /** `'token'`, or the error code every caller gets. */
  readonly outcome: 'token' | OboErrorCode
  /** Token requests the IdP received for all the concurrent callers together (one flight). */
  readonly requests: number | { readonly jose: number; readonly msal: number }
  readonly minMs?: number
  readonly maxMs: number | { readonly jose: number; readonly msal: number }
  /** After the fault is cleared, the same key is served again only after this wait (a throttle the provider honours). */
  readonly sameKeyBlockedMs?: number
  readonly signalMs?: number
}

const html = '<html><head><title>502 Bad Gateway</title></head><body>upstream failed</body></html>'
const entra429 = tokenError({
  error: 'temporarily_unavailable',
  error_description: 'AADSTS90055: TenantThrottlingError: There are too many incoming requests.',
  error_codes: [90055],
})

const rows: readonly FaultRow[] = [
  {
    name: 'latency spike 1.5 s (once)',
    faults: [{ kind: 'latency', latencyMs: 1_500, times: 1 }],
    outcome: 'token',
    requests: 1,
    minMs: 1_450,
    maxMs: 3_000,
  },
  {
    name: '429 + Retry-After 1 s (once)',
    faults: [{ kind: 'throttle', retryAfterSeconds: 1, times: 1 }],
    outcome: 'token',
    requests: 2,
    minMs: 950,
    maxMs: 3_000,
  },
  {
    name: '429 + Retry-After 1 s (persistent)',
    faults: [{ kind: 'throttle', retryAfterSeconds: 1 }],
    outcome: 'THROTTLED',
    requests: 3,
    minMs: 1_900,
    maxMs: 4_000,
    sameKeyBlockedMs: 1_000,
  },
  {
    name: '429 + Retry-After 120 s',
    faults: [{ kind: 'throttle', retryAfterSeconds: 120 }],
    outcome: 'THROTTLED',
    requests: 1,
    maxMs: 1_000,
    sameKeyBlockedMs: 120_000,
  },
  {
    name: '429 without Retry-After (once)',
    faults: [{ kind: 'malformed', status: 429, contentType: 'application/json', body: entra429, times: 1 }],
    outcome: 'token',
    requests: 2,
    maxMs: 2_000,
  },
  {
    name: '429 without Retry-After (persistent)',
    faults: [{ kind: 'malformed', status: 429, contentType: 'application/json', body: entra429 }],
    outcome: 'THROTTLED',
    requests: 3,
    maxMs: 3_000,
    sameKeyBlockedMs: defaultThrottleMs,
  },
  {
    name: '500 burst of 2',
    faults: [{ kind: 'server-error', status: 500, times: 2 }],
    outcome: 'token',
    requests: 3,
    maxMs: 3_000,
  },
  {
    name: '503 burst of 5 (outlasts the retries)',
    faults: [{ kind: 'server-error', status: 503, times: 5 }],
    outcome: 'SERVER_ERROR',
    requests: 3,
    maxMs: 3_000,
  },
  {
    name: '503 + Retry-After 1 s (once)',
    faults: [{ kind: 'server-error', status: 503, retryAfterSeconds: 1, times: 1 }],
    outcome: 'token',
    requests: 2,
    minMs: 950,
    maxMs: 3_000,
  },
  {
    name: 'dropped connection (once)',
    faults: [{ kind: 'drop', times: 1 }],
    outcome: 'token',
    requests: 2,
    maxMs: 2_000,
  },
  {
    name: 'dropped connections (persistent)',
    faults: [{ kind: 'drop' }],
    outcome: 'NETWORK_ERROR',
    requests: 3,
    maxMs: 3_000,
  },
  {
    name: 'non-JSON 200 (HTML)',
    faults: [{ kind: 'malformed', status: 200 }],
    outcome: 'INVALID_RESPONSE',
    requests: 1,
    maxMs: 1_000,
  },
  {
    name: 'non-JSON 502 gateway page (persistent)',
    faults: [{ kind: 'malformed', status: 502, body: html }],
    outcome: 'SERVER_ERROR',
    requests: 3,
    maxMs: 3_000,
  },
  {
    name: 'truncated JSON 200',
    faults: [
      {
        kind: 'malformed',
        status: 200,
        contentType: 'application/json',
        body: '{"token_type":"Bearer","expires_in":3599,"access_token":"eyJ0eXAiOiJKV1Qi',
      },
    ],
    outcome: 'INVALID_RESPONSE',
    requests: 1,
    maxMs: 1_000,
  },
  {
    name: 'empty 200 body',
    faults: [{ kind: 'malformed', status: 200, contentType: 'application/json', body: '' }],
    outcome: 'INVALID_RESPONSE',
    requests: 1,
    maxMs: 1_000,
  },
  {
    name: 'hanging response, caller gives up after 1 s',
    faults: [{ kind: 'latency', latencyMs: 45_000 }],
    outcome: 'ABORTED',
    requests: 1,
    minMs: 950,
    maxMs: 2_500,
    signalMs: 1_000,
  },
  {
    name: 'hanging response, engine deadline',
    faults: [{ kind: 'latency', latencyMs: 45_000 }],
    outcome: 'TIMEOUT',
    // jose: the configured deadline; msal: its fixed 30 s deadline (one attempt may use all of it).
    requests: 1,
    minMs: joseTimeoutMs - 50,
    maxMs: { jose: joseTimeoutMs + 1_500, msal: 32_000 },
  },
]

function pick<T>(value: T | { readonly jose: T; readonly msal: T }, engine: EngineName): T {
  return typeof value === 'object' && value !== null && 'jose' in value ? value[engine] : value
}

async function outcomeOf(promise: Promise<unknown>): Promise<{ code: 'token' | OboErrorCode; error?: OboError }> {
  try {
    await promise
    return { code: 'token' }
  } catch (error) {
    // Anything that is not an OboError fails the row: every failure must be typed.
    expect(error).toBeInstanceOf(OboError)
    scanner.recordError('getToken', error)
    return { code: (error as OboError).code, error: error as OboError }
  }
}

describe.each(engineNames)('%s engine under IdP faults', (engineName) => {
  const engine = (): ReturnType<SuiteEmulator['engine']> => suite.engine(engineName, { timeoutMs: joseTimeoutMs })
  let shared: ReturnType<SuiteEmulator['engine']>
  const scopes = (): string[] => [`${suite.api.appIdUri}/Read`]

  beforeAll(async () => {
    shared = engine()
    // Warm up: authority validation / metadata are fetched once per process and must not count below.
    const provider = createTokenProvider({ engine: shared, cache: createMemoryTokenCache() })
    await provider.getToken({ tenantId: suite.emu.tenantId, userAssertion: suite.userAssertion(), scopes: scopes() })
  })

  it.each(rows)(
    '$name',
    async (row) => {
      const minMs =
        row.minMs === undefined ? 0 : engineName === 'msal' && row.outcome === 'TIMEOUT' ? 29_000 : row.minMs
      const provider: TokenProvider = createTokenProvider({
        engine: shared,
        cache: createMemoryTokenCache(),
        defaultThrottleMs,
        onEvent: (event) => scanner.recordValue('provider-event', event),
      })
      const assertion = suite.userAssertion()
      scanner.addToken('user assertion', assertion)
      const request = { tenantId: suite.emu.tenantId, userAssertion: assertion, scopes: scopes() }
      suite.emu.faults.clear()
      for (const fault of row.faults) suite.emu.faults.inject(fault)
      const mark = suite.mark()
      const startedAt = performance.now()
      const results = await Promise.all(
        Array.from({ length: callers }, () =>
          outcomeOf(
            provider.getToken({
              ...request,
              ...(row.signalMs === undefined ? {} : { signal: AbortSignal.timeout(row.signalMs) }),
            }),
          ),
        ),
      )
      const elapsedMs = performance.now() - startedAt
      const requests = suite.tokenRequests(mark)
      await settle()
      const inFlight = provider.stats().inFlight

      // Every caller got the same answer, from one flight.
      expect(results.map((result) => result.code)).toEqual(Array.from({ length: callers }, () => row.outcome))
      expect(requests).toBe(pick(row.requests, engineName))
      expect(elapsedMs).toBeGreaterThanOrEqual(minMs)
      expect(elapsedMs).toBeLessThan(pick(row.maxMs, engineName))
      expect(inFlight).toBe(0)
      const first = results[0]?.error
      if (row.outcome === 'THROTTLED') {
        expect(first).toBeInstanceOf(OAuthError)
        expect((first as OAuthError).status).toBe(429)
      }
      // The message says what to do (an abort is the caller's own doing).
      if (first !== undefined && first.code !== 'ABORTED') expect(first.message).toMatch(actionable)

      // The IdP recovers: a new key is served at once, and the faulted key as soon as its throttle (if any) ends.
      suite.emu.faults.clear()
      const otherStartedAt = performance.now()
      await provider.getToken({ ...request, userAssertion: suite.userAssertion() })
      const otherKeyMs = performance.now() - otherStartedAt
      expect(otherKeyMs).toBeLessThan(1_000)
      let sameKey: string
      if (row.sameKeyBlockedMs !== undefined && row.sameKeyBlockedMs > 10_000) {
        // Honouring a long Retry-After: the key stays blocked without a single request reaching the IdP.
        const before = suite.mark()
        const blocked = await outcomeOf(provider.getToken(request))
        expect(blocked.code).toBe('THROTTLED')
        expect(suite.tokenRequests(before)).toBe(0)
        expect((blocked.error as OAuthError).retryAfterMs).toBeGreaterThan(row.sameKeyBlockedMs - 10_000)
        sameKey = `blocked ${row.sameKeyBlockedMs / 1000} s (Retry-After), 0 requests`
      } else {
        const recoverAt = performance.now()
        let attempts = 0
        for (;;) {
          attempts++
          const again = await outcomeOf(provider.getToken(request))
          if (again.code === 'token') break
          expect(again.code).toBe('THROTTLED')
          expect(row.sameKeyBlockedMs).toBeDefined()
          await new Promise((resolve) => setTimeout(resolve, 100))
        }
        const recoveredMs = performance.now() - recoverAt
        if (row.sameKeyBlockedMs === undefined) expect(attempts).toBe(1)
        else expect(recoveredMs).toBeLessThan(row.sameKeyBlockedMs + 1_000)
        sameKey = `${Math.round(recoveredMs)} ms`
      }
      await settle()
      expect(watch.rejections).toEqual([])
      expect(provider.stats().inFlight).toBe(0)
      figures.add({
        engine: engineName,
        fault: row.name,
        'getToken answer': row.outcome,
        'IdP requests (8 callers)': requests,
        'time to answer ms': Math.round(elapsedMs),
        'inFlight after': inFlight,
        'recovery: new key ms': Math.round(otherKeyMs),
        'recovery: same key': sameKey,
        'unhandled rejections': watch.rejections.length,
        message: first === undefined ? '' : first.message.slice(0, 110),
      })
    },
    60_000,
  )

  it('OnBehalfOfCredential maps each fault to a typed AuthenticationError and recovers', async () => {
    const credentialFor = (assertion: string): OnBehalfOfCredential =>
      new OnBehalfOfCredential(suite.emu.tenantId, suite.app.clientId, {
        userAssertion: assertion,
        clientSecret: secret,
        authority: suite.emu.authorityHost,
        fetch: suite.fetch,
        engine: engineFactory(engineName, { timeoutMs: joseTimeoutMs }),
        cache: createMemoryTokenCache(),
        onEvent: (event) => scanner.recordValue('credential-event', event),
      })
    const cases: readonly [FaultSpec, OboErrorCode, number][] = [
      [{ kind: 'server-error', status: 503 }, 'SERVER_ERROR', 503],
      [{ kind: 'drop' }, 'NETWORK_ERROR', 0],
      [{ kind: 'malformed', status: 200 }, 'INVALID_RESPONSE', 200],
      [{ kind: 'throttle', retryAfterSeconds: 120 }, 'THROTTLED', 429],
    ]
    for (const [fault, code, statusCode] of cases) {
      const assertion = suite.userAssertion()
      scanner.addToken('user assertion', assertion)
      suite.emu.faults.clear()
      suite.emu.faults.inject(fault)
      const failure = await credentialFor(assertion)
        .getToken(`${suite.api.appIdUri}/Read`)
        .then(
          () => undefined,
          (error: unknown) => error,
        )
      scanner.recordError('credential', failure)
      expect(failure).toBeInstanceOf(AuthenticationError)
      expect((failure as AuthenticationError).name).toBe('AuthenticationError')
      expect((failure as AuthenticationError).code).toBe(code)
      expect((failure as AuthenticationError).statusCode).toBe(statusCode)
      suite.emu.faults.clear()
      const fresh = await credentialFor(suite.userAssertion()).getToken(`${suite.api.appIdUri}/Read`)
      expect(fresh.token.split('.')).toHaveLength(3)
    }
    await settle()
    expect(watch.rejections).toEqual([])
  }, 60_000)
})

describe('secrets in the fault runs', () => {
  it('no canary in any error, event or @azure/logger line', () => {
    expect(logs.lines).toBeGreaterThan(0)
    expect(scanner.scanned.texts).toBeGreaterThan(100)
    expect(scanner.watchedTokens).toBeGreaterThan(0)
    expect(scanner.leaks()).toEqual([])
  })
})
