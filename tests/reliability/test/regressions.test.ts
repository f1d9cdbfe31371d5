/**
 * Regression tests for defects this suite found in other packages and that were fixed. Each test names the
 * code it guards, what went wrong before the fix, and the behaviour it now holds the package to; the rest of
 * the suite (fuzz, bad input, IdP faults) asserts the same behaviour more broadly. Like every file of the suite,
 * it scans every error and `@azure/logger` line for its canaries (the secret, each user assertion, each issued
 * token from the moment Entra answered).
 */
import { OnBehalfOfCredential, type AuthenticationError } from '@onbehalf/azure'
import { createMemoryTokenCache, deriveCacheKey, OboError, type OboErrorCode } from '@onbehalf/core'
import type { FaultSpec } from '@onbehalf/entra-emulator'
import { createJoseEngine } from '@onbehalf/jose'
import { createMsalEngine } from '@onbehalf/msal'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  actionable,
  captureAzureLogs,
  engineFactory,
  engineNames,
  startSuiteEmulator,
  type LogCapture,
  type SuiteEmulator,
} from '../src/harness.ts'
import { createLeakScanner } from '../src/leak-scanner.ts'

const secret = 'regressions-canary-secret~77d1'
const scanner = createLeakScanner()
scanner.addSecret('client secret', secret)
let suite: SuiteEmulator
let logs: LogCapture

beforeAll(async () => {
  logs = captureAzureLogs(scanner)
  suite = await startSuiteEmulator(secret, { scanner })
})

afterAll(async () => {
  logs.restore()
  await suite.emu.close()
})

/** A fresh user assertion, a canary before it is used. */
function userAssertion(): string {
  const assertion = suite.userAssertion()
  scanner.addToken('user assertion', assertion)
  return assertion
}

function credential(engineName: 'jose' | 'msal'): OnBehalfOfCredential {
  return new OnBehalfOfCredential(suite.emu.tenantId, suite.app.clientId, {
    userAssertion: userAssertion(),
    clientSecret: secret,
    authority: suite.emu.authorityHost,
    fetch: suite.fetch,
    cache: createMemoryTokenCache(),
    engine: engineFactory(engineName),
  })
}

async function failureWith(engineName: 'jose' | 'msal', fault: FaultSpec): Promise<AuthenticationError> {
  suite.emu.faults.clear()
  suite.emu.faults.inject(fault)
  try {
    await credential(engineName).getToken(`${suite.api.appIdUri}/Read`)
    throw new Error('expected a failure')
  } catch (error) {
    scanner.recordError('regression-error', error)
    return error as AuthenticationError
  } finally {
    suite.emu.faults.clear()
  }
}

describe.each(engineNames)('%s engine', (engineName) => {
  // Guards core's checkTokenAnswer (packages/core/src/protocol/token-answer.ts), used by both engines. Before:
  // `expires_in` was accepted at any finite size, so 1e308 gave expiresAt = Infinity (1e21: year ~3e13) and the
  // token was cached forever. Now: a lifetime over 7 days is INVALID_RESPONSE, never a token.
  it.each([
    ['1e308 s', 1e308],
    ['1e21 s', 1e21],
    ['8 days', 8 * 86_400],
    ['"99999999999" (numeric string)', '99999999999'],
  ] as const)(
    'refuses an absurd expires_in (%s) instead of returning a token that never expires',
    async (_name, expiresIn) => {
      const body = JSON.stringify({
        token_type: 'Bearer',
        expires_in: expiresIn,
        access_token: 'eyJ0eXAiOiJKV1QifQ.eyJ4IjoxfQ.c2ln',
      })
      const error = await failureWith(engineName, {
        kind: 'malformed',
        status: 200,
        contentType: 'application/json',
        body,
      })
      expect(error.code).toBe<OboErrorCode>('INVALID_RESPONSE')
      expect(error.message).toMatch(actionable)
    },
  )

  it('still accepts a lifetime of exactly 7 days (the bound is not off by one)', async () => {
    const body = JSON.stringify({
      token_type: 'Bearer',
      expires_in: 7 * 86_400,
      access_token: 'eyJ0eXAiOiJKV1QifQ.eyJ4IjoxfQ.c2ln',
    })
    suite.emu.faults.clear()
    suite.emu.faults.inject({ kind: 'malformed', status: 200, contentType: 'application/json', body })
    try {
      const startedAt = Date.now()
      const token = await credential(engineName).getToken(`${suite.api.appIdUri}/Read`)
      expect(token.expiresOnTimestamp).toBeGreaterThan(startedAt + 7 * 86_400_000 - 60_000)
      expect(token.expiresOnTimestamp).toBeLessThanOrEqual(Date.now() + 7 * 86_400_000)
    } finally {
      suite.emu.faults.clear()
    }
  })

  // Guards the INVALID_RESPONSE messages (now core's checkTokenAnswer, shared by both engines). Before: they said
  // what happened ("answered with a body that is not a JSON object (HTTP 200)") but not what to do. Now: they
  // carry a remedy ("check that the authority host is Entra (not a proxy or captive portal) and retry later").
  it.each([
    ['non-JSON 200', { kind: 'malformed', status: 200 }],
    ['empty 200', { kind: 'malformed', status: 200, contentType: 'application/json', body: '' }],
    [
      'no access_token',
      {
        kind: 'malformed',
        status: 200,
        contentType: 'application/json',
        body: '{"token_type":"Bearer","expires_in":3599}',
      },
    ],
  ] as const)('INVALID_RESPONSE message says what to do (%s)', async (_name, fault) => {
    const error = await failureWith(engineName, fault)
    expect(error.code).toBe<OboErrorCode>('INVALID_RESPONSE')
    expect(error.message).toMatch(actionable)
  })

  // Guards core's OAUTH_ERROR remedy (packages/core/src/errors.ts, `remedies`). Before: an Entra error mapped
  // to OAUTH_ERROR said what to do only when Entra's own description did ("unknown_error (HTTP 400):
  // unknown_error"). Now: a generic remedy (look up the AADSTS code, check the request).
  it('OAUTH_ERROR message says what to do', async () => {
    const error = await failureWith(engineName, {
      kind: 'malformed',
      status: 400,
      contentType: 'application/json',
      body: JSON.stringify({ error: 42, error_codes: 'x' }),
    })
    expect(error.code).toBe<OboErrorCode>('OAUTH_ERROR')
    expect(error.message).toMatch(actionable)
  })
})

// Guards the message of a throwing client-assertion callback (now core's protocol/client-assertion-callback.ts,
// shared by both engines). Before (jose): "…threw; no token was requested.", with no remedy and no pointer to the
// cause. Now: "…threw (see the cause); … Fix the callback so it returns a signed JWT."
it('jose: a throwing getClientAssertion gives a message that says what to do', async () => {
  const failing = new OnBehalfOfCredential(suite.emu.tenantId, suite.app.clientId, {
    userAssertion: userAssertion(),
    getClientAssertion: () => {
      throw new Error('token file missing')
    },
    authority: suite.emu.authorityHost,
    fetch: suite.fetch,
    engine: createJoseEngine(),
  })
  const message = await failing.getToken(`${suite.api.appIdUri}/Read`).then(
    () => 'no error',
    (caught: unknown) => {
      scanner.recordError('assertion-callback-error', caught)
      return (caught as Error).message
    },
  )
  expect(message).toMatch(actionable)
})

// Guards the msal engine's authority check (packages/msal/src/msal-engine.ts). Before: an authority host with user
// info (https://user:password@host) was accepted and the user info silently dropped, where the jose engine refuses
// it. Now: OboError INVALID_AUTHORITY, as jose.
it('msal: the msal engine refuses an authority with user info', () => {
  let thrown: unknown
  try {
    createMsalEngine()({
      clientId: suite.app.clientId,
      credential: { kind: 'secret', secret },
      authorityHost: `https://user:pw@${suite.emu.host}`,
      fetch: suite.fetch,
    })
  } catch (error) {
    thrown = error
  }
  scanner.recordError('msal-authority-error', thrown)
  expect(thrown).toBeInstanceOf(OboError)
  expect((thrown as OboError).code).toBe<OboErrorCode>('INVALID_AUTHORITY')
})

// Guards the emulator's body limit (packages/entra-emulator/src/http/incoming.ts). Before: a body over 1 MB was
// answered AADSTS900144 "must contain grant_type" (misleading) and the client's keep-alive connection was left
// broken: the next request on it failed with ECONNRESET after ~6 s. Now: 413 with `Connection: close`, and the
// next request is served at once.
it('entra-emulator: an oversized request does not break the next request', async () => {
  const big = new URLSearchParams({
    grant_type: 'client_credentials',
    client_id: suite.app.clientId,
    client_secret: secret,
    scope: 'x',
    pad: 'A'.repeat(1_500_000),
  })
  const first = await suite.emu.fetch(suite.emu.tokenEndpoint(), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: big.toString(),
  })
  await first.text()
  const startedAt = Date.now()
  const next = await suite.emu.fetch(suite.emu.openIdConfigurationUrl()).then(
    (response) => response.status,
    (error: unknown) => `${String(error)} ${String((error as Error).cause)}`,
  )
  expect({ next, waitedUnder1s: Date.now() - startedAt < 1_000 }).toEqual({ next: 200, waitedUnder1s: true })
  expect(first.status).toBe(413)
  expect(first.headers.get('connection')).toBe('close')
}, 20_000)

// Guards core's deriveCacheKey (packages/core/src/cache-key.ts). Before: tenant and scopes were joined with
// newlines, so a caller that skipped validation could shift text from one field into the next and make two
// different requests share a key (tenant "a\nb" + scope "c" = tenant "a" + scope "b\nc"). Now: both fields
// carry their length, and such pairs get different keys.
it('core: deriveCacheKey keeps unvalidated tenant and scope text in its own field', () => {
  const partition = 'a'.repeat(64)
  // Each pair joined into the same text under the old scheme.
  const pairs = [
    [
      { tenantId: 'a\nb', scopes: ['c'], enableCae: false, userAssertion: 'u' },
      { tenantId: 'a', scopes: ['b\nc'], enableCae: false, userAssertion: 'u' },
    ],
    [
      { tenantId: 't', scopes: ['x\ncae'], enableCae: false, userAssertion: 'u' },
      { tenantId: 't', scopes: ['x'], enableCae: true, userAssertion: 'std\nu' },
    ],
    [
      { tenantId: 't\nx', scopes: ['y'], enableCae: false, userAssertion: 'u' },
      { tenantId: 't', scopes: ['x\ny'], enableCae: false, userAssertion: 'u' },
    ],
  ] as const
  for (const [left, right] of pairs) {
    const old = (parts: typeof left | typeof right): string =>
      `${parts.tenantId}\n${parts.scopes.join(' ')}\n${parts.enableCae ? 'cae' : 'std'}\n${parts.userAssertion}`
    expect(old(left)).toBe(old(right))
    expect(deriveCacheKey({ partition, ...left })).not.toBe(deriveCacheKey({ partition, ...right }))
  }
})

describe('secrets in the regression runs', () => {
  it('no canary in any error or @azure/logger line', () => {
    expect(logs.lines).toBeGreaterThan(0)
    expect(scanner.scanned.texts).toBeGreaterThan(10)
    expect(scanner.watchedTokens).toBeGreaterThan(0)
    expect(scanner.leaks()).toEqual([])
  })
})
