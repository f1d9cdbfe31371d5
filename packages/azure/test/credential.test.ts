/**
 * OnBehalfOfCredential against the local Entra emulator over HTTPS with the default (jose) engine: both
 * constructor shapes, every client credential, argument errors, tenants, CAE, claims, Entra's errors, abort,
 * close, refresh tokens, and the seed's (Python) test list where it applies.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createMemoryTokenCache, OAuthError, type EngineFactory } from '@onbehalf/core'
import { startEmulator, type EntraEmulator, type RecordedRequest } from '@onbehalf/entra-emulator'
import { createJoseEngine } from '@onbehalf/jose'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import {
  AuthenticationError,
  AzureAuthorityHosts,
  CredentialUnavailableError,
  OnBehalfOfCredential,
  type OnBehalfOfCredentialOptions,
} from '../src/index.ts'
import { decodeJwtPart, encryptedPem, signClientAssertion } from './helpers.ts'

let emu: EntraEmulator
let dir: string
let scope: string
beforeAll(async () => {
  // recordSecrets: a test checks the assertion sent as received.
  emu = await startEmulator({ recordSecrets: true })
  scope = emu.defaults.downstream.defaultScope
  dir = mkdtempSync(join(tmpdir(), 'onbehalf-azure-'))
}, 60_000)
afterAll(async () => {
  await emu.close()
  rmSync(dir, { recursive: true, force: true })
})
beforeEach(() => {
  emu.clearRequests()
  emu.faults.clear()
})
afterEach(() => {
  vi.unstubAllEnvs()
})

const mt = (): EntraEmulator['defaults']['middleTier'] => emu.defaults.middleTier
const users = (): EntraEmulator['defaults']['users'] => emu.defaults.users
const tokenRequests = (): RecordedRequest[] => emu.requests.filter((request) => request.endpoint === 'token')
const assertionFor = (user = users().plain, extra: { mfa?: boolean; lifetimeSeconds?: number } = {}): string =>
  emu.issueUserToken({ user, ...extra })

type Extra = { [K in keyof OnBehalfOfCredentialOptions]?: OnBehalfOfCredentialOptions[K] | undefined }

/** Options against the emulator with a fresh cache, so every test starts cold (`undefined` removes a default). */
function options(extra: Extra = {}): OnBehalfOfCredentialOptions {
  return {
    userAssertion: assertionFor(),
    clientSecret: mt().clientSecret,
    authority: emu.authorityHost,
    fetch: emu.fetch,
    cache: createMemoryTokenCache(),
    ...extra,
  } as OnBehalfOfCredentialOptions
}

function credential(extra: Extra = {}): OnBehalfOfCredential {
  return new OnBehalfOfCredential(emu.tenantId, mt().clientId, options(extra))
}

async function failure(promise: Promise<unknown>): Promise<Error & { code?: string }> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  )
  expect(error).toBeInstanceOf(Error)
  return error as Error & { code?: string }
}

describe('client credentials (seed shape)', () => {
  it('exchanges the user assertion with a client secret', async () => {
    const userAssertion = assertionFor()
    const token = await credential({ userAssertion }).getToken(scope)
    expect(token.tokenType).toBe('Bearer')
    expect(token.expiresOnTimestamp).toBeGreaterThan(Date.now() + 3_000_000)
    const claims = decodeJwtPart(token.token, 1)
    expect(claims).toMatchObject({ aud: emu.defaults.downstream.clientId, oid: users().plain.oid, tid: emu.tenantId })
    const [request] = tokenRequests()
    expect(request?.path).toBe(`/${emu.tenantId}/oauth2/v2.0/token`)
    expect(request?.form).toMatchObject({
      grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
      requested_token_use: 'on_behalf_of',
      assertion: userAssertion,
      client_id: mt().clientId,
      client_secret: mt().clientSecret,
      scope,
    })
  })

  it('signs a PS256 client assertion with x5t#S256 from a PEM string', async () => {
    await credential({
      clientSecret: undefined,
      clientCertificate: `${mt().privateKeyPem}\n${mt().certificatePem}`,
    }).getToken(scope)
    const form = tokenRequests()[0]?.form ?? {}
    expect(form['client_secret']).toBeUndefined()
    expect(form['client_assertion_type']).toBe('urn:ietf:params:oauth:client-assertion-type:jwt-bearer')
    const header = decodeJwtPart(form['client_assertion'] ?? '', 0)
    expect(header).toMatchObject({ alg: 'PS256' })
    expect(header['x5t#S256']).toEqual(expect.any(String))
    expect(header['x5c']).toBeUndefined()
  })

  it('sends the x5c chain for PEM bytes with sendCertificateChain', async () => {
    const pem = new TextEncoder().encode(`${mt().certificatePem}\n${mt().privateKeyPem}`)
    await credential({ clientSecret: undefined, clientCertificate: pem, sendCertificateChain: true }).getToken(scope)
    const header = decodeJwtPart(tokenRequests()[0]?.form['client_assertion'] ?? '', 0)
    expect(header['x5c']).toEqual([expect.any(String)])
  })

  it('reads PKCS#12 bytes with their password, and an encrypted PEM key with its password (string or bytes)', async () => {
    await credential({
      clientSecret: undefined,
      clientCertificate: mt().pkcs12,
      password: mt().pkcs12Password,
    }).getToken(scope)
    const pem = encryptedPem(mt().privateKeyPem, mt().certificatePem, 'pässword')
    await credential({ clientSecret: undefined, clientCertificate: pem, password: 'pässword' }).getToken(scope)
    await credential({
      clientSecret: undefined,
      clientCertificate: pem,
      password: new TextEncoder().encode('pässword'),
    }).getToken(scope)
    expect(tokenRequests().map((request) => request.status)).toEqual([200, 200, 200])
  })

  it('reads clientCertificatePath (PKCS#12 with password, PEM)', async () => {
    const pfxPath = join(dir, 'middle-tier.pfx')
    const pemPath = join(dir, 'middle-tier.pem')
    writeFileSync(pfxPath, mt().pkcs12)
    writeFileSync(pemPath, `${mt().privateKeyPem}\n${mt().certificatePem}`)
    await credential({
      clientSecret: undefined,
      clientCertificatePath: pfxPath,
      password: mt().pkcs12Password,
    }).getToken(scope)
    await credential({ clientSecret: undefined, clientCertificatePath: pemPath }).getToken(scope)
    expect(tokenRequests().map((request) => request.form['client_assertion'] !== undefined)).toEqual([true, true])
  })

  it('calls getClientAssertion once per token request, never for a cached token', async () => {
    const userAssertion = assertionFor()
    const getClientAssertion = vi.fn(() =>
      signClientAssertion({
        clientId: mt().clientId,
        tokenEndpoint: emu.tokenEndpoint(),
        privateKeyPem: mt().privateKeyPem,
        certificatePem: mt().certificatePem,
      }),
    )
    const cache = createMemoryTokenCache()
    const first = await credential({ clientSecret: undefined, getClientAssertion, userAssertion, cache }).getToken(
      scope,
    )
    expect(getClientAssertion).toHaveBeenCalledTimes(1)
    const form = tokenRequests()[0]?.form ?? {}
    expect(form['client_assertion']).toBe(getClientAssertion.mock.results[0]?.value)
    expect(form['client_assertion_type']).toBe('urn:ietf:params:oauth:client-assertion-type:jwt-bearer')
    expect(form['assertion']).toBe(userAssertion)
    const second = await credential({ clientSecret: undefined, getClientAssertion, userAssertion, cache }).getToken(
      scope,
    )
    expect(second.token).toBe(first.token)
    expect(getClientAssertion).toHaveBeenCalledTimes(1)
  })
})

describe('the @azure/identity constructor shape', () => {
  it('accepts tenantId, clientId, userAssertionToken, clientSecret and authorityHost', async () => {
    const userAssertionToken = assertionFor()
    const cred = new OnBehalfOfCredential({
      tenantId: emu.tenantId,
      clientId: mt().clientId,
      userAssertionToken,
      clientSecret: mt().clientSecret,
      authorityHost: emu.authorityHost,
      fetch: emu.fetch,
      cache: createMemoryTokenCache(),
    })
    await cred.getToken([scope])
    expect(tokenRequests()[0]?.form['assertion']).toBe(userAssertionToken)
  })

  it('accepts certificatePath and getAssertion', async () => {
    const pemPath = join(dir, 'identity-shape.pem')
    writeFileSync(pemPath, `${mt().privateKeyPem}\n${mt().certificatePem}`)
    const common = {
      tenantId: emu.tenantId,
      clientId: mt().clientId,
      authorityHost: emu.authorityHost,
      fetch: emu.fetch,
    }
    await new OnBehalfOfCredential({
      ...common,
      userAssertionToken: assertionFor(),
      certificatePath: pemPath,
      cache: createMemoryTokenCache(),
    }).getToken(scope)
    const getAssertion = (): Promise<string> =>
      Promise.resolve(
        signClientAssertion({
          clientId: mt().clientId,
          tokenEndpoint: emu.tokenEndpoint(),
          privateKeyPem: mt().privateKeyPem,
          certificatePem: mt().certificatePem,
        }),
      )
    await new OnBehalfOfCredential({
      ...common,
      userAssertionToken: assertionFor(),
      getAssertion,
      cache: createMemoryTokenCache(),
    }).getToken(scope)
    expect(tokenRequests().map((request) => request.status)).toEqual([200, 200])
  })
})

describe('argument errors', () => {
  it.each([
    [
      'bytes that are neither PEM nor PKCS#12',
      (): Extra => ({ clientCertificate: new TextEncoder().encode('not a cert') }),
    ],
    ['a PEM string without its -----BEGIN marker', (): Extra => ({ clientCertificate: 'not a cert' })],
    ['a certificate without its private key', (): Extra => ({ clientCertificate: mt().certificatePem })],
    ['PKCS#12 with the wrong password', (): Extra => ({ clientCertificate: mt().pkcs12, password: 'wrong' })],
    ['PKCS#12 without its password', (): Extra => ({ clientCertificate: mt().pkcs12 })],
    [
      'an encrypted PEM key with the wrong password',
      (): Extra => ({
        clientCertificate: encryptedPem(mt().privateKeyPem, mt().certificatePem, 'right'),
        password: 'wrong',
      }),
    ],
  ])('rejects %s with a TypeError naming clientCertificate', (_label, certificate) => {
    const run = (): unknown => credential({ clientSecret: undefined, ...certificate() })
    expect(run).toThrow(TypeError)
    expect(run).toThrow(/"clientCertificate" is not a valid certificate in PEM or PKCS12 format/)
  })

  it('never puts the password or the key in the message', () => {
    const error = (() => {
      try {
        credential({ clientSecret: undefined, clientCertificate: mt().pkcs12, password: 'wrong-password-value' })
      } catch (caught) {
        return caught as Error
      }
      return undefined
    })()
    // It must throw: without this, an undefined error would make the checks below vacuous.
    expect(error).toBeInstanceOf(TypeError)
    expect(error?.message).not.toContain('wrong-password-value')
    expect(error?.message).not.toContain('PRIVATE KEY')
  })

  it('an unreadable certificate file makes the credential unavailable at getToken', async () => {
    const cred = credential({ clientSecret: undefined, clientCertificatePath: join(dir, 'missing.pem') })
    const error = await failure(cred.getToken(scope))
    expect(error).toBeInstanceOf(CredentialUnavailableError)
    expect(error).toMatchObject({ name: 'CredentialUnavailableError', code: 'INVALID_CERTIFICATE' })
    expect(error.message).toContain('clientCertificatePath')
    expect(tokenRequests()).toHaveLength(0)
  })

  it('a certificate file that is not a certificate makes the credential unavailable at getToken', async () => {
    const path = join(dir, 'garbage.pem')
    writeFileSync(path, 'not a certificate')
    await expect(
      credential({ clientSecret: undefined, clientCertificatePath: path }).getToken(scope),
    ).rejects.toMatchObject({
      name: 'CredentialUnavailableError',
      code: 'INVALID_CERTIFICATE',
    })
  })

  it('an empty client assertion makes the credential unavailable, with no token request', async () => {
    const cred = credential({ clientSecret: undefined, getClientAssertion: () => '' })
    await expect(cred.getToken(scope)).rejects.toMatchObject({
      name: 'CredentialUnavailableError',
      code: 'CLIENT_ASSERTION_FAILED',
    })
    expect(tokenRequests()).toHaveLength(0)
  })

  it('getToken without a scope throws a TypeError', async () => {
    await expect(credential().getToken([])).rejects.toThrow(TypeError)
  })

  it('the authority comes from AZURE_AUTHORITY_HOST when not given', async () => {
    vi.stubEnv('AZURE_AUTHORITY_HOST', emu.authorityHost)
    const { authority: _omitted, ...rest } = options()
    await new OnBehalfOfCredential(emu.tenantId, mt().clientId, rest).getToken(scope)
    expect(tokenRequests()).toHaveLength(1)
    expect(AzureAuthorityHosts.AzurePublicCloud).toBe('https://login.microsoftonline.com')
  })
})

describe('tenants', () => {
  it('multi-tenant: the default and the configured tenant share one entry; another allowed tenant gets its own request', async () => {
    const other = emu.addTenant({ domain: 'fabrikam.onmicrosoft.com' })
    const cred = credential({ additionallyAllowedTenants: ['*'] })
    const first = await cred.getToken(scope)
    await cred.getToken(scope, { tenantId: emu.tenantId })
    expect(tokenRequests()).toHaveLength(1)
    // The emulator, like Entra, refuses tenant A's user assertion in tenant B: what matters is that tenant
    // A's cached token is not served for B.
    const error = await failure(cred.getToken(scope, { tenantId: other.id }))
    expect(error).toBeInstanceOf(AuthenticationError)
    expect(tokenRequests()).toHaveLength(2)
    expect(tokenRequests()[1]?.tenant).toBe(other.id)
    expect((await cred.getToken(scope)).token).toBe(first.token)
    expect(tokenRequests()).toHaveLength(2)
  })

  it('refuses a tenant that is not allowed, naming both remedies, with no request', async () => {
    const error = await failure(credential().getToken(scope, { tenantId: 'fabrikam.onmicrosoft.com' }))
    expect(error).toBeInstanceOf(AuthenticationError)
    expect(error).toMatchObject({ code: 'TENANT_NOT_ALLOWED' })
    expect(error.message).toMatch(/additionallyAllowedTenants.*"\*"/)
    expect(tokenRequests()).toHaveLength(0)
  })

  it('AZURE_IDENTITY_DISABLE_MULTITENANTAUTH sends the request to the configured tenant', async () => {
    vi.stubEnv('AZURE_IDENTITY_DISABLE_MULTITENANTAUTH', 'true')
    await credential().getToken(scope, { tenantId: 'fabrikam.onmicrosoft.com' })
    expect(tokenRequests()[0]?.tenant).toBe(emu.tenantId)
  })
})

describe('CAE and claims', () => {
  it('enableCae declares cp1; CAE and non-CAE tokens have separate cache entries', async () => {
    const cache = createMemoryTokenCache()
    const userAssertion = assertionFor()
    const plain = await credential({ cache, userAssertion }).getToken(scope)
    const cae = await credential({ cache, userAssertion }).getToken(scope, { enableCae: true })
    expect(decodeJwtPart(plain.token, 1)['xms_cc']).toBeUndefined()
    expect(decodeJwtPart(cae.token, 1)['xms_cc']).toEqual(['cp1'])
    expect(JSON.parse(tokenRequests()[1]?.form['claims'] ?? '{}')).toEqual({
      access_token: { xms_cc: { values: ['cp1'] } },
    })
    expect((await credential({ cache, userAssertion }).getToken(scope, { enableCae: true })).token).toBe(cae.token)
    expect((await credential({ cache, userAssertion }).getToken(scope)).token).toBe(plain.token)
    expect(tokenRequests()).toHaveLength(2)
  })

  it('claims bypass the cache and are sent', async () => {
    const cred = credential()
    await cred.getToken(scope)
    const claims = '{"access_token":{"nbf":{"essential":true,"value":"1604106651"}}}'
    await cred.getToken(scope, { claims })
    expect(tokenRequests()).toHaveLength(2)
    expect(tokenRequests()[1]?.form['claims']).toBe(claims)
  })
})

describe("Entra's errors", () => {
  it('MFA required: AuthenticationError with the claims challenge and a WWW-Authenticate rendering; MFA done: a token', async () => {
    const error = (await failure(
      credential({ userAssertion: assertionFor(users().mfa) }).getToken(scope),
    )) as AuthenticationError
    expect(error).toBeInstanceOf(AuthenticationError)
    expect(error).toMatchObject({ name: 'AuthenticationError', code: 'INTERACTION_REQUIRED', statusCode: 400 })
    expect(error.errorResponse.error).toBe('interaction_required')
    expect(error.errorResponse.errorCodes).toContain(50076)
    expect(error.errorResponse.traceId).toEqual(expect.any(String))
    expect(error.errorResponse.correlationId).toEqual(expect.any(String))
    expect(error.errorResponse.timestamp).toEqual(expect.any(String))
    expect(error.claims).toBe(emu.mfaClaimsChallenge)
    expect(error.cause).toBeInstanceOf(OAuthError)
    expect(error.toWwwAuthenticate()).toBe(
      `Bearer error="insufficient_claims", claims="${Buffer.from(emu.mfaClaimsChallenge).toString('base64')}"`,
    )
    await expect(
      credential({ userAssertion: assertionFor(users().mfa, { mfa: true }) }).getToken(scope),
    ).resolves.toMatchObject({
      tokenType: 'Bearer',
    })
  })

  it('consent missing: INTERACTION_REQUIRED with AADSTS65001 and a challenge header', async () => {
    const error = (await failure(
      credential({ userAssertion: assertionFor(users().consentMissing) }).getToken(scope),
    )) as AuthenticationError
    expect(error).toMatchObject({ name: 'AuthenticationError', code: 'INTERACTION_REQUIRED', statusCode: 400 })
    expect(error.errorResponse.errorCodes).toContain(65001)
    expect(error.toWwwAuthenticate()).toMatch(/^Bearer error="/)
  })

  it('an expired user assertion: INVALID_GRANT, and no secret or assertion in the message', async () => {
    const userAssertion = assertionFor(users().plain, { lifetimeSeconds: -60 })
    const error = (await failure(credential({ userAssertion }).getToken(scope))) as AuthenticationError
    expect(error).toMatchObject({ name: 'AuthenticationError', code: 'INVALID_GRANT', statusCode: 400 })
    expect(error.message).not.toContain(userAssertion)
    expect(error.message).not.toContain(mt().clientSecret)
  })

  it('a wrong client secret: INVALID_CLIENT with status 401', async () => {
    await expect(credential({ clientSecret: 'wrong-secret' }).getToken(scope)).rejects.toMatchObject({
      name: 'AuthenticationError',
      code: 'INVALID_CLIENT',
      statusCode: 401,
    })
  })

  it("one user's 429 does not fail another user", async () => {
    // No engine retries, so the 429 reaches the provider at once.
    const engine: EngineFactory = noRetryEngine
    const cache = createMemoryTokenCache()
    emu.faults.inject({ kind: 'throttle', retryAfterSeconds: 30, times: 1 })
    const throttled = assertionFor(users().plain)
    await expect(credential({ engine, cache, userAssertion: throttled }).getToken(scope)).rejects.toMatchObject({
      code: 'THROTTLED',
      statusCode: 429,
    })
    // The same user stays throttled without a request; another user is served.
    await expect(credential({ engine, cache, userAssertion: throttled }).getToken(scope)).rejects.toMatchObject({
      code: 'THROTTLED',
    })
    await expect(
      credential({ engine, cache, userAssertion: assertionFor(users().mfa, { mfa: true }) }).getToken(scope),
    ).resolves.toMatchObject({
      tokenType: 'Bearer',
    })
    expect(tokenRequests()).toHaveLength(2)
  })
})

const noRetryEngine: EngineFactory = (config) => createJoseEngine({ maxRetries: 0 })(config)

describe('abort and close', () => {
  it('honours abortSignal while Entra is slow', async () => {
    emu.faults.inject({ kind: 'latency', latencyMs: 3_000, times: 1 })
    const started = Date.now()
    const error = await failure(credential().getToken(scope, { abortSignal: AbortSignal.timeout(100) }))
    expect(error.name).toBe('AbortError')
    expect(Date.now() - started).toBeLessThan(2_000)
  })

  it('after close(), getToken fails with CredentialUnavailableError and sends nothing', async () => {
    const cred = credential()
    await cred.close()
    await expect(cred.getToken(scope)).rejects.toBeInstanceOf(CredentialUnavailableError)
    expect(tokenRequests()).toHaveLength(0)
  })
})

describe('refresh tokens (the seed async test_refresh_token)', () => {
  it('redeems the refresh token once the access token is due and the user assertion has expired', async () => {
    emu.setTokenLifetimes({ accessTokenSeconds: 302, refreshIn: 'off' })
    try {
      const cache = createMemoryTokenCache()
      const userAssertion = assertionFor(users().plain, { lifetimeSeconds: 2 })
      const scopes = [scope, 'offline_access']
      const first = await credential({ cache, userAssertion }).getToken(scopes)
      expect(tokenRequests()[0]?.form['refresh_token']).toBeUndefined()
      await new Promise((resolve) => setTimeout(resolve, 2_200))
      const second = await credential({ cache, userAssertion }).getToken(scopes)
      expect(second.token).not.toBe(first.token)
      expect(tokenRequests()).toHaveLength(2)
      expect(tokenRequests()[1]?.form).toMatchObject({ grant_type: 'refresh_token' })
      expect(tokenRequests()[1]?.form['refresh_token']).toEqual(expect.any(String))
    } finally {
      emu.setTokenLifetimes({ accessTokenSeconds: 3600, refreshIn: 'auto' })
    }
  })
})
