/**
 * Property-based fuzzing (fast-check) of the two pure surfaces every token passes through: core's cache-key
 * derivation and the jose engine's reading of the token endpoint's answer. Neither may throw an untyped error;
 * the key must separate every user, tenant, app, scope set and CAE mode; the parser must accept exactly what
 * a token answer is, and turn everything else into a typed `OboError`.
 */
import { deriveCacheKey, OAuthError, OboError, type CacheKeyParts, type TokenResult } from '@onbehalf/core'
import { InvalidResponseError, createJoseEngine } from '@onbehalf/jose'
import fc from 'fast-check'
import { afterAll, describe, expect, it } from 'vitest'
import { createFigureTable } from '../src/figures.ts'
import { createLeakScanner } from '../src/leak-scanner.ts'

const figures = createFigureTable('fuzz')
afterAll(() => figures.print())

const knownCodes = new Set([
  'INVALID_ARGUMENT',
  'INVALID_CERTIFICATE',
  'INVALID_AUTHORITY',
  'TENANT_NOT_ALLOWED',
  'CLIENT_ASSERTION_FAILED',
  'INTERACTION_REQUIRED',
  'INVALID_GRANT',
  'INVALID_CLIENT',
  'INVALID_SCOPE',
  'OAUTH_ERROR',
  'THROTTLED',
  'SERVER_ERROR',
  'INVALID_RESPONSE',
  'NETWORK_ERROR',
  'TIMEOUT',
  'ABORTED',
  'CLOSED',
])

const keyRuns = Number(process.env['FUZZ_KEY_RUNS'] ?? 3000)
const parserRuns = Number(process.env['FUZZ_PARSER_RUNS'] ?? 2500)
const lifetimeRuns = Number(process.env['FUZZ_LIFETIME_RUNS'] ?? 2000)

// --- deriveCacheKey --------------------------------------------------------------------------------------

const hexPartition = fc.stringMatching(/^[0-9a-f]{64}$/)
// Valid tenants, and text a caller that skipped validation could pass (newlines, digits and colons included):
// the key keeps each field apart whatever it holds.
const tenantId = fc.oneof(
  fc.uuid(),
  fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9.-]{0,40}$/),
  fc.string({ maxLength: 20, unit: 'binary' }),
  fc.stringMatching(/^[\d:\na-c]{0,8}$/),
)
// What normalizeScopes lets through (no whitespace, quotes, backslashes or control characters), and unvalidated
// text. Only a space is left out: scopes are a space-separated set, so ['a b'] and ['a', 'b'] are one request.
const scope = fc.oneof(
  fc
    .string({ minLength: 1, maxLength: 40, unit: 'grapheme' })
    // eslint-disable-next-line no-control-regex -- control characters are exactly what a scope may not hold
    .filter((value) => !/[\s"\\\u0000-\u001f\u007f]/.test(value)),
  fc.string({ minLength: 1, maxLength: 20, unit: 'binary' }).filter((value) => !value.includes(' ')),
  fc.stringMatching(/^[\d:\na-c]{1,8}$/),
)
const scopes = fc.array(scope, { minLength: 1, maxLength: 4 })
const assertion = fc.oneof(
  fc.string({ maxLength: 300, unit: 'binary' }),
  fc.base64String({ minLength: 20, maxLength: 2000 }),
)
const validParts: fc.Arbitrary<CacheKeyParts> = fc.record({
  partition: hexPartition,
  tenantId,
  scopes,
  enableCae: fc.boolean(),
  userAssertion: assertion,
})

/** Two parts name the same token iff they agree up to tenant case and scope order / duplicates. */
function sameToken(a: CacheKeyParts, b: CacheKeyParts): boolean {
  const scopeSet = (list: readonly string[]): string => [...new Set(list)].sort().join(' ')
  return (
    a.partition === b.partition &&
    a.tenantId.toLowerCase() === b.tenantId.toLowerCase() &&
    scopeSet(a.scopes) === scopeSet(b.scopes) &&
    a.enableCae === b.enableCae &&
    a.userAssertion === b.userAssertion
  )
}

describe('deriveCacheKey (fast-check)', () => {
  it('is a 43-character base64url SHA-256, deterministic, and never holds the assertion', () => {
    fc.assert(
      fc.property(validParts, (parts) => {
        const key = deriveCacheKey(parts)
        expect(key).toMatch(/^[A-Za-z0-9_-]{43}$/)
        expect(deriveCacheKey({ ...parts, scopes: [...parts.scopes] })).toBe(key)
        if (parts.userAssertion.length >= 8) expect(key.includes(parts.userAssertion)).toBe(false)
      }),
      { numRuns: keyRuns },
    )
  })

  it('separates any two requests that differ in app, tenant, scopes, CAE or user, and only those', () => {
    // Pairs that share most fields, so the interesting near-misses (one field apart) are common.
    const pair = validParts.chain((a) =>
      fc
        .record({
          partition: fc.oneof(fc.constant(a.partition), hexPartition),
          tenantId: fc.oneof(fc.constant(a.tenantId), fc.constant(a.tenantId.toUpperCase()), tenantId),
          scopes: fc.oneof(fc.constant([...a.scopes].reverse()), fc.constant([...a.scopes, a.scopes[0]!]), scopes),
          enableCae: fc.oneof(fc.constant(a.enableCae), fc.boolean()),
          userAssertion: fc.oneof(fc.constant(a.userAssertion), fc.constant(`${a.userAssertion}x`), assertion),
        })
        .map((b) => [a, b] as const),
    )
    let distinct = 0
    let same = 0
    fc.assert(
      fc.property(pair, ([a, b]) => {
        const equal = deriveCacheKey(a) === deriveCacheKey(b)
        expect(equal).toBe(sameToken(a, b))
        if (equal) same++
        else distinct++
      }),
      { numRuns: keyRuns },
    )
    figures.add({
      target: 'deriveCacheKey: key separation',
      runs: keyRuns,
      'same token': same,
      'different token': distinct,
      failures: 0,
    })
  })

  it('throws nothing but TypeError for values outside its types (JavaScript callers)', () => {
    let threw = 0
    fc.assert(
      fc.property(
        fc.record({
          partition: fc.anything(),
          tenantId: fc.anything(),
          scopes: fc.anything(),
          enableCae: fc.anything(),
          userAssertion: fc.anything(),
        }),
        (parts) => {
          try {
            expect(deriveCacheKey(parts as unknown as CacheKeyParts)).toMatch(/^[A-Za-z0-9_-]{43}$/)
          } catch (error) {
            threw++
            expect(error).toBeInstanceOf(TypeError)
          }
        },
      ),
      { numRuns: keyRuns },
    )
    figures.add({
      target: 'deriveCacheKey: arbitrary values',
      runs: keyRuns,
      'TypeError thrown': threw,
      'other errors': 0,
      failures: 0,
    })
  })
})

// --- the jose engine's response parser --------------------------------------------------------------------

interface FuzzAnswer {
  readonly status: number
  readonly body: string
  readonly headers: Readonly<Record<string, string>>
}

const secret = 'fuzz-canary-secret-9f1c2b7e-do-not-print'
const userAssertion = 'eyJhbGciOiJub25lIn0.eyJmdXp6IjoiY2FuYXJ5LWFzc2VydGlvbi0yOGQ0In0.Y2FuYXJ5LXNpZ25hdHVyZS03YTFi'
const requestedScopes = ['api://fuzz/.default']

let current: FuzzAnswer = { status: 200, body: '{}', headers: {} }
let requests = 0
// The engine's transport, answering whatever the property generated. Every engine call goes through it.
const fuzzFetch: typeof globalThis.fetch = (_input, init) => {
  requests++
  if (init?.signal?.aborted === true) return Promise.reject(new DOMException('aborted', 'AbortError'))
  const nullBody = current.status === 204 || current.status === 205 || current.status === 304
  return Promise.resolve(
    new Response(nullBody ? null : current.body, { status: current.status, headers: current.headers }),
  )
}

const engine = createJoseEngine({ maxRetries: 0, timeoutMs: 5_000 })({
  clientId: '7b0f0b8e-5d1c-4c57-9d4e-0c1d2f3a4b5c',
  credential: { kind: 'secret', secret },
  authorityHost: 'https://login.microsoftonline.com',
  fetch: fuzzFetch,
})

const jsonValue = fc.jsonValue({ maxDepth: 3 })
/** The longest token lifetime an engine may accept (core's checkTokenAnswer): 7 days. */
const maxLifetimeSeconds = 7 * 86_400
// Lifetimes across the whole range of numbers, the 7-day bound and its neighbours, and numeric strings up to 25
// digits: anything over the bound must be refused, never turned into a token that outlives it (or never expires).
const seconds = fc.oneof(
  fc.integer({ min: -10, max: 200_000 }),
  fc.double({ noNaN: false }),
  fc.constantFrom(
    0,
    1,
    3599,
    maxLifetimeSeconds,
    maxLifetimeSeconds + 1,
    1e9,
    1e21,
    1e308,
    Number.MAX_VALUE,
    Number.NaN,
    Number.POSITIVE_INFINITY,
  ),
  fc.stringMatching(/^\s*\d{1,25}(\.\d{1,3})?\s*$/),
  fc.string({ maxLength: 12 }),
  jsonValue,
)
const longString = fc.oneof(
  fc.string({ maxLength: 200 }),
  fc.constant('x'.repeat(70_000)),
  fc.string({ unit: 'binary', maxLength: 50 }),
)
/** Token-answer-like objects whose fields are right, missing, or of any type. */
const tokenLike = fc.record(
  {
    token_type: fc.oneof(fc.constant('Bearer'), fc.constant(''), longString, jsonValue),
    scope: fc.oneof(fc.constant(requestedScopes.join(' ')), longString, jsonValue),
    expires_in: seconds,
    ext_expires_in: seconds,
    refresh_in: seconds,
    access_token: fc.oneof(
      fc.constant('eyJ0eXAiOiJKV1QifQ.eyJmdXp6Ijp0cnVlfQ.c2ln'),
      fc.constant(''),
      longString,
      jsonValue,
    ),
    refresh_token: fc.oneof(fc.constant('1.AAAA-refresh'), fc.constant(''), longString, jsonValue),
    error: fc.oneof(
      fc.constantFrom('invalid_grant', 'interaction_required', 'invalid_client', 'temporarily_unavailable'),
      jsonValue,
    ),
    error_description: fc.oneof(
      fc.constant('AADSTS50013: Assertion failed signature validation.'),
      longString,
      jsonValue,
    ),
    error_codes: fc.oneof(fc.array(fc.integer()), fc.array(fc.string()), jsonValue),
    claims: fc.oneof(fc.constant('{"access_token":{"capolids":{"essential":true,"values":["p1"]}}}'), jsonValue),
    suberror: fc.oneof(fc.constantFrom('consent_required', 'basic_action'), jsonValue),
    trace_id: fc.oneof(fc.uuid(), jsonValue),
  },
  { requiredKeys: [] },
)
/** A well-formed success: the parser must accept it. */
const validSuccess = fc.record({
  token_type: fc.constant('Bearer'),
  expires_in: fc.oneof(fc.integer({ min: 1, max: 90_000 }), fc.constant(maxLifetimeSeconds)),
  ext_expires_in: fc.integer({ min: 1, max: 90_000 }),
  access_token: fc.stringMatching(/^[A-Za-z0-9_-]{10,60}\.[A-Za-z0-9_-]{10,60}\.[A-Za-z0-9_-]{10,60}$/),
  scope: fc.constant(requestedScopes.join(' ')),
})
const body = fc.oneof(
  { weight: 4, arbitrary: tokenLike.map((value) => JSON.stringify(value)) },
  { weight: 2, arbitrary: validSuccess.map((value) => JSON.stringify(value)) },
  {
    weight: 2,
    arbitrary: tokenLike
      .map((value) => JSON.stringify(value))
      .chain((text) => fc.nat(text.length).map((cut) => text.slice(0, cut))),
  },
  { weight: 1, arbitrary: jsonValue.map((value) => JSON.stringify(value)) },
  { weight: 1, arbitrary: fc.string({ maxLength: 300, unit: 'binary' }) },
  {
    weight: 1,
    arbitrary: fc.constantFrom('', ' ', 'null', '[]', '<html>502 Bad Gateway</html>', '{"access_token":', '\u0000'),
  },
)
const answer: fc.Arbitrary<FuzzAnswer> = fc.record({
  status: fc.oneof(
    fc.constantFrom(200, 200, 200, 201, 204, 302, 400, 401, 403, 404, 429, 500, 502, 503, 504),
    fc.integer({ min: 200, max: 599 }),
  ),
  body,
  headers: fc.record(
    {
      'content-type': fc.constantFrom('application/json', 'text/html', 'application/json; charset=utf-8', ''),
      'retry-after': fc.oneof(
        fc.constantFrom('0', '1', '120', 'Wed, 21 Oct 2015 07:28:00 GMT', '-1', 'soon', '1e9'),
        fc.string({ maxLength: 10 }),
      ),
    },
    { requiredKeys: [] },
  ),
})

/** Whether a status may carry a body at all (the Response constructor refuses one on 204/205/304). */
function withBody(candidate: FuzzAnswer): FuzzAnswer {
  return candidate.status === 204 || candidate.status === 205 || candidate.status === 304
    ? { ...candidate, body: '' }
    : candidate
}

function checkResult(result: TokenResult, sentAt: number): void {
  expect(typeof result.accessToken).toBe('string')
  expect(result.accessToken.length).toBeGreaterThan(0)
  expect(typeof result.tokenType).toBe('string')
  expect(Array.isArray(result.scopes) && result.scopes.every((item) => typeof item === 'string')).toBe(true)
  expect(Number.isFinite(result.expiresAt)).toBe(true)
  // ≥, not >: a lifetime of 5e-324 s (positive, so accepted) adds nothing to the clock.
  expect(result.expiresAt).toBeGreaterThanOrEqual(sentAt)
  expect(result.expiresAt).toBeLessThanOrEqual(Date.now() + maxLifetimeSeconds * 1000)
  if (result.refreshAt !== undefined) {
    expect(Number.isFinite(result.refreshAt)).toBe(true)
    // A refresh_in at or past expires_in advises nothing and is ignored.
    expect(result.refreshAt).toBeLessThanOrEqual(result.expiresAt)
  }
  if (result.refreshToken !== undefined) expect(typeof result.refreshToken).toBe('string')
}

describe('jose engine response parser (fast-check, through the engine’s fetch)', () => {
  it('accepts every well-formed answer and answers everything else with a typed OboError', async () => {
    const scanner = createLeakScanner()
    scanner.addSecret('client secret', secret)
    scanner.addToken('user assertion', userAssertion)
    const outcomes = new Map<string, number>()
    let overlongRefused = 0
    await fc.assert(
      fc.asyncProperty(answer, async (generated) => {
        current = withBody(generated)
        const sentAt = Date.now()
        let result: TokenResult | undefined
        let failure: unknown
        try {
          result = await engine.exchange({
            tenantId: 'contoso.onmicrosoft.com',
            userAssertion,
            scopes: requestedScopes,
          })
        } catch (error) {
          failure = error
        }
        if (result !== undefined) {
          outcomes.set('token', (outcomes.get('token') ?? 0) + 1)
          expect(current.status).toBeGreaterThanOrEqual(200)
          expect(current.status).toBeLessThan(300)
          checkResult(result, sentAt)
          return
        }
        expect(failure).toBeInstanceOf(OboError)
        const error = failure as OboError
        outcomes.set(error.code, (outcomes.get(error.code) ?? 0) + 1)
        expect(knownCodes.has(error.code)).toBe(true)
        expect(error.message.length).toBeGreaterThan(10)
        // An answer with a status the server sent must say so: OAuthError or InvalidResponseError carry it.
        expect(error instanceof OAuthError || error instanceof InvalidResponseError).toBe(true)
        scanner.recordError(`parser:${error.code}`, error)
        const parsed = safeParse(current.body)
        // A success-shaped answer whose lifetime is over the bound is refused as INVALID_RESPONSE.
        if (
          isSuccessShaped(current.status, parsed) &&
          (lifetimeOf((parsed as Record<string, unknown>)['expires_in']) ?? 0) > maxLifetimeSeconds
        ) {
          expect(error.code).toBe('INVALID_RESPONSE')
          overlongRefused++
        }
        // A well-formed success on a 2xx must never be refused.
        if (current.status >= 200 && current.status < 300 && isValidSuccess(parsed)) {
          throw new Error(`a valid answer was refused: ${error.code} ${error.message}`)
        }
      }),
      { numRuns: parserRuns },
    )
    expect(scanner.leaks()).toEqual([])
    figures.add({
      target: 'jose readTokenResponse',
      runs: parserRuns,
      'fetch calls': requests,
      'lifetimes over 7 days refused': overlongRefused,
      outcomes: [...outcomes].map(([code, count]) => `${code} ${count}`).join(', '),
      failures: 0,
    })
  }, 120_000)

  it('turns a lifetime into a token only within 7 days; over it, or not a lifetime at all, is INVALID_RESPONSE', async () => {
    const lifetimes = fc.record({
      expires_in: seconds,
      ext_expires_in: fc.option(seconds, { nil: undefined }),
      refresh_in: fc.option(seconds, { nil: undefined }),
    })
    const outcomes = { token: 0, 'over 7 days refused': 0, 'other INVALID_RESPONSE': 0 }
    await fc.assert(
      fc.asyncProperty(lifetimes, async (fields) => {
        current = {
          status: 200,
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            token_type: 'Bearer',
            access_token: 'eyJ0eXAiOiJKV1QifQ.eyJmdXp6Ijp0cnVlfQ.c2ln',
            ...fields,
          }),
        }
        // What went over the wire: JSON turns NaN and ±Infinity into null.
        const sent = JSON.parse(current.body) as Record<string, unknown>
        const lifetime = lifetimeOf(sent['expires_in'])
        const sentAt = Date.now()
        const outcome = await engine
          .exchange({ tenantId: 'contoso.onmicrosoft.com', userAssertion, scopes: requestedScopes })
          .then(
            (result) => ({ result }),
            (error: unknown) => ({ error }),
          )
        if ('result' in outcome) {
          outcomes.token++
          expect(lifetime).toBeGreaterThan(0)
          expect(lifetime).toBeLessThanOrEqual(maxLifetimeSeconds)
          checkResult(outcome.result, sentAt)
          return
        }
        expect(outcome.error).toBeInstanceOf(OboError)
        expect((outcome.error as OboError).code).toBe('INVALID_RESPONSE')
        if (lifetime !== undefined && lifetime > maxLifetimeSeconds) outcomes['over 7 days refused']++
        else outcomes['other INVALID_RESPONSE']++
      }),
      { numRuns: lifetimeRuns },
    )
    expect(outcomes.token).toBeGreaterThan(0)
    expect(outcomes['over 7 days refused']).toBeGreaterThan(0)
    figures.add({
      target: 'jose: token lifetimes, full range',
      runs: lifetimeRuns,
      outcomes: Object.entries(outcomes)
        .map(([name, count]) => `${name} ${count}`)
        .join(', '),
      failures: 0,
    })
  }, 120_000)
})

function safeParse(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

/** A 2xx JSON object without an `error` field: whatever is wrong with it can only be INVALID_RESPONSE. */
function isSuccessShaped(status: number, value: unknown): boolean {
  return (
    status >= 200 &&
    status < 300 &&
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    (value as Record<string, unknown>)['error'] === undefined
  )
}

/** Seconds from a JSON number or a numeric string, as Entra sends them; `undefined` otherwise. */
function lifetimeOf(value: unknown): number | undefined {
  if (typeof value === 'number') return value
  return typeof value === 'string' && /^\s*\d+(\.\d+)?\s*$/.test(value) ? Number(value) : undefined
}

function isValidSuccess(value: unknown): boolean {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false
  const record = value as Record<string, unknown>
  return (
    record['error'] === undefined &&
    typeof record['access_token'] === 'string' &&
    record['access_token'].length > 0 &&
    typeof record['expires_in'] === 'number' &&
    record['expires_in'] > 0 &&
    record['expires_in'] <= maxLifetimeSeconds &&
    (record['ext_expires_in'] === undefined ||
      (typeof record['ext_expires_in'] === 'number' && record['ext_expires_in'] >= 0)) &&
    (record['token_type'] === undefined ||
      (typeof record['token_type'] === 'string' && record['token_type'].length > 0)) &&
    (record['scope'] === undefined || typeof record['scope'] === 'string') &&
    (record['refresh_token'] === undefined || typeof record['refresh_token'] === 'string') &&
    (record['refresh_in'] === undefined || (typeof record['refresh_in'] === 'number' && record['refresh_in'] >= 0))
  )
}
