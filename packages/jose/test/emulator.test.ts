/**
 * The jose engine against the local Entra emulator over HTTPS: every credential kind, the x5c chain, refresh
 * tokens, CAE, Entra's errors, and the emulator's faults (retries, Retry-After, dropped connections, bad bodies).
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { OAuthError, OboError, type ClientCredential, type OboEngine } from '@onbehalf/core'
import { startEmulator, type EntraEmulator } from '@onbehalf/entra-emulator'
import { decodeJwt, decodeProtectedHeader } from 'jose'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { clearAuthorityValidationMemo } from '@onbehalf/core/engine'
import { createJoseEngine, type JoseEngineOptions } from '../src/index.ts'

let emu: EntraEmulator
beforeAll(async () => {
  // recordSecrets: a test reuses a signed client assertion taken from the request log.
  emu = await startEmulator({ recordSecrets: true })
}, 60_000)
afterAll(() => emu.close())
beforeEach(() => {
  emu.faults.clear()
  emu.clearRequests()
})

function engine(credential?: ClientCredential, options: JoseEngineOptions = {}): OboEngine {
  const middleTier = emu.defaults.middleTier
  return createJoseEngine({ retryBaseDelayMs: 10, retryMaxDelayMs: 50, ...options })({
    clientId: middleTier.clientId,
    credential: credential ?? { kind: 'secret', secret: middleTier.clientSecret },
    authorityHost: emu.authorityHost,
    fetch: emu.fetch,
  })
}

function userToken(
  user = emu.defaults.users.plain,
  extra: Parameters<EntraEmulator['issueUserToken']>[0] = {},
): string {
  return emu.issueUserToken({ user, ...extra })
}

function exchangeFor(
  target: OboEngine,
  userAssertion = userToken(),
  extra: { claims?: string; signal?: AbortSignal } = {},
) {
  return target.exchange({
    tenantId: emu.tenantId,
    userAssertion,
    scopes: [emu.defaults.downstream.scopes[0] ?? ''],
    ...extra,
  })
}

async function failure(promise: Promise<unknown>): Promise<OboError> {
  const error: unknown = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  )
  expect(error).toBeInstanceOf(OboError)
  expect((error as Error).message).not.toContain(emu.defaults.middleTier.clientSecret)
  return error as OboError
}

function tokenRequests() {
  return emu.requests.filter((request) => request.endpoint === 'token')
}

describe('OBO against the emulator', () => {
  it('exchanges with a client secret (instance discovery on first use)', async () => {
    clearAuthorityValidationMemo()
    const result = await exchangeFor(engine())
    await exchangeFor(engine())
    const claims = decodeJwt(result.accessToken)
    expect(claims.aud).toBe(emu.defaults.downstream.clientId)
    expect(claims['azp'] ?? claims['appid']).toBe(emu.defaults.middleTier.clientId)
    expect(result.tokenType).toBe('Bearer')
    expect(result.scopes.length).toBeGreaterThan(0)
    expect(result.expiresAt).toBeGreaterThan(Date.now() + 60_000)
    // The emulator's host is not a known Entra host, so it was checked, once for both engines.
    expect(emu.requests.map((request) => request.endpoint)).toEqual(['instance-discovery', 'token', 'token'])
    expect(tokenRequests()[0]?.form).toMatchObject({
      grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
      requested_token_use: 'on_behalf_of',
      client_info: '1',
    })
  })

  it('exchanges with the PEM certificate (PS256 + x5t#S256)', async () => {
    const { privateKeyPem, certificatePem } = emu.defaults.middleTier
    const result = await exchangeFor(engine({ kind: 'certificate', certificate: privateKeyPem + certificatePem }))
    expect(result.accessToken).toBeTruthy()
    const header = decodeProtectedHeader(tokenRequests()[0]?.form['client_assertion'] ?? '')
    expect(header.alg).toBe('PS256')
    expect(header['x5t#S256']).toBeDefined()
  })

  it('exchanges with the certificate signing RS256 + x5t', async () => {
    const { privateKeyPem, certificatePem } = emu.defaults.middleTier
    await exchangeFor(
      engine({ kind: 'certificate', certificate: certificatePem + privateKeyPem }, { signingAlgorithm: 'RS256' }),
    )
    expect(decodeProtectedHeader(tokenRequests()[0]?.form['client_assertion'] ?? '').alg).toBe('RS256')
  })

  it('exchanges with the PKCS#12 certificate and its password', async () => {
    const { pkcs12, pkcs12Password } = emu.defaults.middleTier
    expect(
      (await exchangeFor(engine({ kind: 'certificate', certificate: pkcs12, password: pkcs12Password }))).accessToken,
    ).toBeTruthy()
  })

  it('exchanges with the registered key re-encoded by openssl: encrypted PKCS#8, encrypted PKCS#1, legacy and modern PKCS#12', async () => {
    const { privateKeyPem, certificatePem } = emu.defaults.middleTier
    const dir = mkdtempSync(join(tmpdir(), 'onbehalf-jose-emu-'))
    const openssl = (...args: string[]): void => {
      execFileSync('/usr/bin/openssl', args, { cwd: dir, stdio: 'ignore' })
    }
    try {
      writeFileSync(join(dir, 'key.pem'), privateKeyPem)
      writeFileSync(join(dir, 'cert.pem'), certificatePem)
      openssl(
        'pkcs8',
        '-topk8',
        '-in',
        'key.pem',
        '-v2',
        'aes-256-cbc',
        '-passout',
        'pass:émulateur',
        '-out',
        'enc8.pem',
      )
      openssl('rsa', '-in', 'key.pem', '-aes256', '-traditional', '-passout', 'pass:émulateur', '-out', 'enc1.pem')
      openssl(
        'pkcs12',
        '-export',
        '-legacy',
        '-inkey',
        'key.pem',
        '-in',
        'cert.pem',
        '-passout',
        'pass:émulateur',
        '-out',
        'legacy.p12',
      )
      openssl(
        'pkcs12',
        '-export',
        '-inkey',
        'key.pem',
        '-in',
        'cert.pem',
        '-passout',
        'pass:émulateur',
        '-out',
        'modern.p12',
      )
      const inputs = [
        readFileSync(join(dir, 'enc8.pem'), 'utf8') + certificatePem,
        new TextEncoder().encode(readFileSync(join(dir, 'enc1.pem'), 'utf8') + certificatePem),
        new Uint8Array(readFileSync(join(dir, 'legacy.p12'))),
        new Uint8Array(readFileSync(join(dir, 'modern.p12'))),
      ]
      for (const certificate of inputs) {
        expect(
          (await exchangeFor(engine({ kind: 'certificate', certificate, password: 'émulateur' }))).accessToken,
        ).toBeTruthy()
      }
      expect(tokenRequests().map((request) => request.status)).toEqual([200, 200, 200, 200])
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('sends the x5c chain with sendCertificateChain, and Entra still accepts it', async () => {
    const { privateKeyPem, certificatePem } = emu.defaults.middleTier
    await exchangeFor(
      engine({ kind: 'certificate', certificate: privateKeyPem + certificatePem, sendCertificateChain: true }),
    )
    const header = decodeProtectedHeader(tokenRequests()[0]?.form['client_assertion'] ?? '')
    const der = certificatePem.replace(/-----[^-]+-----|\s/g, '')
    expect(header.x5c).toEqual([der])
  })

  it('exchanges with an assertion callback, called once per token request', async () => {
    const signer = engine({
      kind: 'certificate',
      certificate: emu.defaults.middleTier.pkcs12,
      password: emu.defaults.middleTier.pkcs12Password,
    })
    // The callback stands for a federated credential: here it borrows a real signed assertion.
    await exchangeFor(signer)
    const assertion = tokenRequests()[0]?.form['client_assertion'] ?? ''
    emu.clearRequests()
    let calls = 0
    const viaCallback = engine({
      kind: 'assertion',
      getAssertion: () => {
        calls++
        return assertion
      },
    })
    await exchangeFor(viaCallback)
    await exchangeFor(viaCallback)
    expect(calls).toBe(2)
    expect(tokenRequests().map((request) => request.form['client_assertion'])).toEqual([assertion, assertion])
  })

  it('signs one RSA assertion for many token requests (misses)', async () => {
    const certificateEngine = engine({
      kind: 'certificate',
      certificate: emu.defaults.middleTier.pkcs12,
      password: emu.defaults.middleTier.pkcs12Password,
    })
    const users = [emu.defaults.users.plain, emu.addUser(), emu.addUser(), emu.addUser()]
    await Promise.all(
      users.flatMap((user) => [
        exchangeFor(certificateEngine, userToken(user)),
        exchangeFor(certificateEngine, userToken(user)),
      ]),
    )
    const requests = tokenRequests()
    expect(requests).toHaveLength(8)
    expect(requests.every((request) => request.status === 200)).toBe(true)
    expect(new Set(requests.map((request) => request.form['client_assertion'])).size).toBe(1)
  })

  it('redeems the refresh token of an exchange that asked for offline_access', async () => {
    const target = engine()
    const first = await target.exchange({
      tenantId: emu.tenantId,
      userAssertion: userToken(),
      scopes: [emu.defaults.downstream.scopes[0] ?? '', 'offline_access'],
    })
    expect(first.refreshToken).toBeDefined()
    const refreshed = await target.redeemRefreshToken({
      tenantId: emu.tenantId,
      refreshToken: first.refreshToken ?? '',
      scopes: [emu.defaults.downstream.scopes[0] ?? ''],
    })
    expect(refreshed.accessToken).not.toBe(first.accessToken)
    expect(decodeJwt(refreshed.accessToken).aud).toBe(emu.defaults.downstream.clientId)
    expect(tokenRequests().at(-1)?.form['grant_type']).toBe('refresh_token')
  })

  it('passes a CAE claims request and gets a CAE token', async () => {
    const claims = '{"access_token":{"xms_cc":{"values":["cp1"]}}}'
    const result = await exchangeFor(engine(), userToken(), { claims })
    expect(tokenRequests()[0]?.form['claims']).toBe(claims)
    expect(decodeJwt(result.accessToken)['xms_cc']).toEqual(['cp1'])
  })
})

describe('Entra errors from the emulator', () => {
  it('MFA required: INTERACTION_REQUIRED with the claims challenge and suberror', async () => {
    const error = await failure(exchangeFor(engine(), userToken(emu.defaults.users.mfa)))
    expect(error).toBeInstanceOf(OAuthError)
    const oauth = error as OAuthError
    expect(oauth.code).toBe('INTERACTION_REQUIRED')
    expect(oauth.errorCodes).toContain(50076)
    expect(oauth.claims).toBe(emu.mfaClaimsChallenge)
    expect(oauth.toWwwAuthenticate()).toMatch(/^Bearer error="insufficient_claims", claims="/)
    expect(oauth.traceId).toBeTruthy()
    expect(oauth.correlationId).toBeTruthy()
    expect(oauth.timestamp).toBeTruthy()
  })

  it('consent missing: INTERACTION_REQUIRED (65001, suberror consent_required)', async () => {
    const oauth = (await failure(exchangeFor(engine(), userToken(emu.defaults.users.consentMissing)))) as OAuthError
    expect(oauth.code).toBe('INTERACTION_REQUIRED')
    expect(oauth.errorCodes).toContain(65001)
    expect(oauth.suberror).toBe('consent_required')
  })

  it.each([
    [
      'an expired user token',
      () => userToken(emu.defaults.users.plain, { lifetimeSeconds: -60 }),
      'INVALID_GRANT',
      500133,
    ],
    [
      'a token for another audience',
      () => userToken(emu.defaults.users.plain, { audience: emu.defaults.downstream.clientId }),
      'INVALID_GRANT',
      500131,
    ],
    ['an app-only token', () => emu.issueUserToken({ appOnly: true }), 'INVALID_GRANT', 7000114],
    ['a disabled user', () => userToken(emu.defaults.users.disabled), 'INVALID_GRANT', 50057],
    ['a tampered token', () => userToken().slice(0, -4) + 'AAAA', 'INVALID_GRANT', 50013],
  ])('%s: %s (AADSTS%i), not retried', async (_name, makeAssertion, code, aadsts) => {
    const oauth = (await failure(exchangeFor(engine(), makeAssertion()))) as OAuthError
    expect(oauth.code).toBe(code)
    expect(oauth.errorCodes).toContain(aadsts)
    expect(oauth.status).toBe(400)
    expect(tokenRequests()).toHaveLength(1)
  })

  it('a wrong secret: INVALID_CLIENT (7000215, 401), not retried', async () => {
    const oauth = (await failure(exchangeFor(engine({ kind: 'secret', secret: 'wrong-secret-value' })))) as OAuthError
    expect(oauth.code).toBe('INVALID_CLIENT')
    expect(oauth.status).toBe(401)
    expect(oauth.errorCodes).toContain(7000215)
    expect(oauth.message).not.toContain('wrong-secret-value')
    expect(tokenRequests()).toHaveLength(1)
  })

  it('an unregistered certificate: INVALID_CLIENT (700027)', async () => {
    const other = await startEmulator()
    try {
      const { privateKeyPem, certificatePem } = other.defaults.middleTier
      const oauth = (await failure(
        exchangeFor(engine({ kind: 'certificate', certificate: privateKeyPem + certificatePem })),
      )) as OAuthError
      expect(oauth.code).toBe('INVALID_CLIENT')
      expect(oauth.errorCodes).toContain(700027)
    } finally {
      await other.close()
    }
  })

  it('an unknown client: INVALID_CLIENT (700016)', async () => {
    const unknown = createJoseEngine()({
      clientId: '99999999-9999-9999-9999-999999999999',
      credential: { kind: 'secret', secret: 'x' },
      authorityHost: emu.authorityHost,
      fetch: emu.fetch,
    })
    const oauth = (await failure(exchangeFor(unknown))) as OAuthError
    expect(oauth.code).toBe('INVALID_CLIENT')
    expect(oauth.errorCodes).toContain(700016)
  })

  it('an unknown resource: OAUTH_ERROR (invalid_resource, 500011)', async () => {
    const target = engine()
    const oauth = (await failure(
      target.exchange({ tenantId: emu.tenantId, userAssertion: userToken(), scopes: ['api://nothing-here/.default'] }),
    )) as OAuthError
    expect(oauth.code).toBe('OAUTH_ERROR')
    expect(oauth.error).toBe('invalid_resource')
    expect(oauth.errorCodes).toContain(500011)
    expect(oauth.status).toBe(400)
  })

  it('an unknown scope of a known resource: INVALID_SCOPE (70011)', async () => {
    const target = engine()
    const oauth = (await failure(
      target.exchange({
        tenantId: emu.tenantId,
        userAssertion: userToken(),
        scopes: [`${emu.defaults.downstream.appIdUri}/Nope.Nothing`],
      }),
    )) as OAuthError
    expect(oauth.code).toBe('INVALID_SCOPE')
    expect(oauth.errorCodes).toContain(70011)
  })

  it('scopes of two resources: INVALID_SCOPE (700022)', async () => {
    const target = engine()
    const oauth = (await failure(
      target.exchange({
        tenantId: emu.tenantId,
        userAssertion: userToken(),
        scopes: [emu.defaults.downstream.scopes[0] ?? '', emu.defaults.graph.scopes[0] ?? ''],
      }),
    )) as OAuthError
    expect(oauth.code).toBe('INVALID_SCOPE')
    expect(oauth.errorCodes).toContain(700022)
  })

  it('an unknown tenant: an OAuth error (90002), not retried', async () => {
    const oauth = (await failure(
      engine().exchange({
        tenantId: 'nowhere.onmicrosoft.com',
        userAssertion: userToken(),
        scopes: [emu.defaults.downstream.defaultScope],
      }),
    )) as OAuthError
    expect(oauth).toBeInstanceOf(OAuthError)
    expect(oauth.errorCodes).toContain(90002)
    expect(tokenRequests()).toHaveLength(1)
  })

  it('an invalid refresh token: INVALID_GRANT', async () => {
    const oauth = (await failure(
      engine().redeemRefreshToken({
        tenantId: emu.tenantId,
        refreshToken: 'not-a-refresh-token',
        scopes: [emu.defaults.downstream.defaultScope],
      }),
    )) as OAuthError
    expect(oauth.code).toBe('INVALID_GRANT')
  })
})

describe('faults from the emulator', () => {
  it.each([500, 503])('retries a %i and succeeds', async (status) => {
    emu.faults.inject({ kind: 'server-error', status, times: 2 })
    expect((await exchangeFor(engine())).accessToken).toBeTruthy()
    expect(tokenRequests().map((request) => request.status)).toEqual([status, status, 200])
  })

  it('gives up on a persistent 503 with SERVER_ERROR after 3 attempts', async () => {
    emu.faults.inject({ kind: 'server-error', status: 503 })
    const oauth = (await failure(exchangeFor(engine()))) as OAuthError
    expect(oauth.code).toBe('SERVER_ERROR')
    expect(oauth.status).toBe(503)
    expect(tokenRequests()).toHaveLength(3)
  })

  it('honours Retry-After on a 429, then succeeds', async () => {
    emu.faults.inject({ kind: 'throttle', retryAfterSeconds: 1, times: 1 })
    const started = Date.now()
    expect((await exchangeFor(engine())).accessToken).toBeTruthy()
    expect(Date.now() - started).toBeGreaterThanOrEqual(950)
    expect(tokenRequests().map((request) => request.status)).toEqual([429, 200])
  })

  it('fails fast with THROTTLED when Retry-After is beyond the deadline', async () => {
    emu.faults.inject({ kind: 'throttle', retryAfterSeconds: 60, body: 'text' })
    const started = Date.now()
    const error = (await failure(exchangeFor(engine(undefined, { timeoutMs: 5_000 })))) as OAuthError
    expect(error.code).toBe('THROTTLED')
    expect(error.retryAfterMs).toBe(60_000)
    expect(Date.now() - started).toBeLessThan(2_000)
    expect(tokenRequests()).toHaveLength(1)
  })

  it('retries a dropped connection', async () => {
    emu.faults.inject({ kind: 'drop', times: 1 })
    expect((await exchangeFor(engine())).accessToken).toBeTruthy()
    expect(tokenRequests().map((request) => request.status)).toEqual([0, 200])
  })

  it('fails with NETWORK_ERROR when every connection drops', async () => {
    emu.faults.inject({ kind: 'drop' })
    expect((await failure(exchangeFor(engine()))).code).toBe('NETWORK_ERROR')
    expect(tokenRequests()).toHaveLength(3)
  })

  it('refuses a non-JSON 200 with INVALID_RESPONSE, not retried', async () => {
    emu.faults.inject({ kind: 'malformed', status: 200, body: '<html>oops</html>', contentType: 'text/html' })
    const error = await failure(exchangeFor(engine()))
    expect(error.code).toBe('INVALID_RESPONSE')
    expect(tokenRequests()).toHaveLength(1)
  })

  it('maps an injected Entra error with its fields', async () => {
    emu.faults.inject({
      kind: 'error',
      status: 400,
      error: 'invalid_grant',
      errorCode: 50173,
      message: 'The provided grant has expired due to it being revoked.',
      times: 1,
    })
    const oauth = (await failure(exchangeFor(engine()))) as OAuthError
    expect(oauth.code).toBe('INVALID_GRANT')
    expect(oauth.errorCodes).toEqual([50173])
    expect(oauth.errorDescription).toContain('AADSTS50173')
  })

  it('ends with TIMEOUT when the emulator is too slow', async () => {
    emu.faults.inject({ kind: 'latency', latencyMs: 3_000, times: 1 })
    const started = Date.now()
    expect((await failure(exchangeFor(engine(undefined, { timeoutMs: 500 })))).code).toBe('TIMEOUT')
    expect(Date.now() - started).toBeLessThan(2_000)
  })

  it('ends with ABORTED when the caller aborts a slow request', async () => {
    emu.faults.inject({ kind: 'latency', latencyMs: 3_000, times: 1 })
    const controller = new AbortController()
    setTimeout(() => controller.abort(), 200)
    const started = Date.now()
    expect((await failure(exchangeFor(engine(), userToken(), { signal: controller.signal }))).code).toBe('ABORTED')
    expect(Date.now() - started).toBeLessThan(1_500)
  })
})
