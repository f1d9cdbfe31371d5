import { X509Certificate } from 'node:crypto'
import { OAuthError, OboError, type EngineConfig } from '@onbehalf/core'
import { decodeProtectedHeader, importX509, jwtVerify } from 'jose'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { InvalidResponseError, createJoseEngine, type JoseEngineOptions } from '../src/index.ts'
import { makeClientCertificates, password, type ClientCertificateFixture } from './certificate-fixtures.ts'
import { json, startTestServer, tokenBody, type TestServer } from './https-test-server.ts'

const clientId = '11111111-2222-3333-4444-555555555555'
const tenantId = 'contoso.onmicrosoft.com'
const secret = 'super-secret-value~1234567890'
const userAssertion = 'eyJ0eXAiOiJKV1QifQ.user-assertion.signature'
const scopes = ['https://graph.microsoft.com/User.Read', 'https://graph.microsoft.com/Mail.Read']

let server: TestServer
let certs: ClientCertificateFixture
beforeAll(async () => {
  server = await startTestServer()
  certs = makeClientCertificates()
}, 60_000)
afterAll(() => server.close())
beforeEach(() => {
  server.requests.length = 0
  server.handle((_request, response) => json(response, 200, tokenBody()))
})

function engineWith(credential: EngineConfig['credential'], options: JoseEngineOptions = {}) {
  return createJoseEngine({ retryBaseDelayMs: 5, retryMaxDelayMs: 20, ...options })({
    clientId,
    credential,
    authorityHost: server.origin,
    disableInstanceDiscovery: true,
    fetch: server.fetch,
  })
}

async function failure(promise: Promise<unknown>): Promise<OboError> {
  const error: unknown = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  )
  expect(error).toBeInstanceOf(OboError)
  const oboError = error as OboError
  for (const forbidden of [secret, userAssertion, 'refresh-token-value']) {
    expect(oboError.message).not.toContain(forbidden)
  }
  return oboError
}

describe('exchange: the wire request', () => {
  it('POSTs the OBO form with a client secret to {authority}/{tenant}/oauth2/v2.0/token', async () => {
    const engine = engineWith({ kind: 'secret', secret })
    const claims = '{"access_token":{"xms_cc":{"values":["cp1"]}}}'
    await engine.exchange({ tenantId, userAssertion, scopes, claims })
    expect(server.requests).toHaveLength(1)
    const [request] = server.requests
    expect(request?.method).toBe('POST')
    expect(request?.path).toBe(`/${tenantId}/oauth2/v2.0/token`)
    expect(request?.headers['content-type']).toMatch(/^application\/x-www-form-urlencoded/)
    expect(Object.fromEntries(request?.form ?? [])).toEqual({
      client_id: clientId,
      scope: scopes.join(' '),
      grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
      requested_token_use: 'on_behalf_of',
      assertion: userAssertion,
      client_info: '1',
      client_secret: secret,
      claims,
    })
  })

  it('omits claims when there are none', async () => {
    await engineWith({ kind: 'secret', secret }).exchange({ tenantId, userAssertion, scopes })
    expect(server.requests[0]?.form.has('claims')).toBe(false)
  })

  it('redeems a refresh token with grant_type=refresh_token', async () => {
    await engineWith({ kind: 'secret', secret }).redeemRefreshToken({
      tenantId,
      refreshToken: 'refresh-token-value',
      scopes,
    })
    expect(Object.fromEntries(server.requests[0]?.form ?? [])).toEqual({
      client_id: clientId,
      scope: scopes.join(' '),
      grant_type: 'refresh_token',
      refresh_token: 'refresh-token-value',
      client_info: '1',
      client_secret: secret,
    })
  })

  it('authenticates with a PS256 certificate assertion carrying x5t#S256 by default', async () => {
    const engine = engineWith({ kind: 'certificate', certificate: certs.pem })
    await engine.exchange({ tenantId, userAssertion, scopes })
    const form = server.requests[0]?.form
    expect(form?.get('client_assertion_type')).toBe('urn:ietf:params:oauth:client-assertion-type:jwt-bearer')
    expect(form?.has('client_secret')).toBe(false)
    const jwt = form?.get('client_assertion') ?? ''
    const header = decodeProtectedHeader(jwt)
    const sha256 = Buffer.from(new X509Certificate(certs.certPem).fingerprint256.replace(/:/g, ''), 'hex').toString(
      'base64url',
    )
    expect(header).toEqual({ alg: 'PS256', typ: 'JWT', 'x5t#S256': sha256 })
    const { payload } = await jwtVerify(jwt, await importX509(certs.certPem, 'PS256'), {
      audience: `${server.origin}/${tenantId}/oauth2/v2.0/token`,
      issuer: clientId,
      subject: clientId,
    })
    expect(payload.exp! - payload.iat!).toBe(600)
    expect(payload.nbf).toBe(payload.iat)
    expect(payload.jti).toMatch(/^[0-9a-f-]{36}$/)
    expect(Math.abs(payload.iat! * 1000 - Date.now())).toBeLessThan(10_000)
  })

  it('signs RS256 with x5t when asked, and sends x5c (leaf first) with sendCertificateChain', async () => {
    const engine = engineWith(
      { kind: 'certificate', certificate: certs.chainPem, sendCertificateChain: true },
      { signingAlgorithm: 'RS256' },
    )
    await engine.exchange({ tenantId, userAssertion, scopes })
    const jwt = server.requests[0]?.form.get('client_assertion') ?? ''
    const header = decodeProtectedHeader(jwt)
    const leaf = new X509Certificate(certs.chainLeafPem)
    expect(header.alg).toBe('RS256')
    expect(header.x5t).toBe(Buffer.from(leaf.fingerprint.replace(/:/g, ''), 'hex').toString('base64url'))
    expect(header['x5t#S256']).toBeUndefined()
    expect(header.x5c).toEqual([
      leaf.raw.toString('base64'),
      new X509Certificate(certs.chainCaPem).raw.toString('base64'),
    ])
    await jwtVerify(jwt, await importX509(certs.chainLeafPem, 'RS256'))
  })

  it('reads PKCS#12 and encrypted PEM certificates with a password', async () => {
    for (const certificate of [certs.pkcs12, certs.pkcs12Legacy, certs.encryptedPem]) {
      server.requests.length = 0
      await engineWith({ kind: 'certificate', certificate, password }).exchange({ tenantId, userAssertion, scopes })
      await jwtVerify(server.requests[0]?.form.get('client_assertion') ?? '', await importX509(certs.certPem, 'PS256'))
    }
  })

  it('reuses one signed assertion across many token requests to the same endpoint', async () => {
    const engine = engineWith({ kind: 'certificate', certificate: certs.pem })
    await Promise.all(Array.from({ length: 20 }, () => engine.exchange({ tenantId, userAssertion, scopes })))
    const assertions = new Set(server.requests.map((request) => request.form.get('client_assertion')))
    expect(server.requests).toHaveLength(20)
    expect(assertions.size).toBe(1)
    // Another tenant is another audience, hence another assertion.
    await engine.exchange({ tenantId: 'fabrikam.onmicrosoft.com', userAssertion, scopes })
    expect(new Set(server.requests.map((request) => request.form.get('client_assertion'))).size).toBe(2)
  })

  it('calls the assertion callback once per token request, retries included', async () => {
    let calls = 0
    const engine = engineWith({ kind: 'assertion', getAssertion: () => `assertion-${++calls}` })
    await engine.exchange({ tenantId, userAssertion, scopes })
    let attempt = 0
    server.handle((_request, response) =>
      ++attempt === 1 ? json(response, 503, {}) : json(response, 200, tokenBody()),
    )
    await engine.exchange({ tenantId, userAssertion, scopes })
    expect(calls).toBe(2)
    expect(server.requests.map((request) => request.form.get('client_assertion'))).toEqual([
      'assertion-1',
      'assertion-2',
      'assertion-2',
    ])
    expect(server.requests[0]?.form.get('client_assertion_type')).toBe(
      'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
    )
  })

  it('fails with CLIENT_ASSERTION_FAILED, without a request, when the callback throws or returns nothing', async () => {
    for (const getAssertion of [
      () => {
        throw new Error('vault down')
      },
      () => '',
      () => Promise.reject(new Error('nope')),
      () => undefined as unknown as string,
    ]) {
      const error = await failure(
        engineWith({ kind: 'assertion', getAssertion }).exchange({ tenantId, userAssertion, scopes }),
      )
      expect(error.code).toBe('CLIENT_ASSERTION_FAILED')
    }
    expect(server.requests).toHaveLength(0)
  })

  it('signs a fresh assertion once when Entra says the assertion is outside its time range (AADSTS700024)', async () => {
    const engine = engineWith({ kind: 'certificate', certificate: certs.pem })
    await engine.exchange({ tenantId, userAssertion, scopes })
    let calls = 0
    server.handle((_request, response) =>
      ++calls === 1
        ? json(response, 401, {
            error: 'invalid_client',
            error_description: 'AADSTS700024: Client assertion is not within its valid time range.',
            error_codes: [700024],
          })
        : json(response, 200, tokenBody()),
    )
    await engine.exchange({ tenantId, userAssertion, scopes })
    const assertions = server.requests.map((request) => request.form.get('client_assertion'))
    expect(assertions).toHaveLength(3)
    expect(assertions[1]).toBe(assertions[0])
    expect(assertions[2]).not.toBe(assertions[1])
  })
})

describe('exchange: the answer', () => {
  it('maps a success to a TokenResult (scopes split, expiresAt and refreshAt from now)', async () => {
    server.handle((_request, response) =>
      json(
        response,
        200,
        tokenBody({
          access_token: 'the-token',
          scope: 'a b  c',
          expires_in: 3600,
          refresh_in: 1800,
          refresh_token: 'rt',
        }),
      ),
    )
    const before = Date.now()
    const result = await engineWith({ kind: 'secret', secret }).exchange({ tenantId, userAssertion, scopes })
    const after = Date.now()
    expect(result.accessToken).toBe('the-token')
    expect(result.tokenType).toBe('Bearer')
    expect(result.scopes).toEqual(['a', 'b', 'c'])
    expect(result.expiresAt).toBeGreaterThanOrEqual(before + 3_600_000)
    expect(result.expiresAt).toBeLessThanOrEqual(after + 3_600_000)
    expect(result.refreshAt! - result.expiresAt).toBe(-1_800_000)
    expect(result.refreshToken).toBe('rt')
  })

  it('accepts numeric strings (v1 style) and falls back to the requested scopes', async () => {
    server.handle((_request, response) =>
      json(response, 200, {
        token_type: 'Bearer',
        access_token: 'x',
        expires_in: '3600',
        ext_expires_in: '7200',
        refresh_in: '60',
      }),
    )
    const result = await engineWith({ kind: 'secret', secret }).exchange({ tenantId, userAssertion, scopes })
    expect(result.scopes).toEqual(scopes)
    expect(result.refreshAt! + 3_540_000).toBe(result.expiresAt)
    expect(result.refreshToken).toBeUndefined()
    expect('refreshToken' in result).toBe(false)
  })

  it.each([
    ['no access_token', { token_type: 'Bearer', expires_in: 3600 }],
    ['an empty access_token', { access_token: '', expires_in: 3600 }],
    ['no expires_in', { access_token: 'x' }],
    ['a non-numeric expires_in', { access_token: 'x', expires_in: 'soon' }],
    ['a negative expires_in', { access_token: 'x', expires_in: -5 }],
    ['a malformed ext_expires_in', { access_token: 'x', expires_in: 5, ext_expires_in: true }],
    ['a malformed refresh_in', { access_token: 'x', expires_in: 5, refresh_in: '1e3x' }],
    ['a non-string scope', { access_token: 'x', expires_in: 5, scope: ['a'] }],
  ])('refuses a success with %s as INVALID_RESPONSE', async (_name, body) => {
    server.handle((_request, response) => json(response, 200, body))
    const error = await failure(engineWith({ kind: 'secret', secret }).exchange({ tenantId, userAssertion, scopes }))
    expect(error.code).toBe('INVALID_RESPONSE')
    expect((error as InvalidResponseError).status).toBe(200)
    expect(error.message).not.toContain('"x"')
  })

  it.each([
    ['not JSON', 200, '<html>hello</html>'],
    ['empty', 200, ''],
    ['a JSON array', 200, '[1,2]'],
    ['not JSON on a 400', 400, 'Bad Request'],
  ])('refuses a body that is %s as INVALID_RESPONSE with the status', async (_name, status, text) => {
    server.handle((_request, response) => {
      response.writeHead(status, { 'content-type': 'text/html' })
      response.end(text)
    })
    const error = await failure(engineWith({ kind: 'secret', secret }).exchange({ tenantId, userAssertion, scopes }))
    expect(error).toBeInstanceOf(InvalidResponseError)
    expect(error.code).toBe('INVALID_RESPONSE')
    expect((error as InvalidResponseError).status).toBe(status)
  })

  it('refuses an oversized body (declared or streamed)', async () => {
    const engine = engineWith({ kind: 'secret', secret }, { maxResponseBytes: 1000 })
    server.handle((_request, response) => json(response, 200, tokenBody({ padding: 'x'.repeat(5000) })))
    expect((await failure(engine.exchange({ tenantId, userAssertion, scopes }))).code).toBe('INVALID_RESPONSE')
    server.handle((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' })
      response.write('{"access_token":"')
      response.end('y'.repeat(5000) + '","expires_in":5}')
    })
    expect((await failure(engine.exchange({ tenantId, userAssertion, scopes }))).code).toBe('INVALID_RESPONSE')
  })

  it('maps an Entra error body to OAuthError with every field, claims and suberror kept', async () => {
    const claims = '{"access_token":{"capolids":{"essential":true,"values":["c1"]}}}'
    const body = {
      error: 'invalid_grant',
      error_description:
        'AADSTS50076: Due to a configuration change made by your administrator, you must use MFA.\r\nTrace ID: t1',
      error_codes: [50076],
      timestamp: '2026-01-01 00:00:00Z',
      trace_id: 'trace-1',
      correlation_id: 'corr-1',
      error_uri: 'https://login.microsoftonline.com/error?code=50076',
      suberror: 'basic_action',
      claims,
    }
    server.handle((_request, response) => json(response, 400, body))
    const error = await failure(engineWith({ kind: 'secret', secret }).exchange({ tenantId, userAssertion, scopes }))
    expect(error).toBeInstanceOf(OAuthError)
    const oauth = error as OAuthError
    expect(oauth.code).toBe('INTERACTION_REQUIRED')
    expect(oauth).toMatchObject({
      status: 400,
      error: 'invalid_grant',
      errorCodes: [50076],
      timestamp: '2026-01-01 00:00:00Z',
      traceId: 'trace-1',
      correlationId: 'corr-1',
      errorUri: body.error_uri,
      suberror: 'basic_action',
      claims,
    })
    expect(oauth.toWwwAuthenticate()).toContain('insufficient_claims')
    expect(server.requests).toHaveLength(1)
  })

  it.each([
    ['invalid_grant', 400, 'INVALID_GRANT'],
    ['invalid_client', 401, 'INVALID_CLIENT'],
    ['interaction_required', 400, 'INTERACTION_REQUIRED'],
    ['invalid_scope', 400, 'INVALID_SCOPE'],
    ['unauthorized_client', 400, 'INVALID_CLIENT'],
    ['invalid_request', 400, 'OAUTH_ERROR'],
  ])('does not retry %s (%i) and maps it to %s', async (error, status, code) => {
    server.handle((_request, response) => json(response, status, { error, error_codes: [1] }))
    const caught = await failure(engineWith({ kind: 'secret', secret }).exchange({ tenantId, userAssertion, scopes }))
    expect(caught.code).toBe(code)
    expect(server.requests).toHaveLength(1)
  })
})

describe('engine configuration', () => {
  it('refuses an http authority and a malformed one', () => {
    for (const authorityHost of [
      'http://login.microsoftonline.com',
      'not a url',
      'https://login.microsoftonline.com/tenant',
    ]) {
      let caught: unknown
      try {
        createJoseEngine()({ clientId, authorityHost, credential: { kind: 'secret', secret } })
      } catch (error) {
        caught = error
      }
      expect((caught as OboError).code).toBe('INVALID_AUTHORITY')
    }
  })

  it('refuses an unreadable certificate at construction', () => {
    expect(() => engineWith({ kind: 'certificate', certificate: 'garbage' })).toThrow(
      expect.objectContaining({ code: 'INVALID_CERTIFICATE' }),
    )
    expect(() => engineWith({ kind: 'certificate', certificate: certs.pkcs12, password: 'wrong' })).toThrow(
      expect.objectContaining({ code: 'INVALID_CERTIFICATE' }),
    )
    expect(() => engineWith({ kind: 'secret', secret: '' })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    )
  })

  it('refuses a bad tenant or empty scopes without a request', async () => {
    const engine = engineWith({ kind: 'secret', secret })
    expect((await failure(engine.exchange({ tenantId: '../evil', userAssertion, scopes }))).code).toBe(
      'INVALID_ARGUMENT',
    )
    expect((await failure(engine.exchange({ tenantId, userAssertion, scopes: [] }))).code).toBe('INVALID_ARGUMENT')
    expect((await failure(engine.exchange({ tenantId, userAssertion: '', scopes }))).code).toBe('INVALID_ARGUMENT')
    expect(server.requests).toHaveLength(0)
  })

  it('has a stable, secret-free fingerprint that changes with host, client and credential', () => {
    const a = engineWith({ kind: 'secret', secret })
    expect(a.name).toBe('jose')
    expect(engineWith({ kind: 'secret', secret }).fingerprint).toBe(a.fingerprint)
    expect(a.fingerprint).toMatch(/^[0-9a-f]{64}$/)
    expect(a.fingerprint).not.toContain(secret)
    expect(engineWith({ kind: 'secret', secret: 'other' }).fingerprint).not.toBe(a.fingerprint)
    expect(
      createJoseEngine()({ clientId: 'other', authorityHost: server.origin, credential: { kind: 'secret', secret } })
        .fingerprint,
    ).not.toBe(a.fingerprint)
    expect(
      createJoseEngine()({
        clientId,
        authorityHost: 'https://login.microsoftonline.us',
        credential: { kind: 'secret', secret },
      }).fingerprint,
    ).not.toBe(a.fingerprint)
    // The same certificate in another encoding is the same credential.
    const pem = engineWith({ kind: 'certificate', certificate: certs.pem }).fingerprint
    expect(engineWith({ kind: 'certificate', certificate: certs.pkcs12, password }).fingerprint).toBe(pem)
    expect(pem).not.toBe(a.fingerprint)
    const callback = (): string => 'x'
    expect(engineWith({ kind: 'assertion', getAssertion: callback }).fingerprint).toBe(
      engineWith({ kind: 'assertion', getAssertion: callback }).fingerprint,
    )
    expect(engineWith({ kind: 'assertion', getAssertion: () => 'x' }).fingerprint).not.toBe(
      engineWith({ kind: 'assertion', getAssertion: callback }).fingerprint,
    )
  })

  it('fails with CLOSED after close(), which is idempotent', async () => {
    const engine = engineWith({ kind: 'secret', secret })
    await engine.close()
    await engine.close()
    expect((await failure(engine.exchange({ tenantId, userAssertion, scopes }))).code).toBe('CLOSED')
    expect(server.requests).toHaveLength(0)
  })
})
