/**
 * The wire request of the jose engine compared field by field with what @azure/msal-node sends for the same
 * exchange, both recorded by the emulator.
 */
import { ConfidentialClientApplication } from '@azure/msal-node'
import { startEmulator, type EntraEmulator } from '@onbehalf/entra-emulator'
import { decodeJwt, decodeProtectedHeader } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createJoseEngine } from '../src/index.ts'

let emu: EntraEmulator
beforeAll(async () => {
  // Compares the secrets and assertions both clients sent: the log keeps them only when asked.
  emu = await startEmulator({ recordSecrets: true })
}, 60_000)
afterAll(() => emu.close())

// Telemetry and correlation fields that msal-node adds and Entra does not need.
const msalOnly = new Set([
  'x-client-SKU',
  'x-client-VER',
  'x-client-OS',
  'x-client-CPU',
  'x-ms-lib-capability',
  'client-request-id',
  'x-app-name',
  'x-app-ver',
])

async function recordBoth(
  credential: 'secret' | 'certificate',
): Promise<{ msal: Record<string, string>; ours: Record<string, string>; msalPath: string; oursPath: string }> {
  const middleTier = emu.defaults.middleTier
  const userAssertion = emu.issueUserToken({ user: emu.defaults.users.plain })
  const scopes = [emu.defaults.downstream.scopes[0] ?? '']
  const msal = new ConfidentialClientApplication({
    auth: {
      clientId: middleTier.clientId,
      authority: emu.authority,
      knownAuthorities: [emu.host],
      ...(credential === 'secret'
        ? { clientSecret: middleTier.clientSecret }
        : {
            clientCertificate: {
              thumbprintSha256: middleTier.thumbprintSha256Hex,
              privateKey: middleTier.privateKeyPem,
            },
          }),
    },
    system: { networkClient: emu.networkClient },
  })
  emu.clearRequests()
  await msal.acquireTokenOnBehalfOf({ oboAssertion: userAssertion, scopes, skipCache: true })
  const msalRequest = emu.requests.find((request) => request.endpoint === 'token')
  emu.clearRequests()
  const engine = createJoseEngine()({
    clientId: middleTier.clientId,
    authorityHost: emu.authorityHost,
    fetch: emu.fetch,
    credential:
      credential === 'secret'
        ? { kind: 'secret', secret: middleTier.clientSecret }
        : { kind: 'certificate', certificate: middleTier.privateKeyPem + middleTier.certificatePem },
  })
  await engine.exchange({ tenantId: emu.tenantId, userAssertion, scopes })
  const ourRequest = emu.requests.find((request) => request.endpoint === 'token')
  expect(msalRequest?.status).toBe(200)
  expect(ourRequest?.status).toBe(200)
  return {
    msal: { ...msalRequest?.form },
    ours: { ...ourRequest?.form },
    msalPath: msalRequest?.path ?? '',
    oursPath: ourRequest?.path ?? '',
  }
}

describe('wire parity with msal-node', () => {
  it('sends the same OBO parameters with a secret', async () => {
    const { msal, ours, msalPath, oursPath } = await recordBoth('secret')
    expect(oursPath).toBe(msalPath)
    for (const name of [
      'grant_type',
      'requested_token_use',
      'client_id',
      'assertion',
      'client_secret',
      'client_info',
    ]) {
      expect([name, ours[name]]).toEqual([name, msal[name]])
    }
    // msal-node appends the OIDC scopes; the resource scope is the same.
    const msalScopes = (msal['scope'] ?? '').split(' ')
    for (const scope of (ours['scope'] ?? '').split(' ')) expect(msalScopes).toContain(scope)
    expect(msalScopes.filter((scope) => !['openid', 'profile', 'offline_access'].includes(scope))).toEqual(
      (ours['scope'] ?? '').split(' '),
    )
    // Nothing we send that msal-node does not.
    for (const name of Object.keys(ours)) expect(Object.keys(msal)).toContain(name)
    const extra = Object.keys(msal).filter((name) => !(name in ours) && !msalOnly.has(name))
    expect(extra).toEqual([])
  })

  it('sends an equivalent certificate assertion (PS256, x5t#S256, aud, iss, sub, lifetime)', async () => {
    const { msal, ours } = await recordBoth('certificate')
    expect(ours['client_assertion_type']).toBe(msal['client_assertion_type'])
    const msalJwt = msal['client_assertion'] ?? ''
    const ourJwt = ours['client_assertion'] ?? ''
    const msalHeader = decodeProtectedHeader(msalJwt)
    const ourHeader = decodeProtectedHeader(ourJwt)
    expect(ourHeader.alg).toBe(msalHeader.alg)
    expect(ourHeader['x5t#S256']).toBe(msalHeader['x5t#S256'])
    const msalClaims = decodeJwt(msalJwt)
    const ourClaims = decodeJwt(ourJwt)
    for (const claim of ['aud', 'iss', 'sub'] as const) {
      expect([claim, ourClaims[claim]]).toEqual([claim, msalClaims[claim]])
    }
    expect(ourClaims.exp! - ourClaims.nbf!).toBe(msalClaims.exp! - msalClaims.nbf!)
    expect(Object.keys(ourClaims).sort()).toEqual(expect.arrayContaining(Object.keys(msalClaims).sort()))
  })
})
