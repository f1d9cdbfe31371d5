import { ConfidentialClientApplication, InteractionRequiredAuthError, ServerError } from '@azure/msal-node'
import type { Configuration } from '@azure/msal-node'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startEmulator } from '../src/index.ts'
import type { EntraEmulator, MsalNetworkClient } from '../src/index.ts'
import { claimsOf } from './helpers.ts'

let emu: EntraEmulator

beforeAll(async () => {
  emu = await startEmulator()
})
afterAll(async () => {
  await emu.close()
})

type Credential =
  { clientSecret: string } | { clientCertificate: { thumbprintSha256: string; privateKey: string; x5c?: string } }

function app(
  credential: Credential,
  extra: Partial<Configuration['auth']> = {},
  networkClient: MsalNetworkClient = emu.networkClient,
): ConfidentialClientApplication {
  return new ConfidentialClientApplication({
    auth: {
      clientId: emu.defaults.middleTier.clientId,
      authority: emu.authority,
      knownAuthorities: [emu.host],
      ...credential,
      ...extra,
    },
    system: { networkClient },
  })
}

const secret = (): Credential => ({ clientSecret: emu.defaults.middleTier.clientSecret })
const certificate = (x5c = false): Credential => ({
  clientCertificate: {
    thumbprintSha256: emu.defaults.middleTier.thumbprintSha256Hex,
    privateKey: emu.defaults.middleTier.privateKeyPem,
    ...(x5c ? { x5c: emu.defaults.middleTier.certificatePem } : {}),
  },
})

describe('@azure/msal-node acquireTokenOnBehalfOf against the emulator', () => {
  it('completes OBO with a client secret', async () => {
    emu.clearRequests()
    const result = await app(secret()).acquireTokenOnBehalfOf({
      oboAssertion: emu.issueUserToken({ user: emu.defaults.users.plain }),
      scopes: [emu.defaults.downstream.scopes[0] ?? ''],
    })
    expect(result?.accessToken).toBeTruthy()
    expect(result?.tokenType).toBe('Bearer')
    expect(result?.account?.homeAccountId).toBe(`${emu.defaults.users.plain.oid}.${emu.tenantId}`)
    const at = claimsOf(result?.accessToken)
    expect(at['aud']).toBe(emu.defaults.downstream.clientId)
    expect(at['azpacr']).toBe('1')
    // MSAL fetched the OpenID configuration, then posted with its telemetry in the body.
    const token = emu.requests.find((r) => r.endpoint === 'token')
    expect(token?.form['requested_token_use']).toBe('on_behalf_of')
    expect(token?.form['client_info']).toBe('1')
    expect(emu.requests.some((r) => r.endpoint === 'openid-configuration')).toBe(true)
  })

  it('completes OBO with a certificate (PS256 + x5t#S256), with and without x5c', async () => {
    emu.clearRequests()
    for (const x5c of [false, true]) {
      const result = await app(certificate(x5c)).acquireTokenOnBehalfOf({
        oboAssertion: emu.issueUserToken({ user: emu.defaults.users.plain }),
        scopes: [emu.defaults.downstream.defaultScope],
      })
      expect(claimsOf(result?.accessToken)['azpacr']).toBe('2')
    }
    const tokenRequest = emu.requests.find((r) => r.endpoint === 'token')
    const header = JSON.parse(
      Buffer.from((tokenRequest?.form['client_assertion'] ?? '').split('.')[0] ?? '', 'base64url').toString(),
    ) as Record<string, unknown>
    expect(header['alg']).toBe('PS256')
    expect(header['x5t#S256']).toBe(emu.defaults.middleTier.app.certificate?.x5tS256)
  })

  it("answers /.default so that a second acquireTokenOnBehalfOf with the same assertion comes from MSAL's cache", async () => {
    const client = app(secret())
    const request = {
      oboAssertion: emu.issueUserToken({ user: emu.defaults.users.plain }),
      scopes: [emu.defaults.downstream.defaultScope],
    }
    emu.clearRequests()
    const first = await client.acquireTokenOnBehalfOf(request)
    const second = await client.acquireTokenOnBehalfOf(request)
    expect(first?.fromCache).toBe(false)
    expect(second?.fromCache).toBe(true)
    expect(second?.accessToken).toBe(first?.accessToken)
    expect(second?.scopes).toEqual(expect.arrayContaining([emu.defaults.downstream.defaultScope]))
    expect(emu.requests.filter((r) => r.endpoint === 'token')).toHaveLength(1)
  })

  it('sends the CAE capability and receives an xms_cc token', async () => {
    const cca = new ConfidentialClientApplication({
      auth: {
        clientId: emu.defaults.middleTier.clientId,
        authority: emu.authority,
        knownAuthorities: [emu.host],
        clientSecret: emu.defaults.middleTier.clientSecret,
        clientCapabilities: ['cp1'],
      },
      system: { networkClient: emu.networkClient },
    })
    const result = await cca.acquireTokenOnBehalfOf({
      oboAssertion: emu.issueUserToken({ user: emu.defaults.users.plain }),
      scopes: [emu.defaults.downstream.scopes[0] ?? ''],
    })
    expect(claimsOf(result?.accessToken)['xms_cc']).toEqual(['cp1'])
  })

  it("uses the emulator's instance discovery answer when MSAL discovers the authority", async () => {
    // MSAL always asks login.microsoftonline.com; route that one call to the emulator's endpoint.
    const discoveryPrefix = 'https://login.microsoftonline.com/common/discovery/instance'
    const rerouting: MsalNetworkClient = {
      sendGetRequestAsync: (url, options, timeout) =>
        emu.networkClient.sendGetRequestAsync(
          url.startsWith(discoveryPrefix)
            ? `${emu.authorityHost}/common/discovery/instance${url.slice(discoveryPrefix.length)}`
            : url,
          options,
          timeout,
        ),
      sendPostRequestAsync: (url, options) => emu.networkClient.sendPostRequestAsync(url, options),
    }
    emu.clearRequests()
    const cca = new ConfidentialClientApplication({
      auth: {
        clientId: emu.defaults.middleTier.clientId,
        authority: emu.authority,
        clientSecret: emu.defaults.middleTier.clientSecret,
      },
      system: { networkClient: rerouting },
    })
    const result = await cca.acquireTokenOnBehalfOf({
      oboAssertion: emu.issueUserToken({ user: emu.defaults.users.plain }),
      scopes: [emu.defaults.downstream.scopes[0] ?? ''],
    })
    expect(result?.accessToken).toBeTruthy()
    expect(emu.requests.map((r) => r.endpoint)).toContain('instance-discovery')
  })

  it('surfaces 50076 as InteractionRequiredAuthError with the claims challenge', async () => {
    const error: unknown = await app(secret())
      .acquireTokenOnBehalfOf({
        oboAssertion: emu.issueUserToken({ user: emu.defaults.users.mfa }),
        scopes: [emu.defaults.downstream.scopes[0] ?? ''],
      })
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(InteractionRequiredAuthError)
    const e = error as InteractionRequiredAuthError
    expect(e.errorCode).toBe('interaction_required')
    expect(e.subError).toBe('basic_action')
    expect(e.claims).toBe(emu.mfaClaimsChallenge)
    expect(String(e.errorNo)).toBe('50076')
    // After step-up, the same MSAL app completes with claims (which bypass its cache).
    const stepUp = emu.issueUserToken({ user: emu.defaults.users.mfa, claims: e.claims })
    const result = await app(secret()).acquireTokenOnBehalfOf({
      oboAssertion: stepUp,
      scopes: [emu.defaults.downstream.scopes[0] ?? ''],
      claims: e.claims,
    })
    expect(result?.accessToken).toBeTruthy()
  })

  it('surfaces 65001 consent_required as InteractionRequiredAuthError', async () => {
    const error: unknown = await app(secret())
      .acquireTokenOnBehalfOf({
        oboAssertion: emu.issueUserToken({ user: emu.defaults.users.consentMissing }),
        scopes: [emu.defaults.downstream.scopes[0] ?? ''],
      })
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(InteractionRequiredAuthError)
    expect((error as InteractionRequiredAuthError).subError).toBe('consent_required')
    expect(String((error as InteractionRequiredAuthError).errorNo)).toBe('65001')
  })

  it('surfaces a wrong secret as ServerError invalid_client 7000215', async () => {
    const error: unknown = await app({ clientSecret: 'wrong-secret' })
      .acquireTokenOnBehalfOf({
        oboAssertion: emu.issueUserToken({ user: emu.defaults.users.plain }),
        scopes: [emu.defaults.downstream.scopes[0] ?? ''],
      })
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ServerError)
    expect((error as ServerError).errorCode).toBe('invalid_client')
    expect(String((error as ServerError).errorNo)).toBe('7000215')
  })

  it('surfaces an expired assertion as 500133 and a wrong audience as 500131', async () => {
    const expired = emu.issueUserToken({
      user: emu.defaults.users.plain,
      issuedAt: Math.floor(Date.now() / 1000) - 7200,
    })
    const e1: unknown = await app(secret())
      .acquireTokenOnBehalfOf({ oboAssertion: expired, scopes: [emu.defaults.downstream.scopes[0] ?? ''] })
      .catch((e: unknown) => e)
    expect(String((e1 as ServerError).errorNo)).toBe('500133')
    const wrongAud = emu.issueUserToken({ user: emu.defaults.users.plain, audience: emu.defaults.downstream.clientId })
    const e2: unknown = await app(secret())
      .acquireTokenOnBehalfOf({ oboAssertion: wrongAud, scopes: [emu.defaults.downstream.scopes[0] ?? ''] })
      .catch((e: unknown) => e)
    expect(String((e2 as ServerError).errorNo)).toBe('500131')
    expect((e2 as ServerError).errorCode).toBe('invalid_grant')
  })
})
