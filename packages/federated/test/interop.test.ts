import { OnBehalfOfCredential } from '@azure/identity'
import { ConfidentialClientApplication } from '@azure/msal-node'
import { createAzureHttpClient, startEmulator, type EntraEmulator } from '@onbehalf/entra-emulator'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { managedIdentityAssertion } from '../src/index.ts'
import { claimsOf, registerSecretlessApi } from './setup.ts'

let emu: EntraEmulator

beforeAll(async () => {
  // The tests compare the assertions the emulator received, so it keeps them as sent.
  emu = await startEmulator({ recordSecrets: true })
})
afterAll(async () => {
  await emu.close()
})

function secretlessApp(name: string): {
  clientId: string
  getClientAssertion: ReturnType<typeof managedIdentityAssertion>
} {
  const api = registerSecretlessApi(emu, name)
  const identity = emu.addManagedIdentity()
  emu.trustManagedIdentity(api, identity)
  return {
    clientId: api.clientId,
    getClientAssertion: managedIdentityAssertion({
      clientId: identity.clientId,
      endpoint: emu.imdsEndpoint,
      fetch: emu.fetch,
    }),
  }
}

describe('the real clients complete OBO against the emulator with a managed-identity assertion', () => {
  it('@azure/msal-node 7 (clientAssertion callback)', async () => {
    const { clientId, getClientAssertion } = secretlessApp('MI API (msal-node)')
    const cca = new ConfidentialClientApplication({
      auth: {
        clientId,
        authority: emu.authority,
        knownAuthorities: [emu.host],
        clientAssertion: () => getClientAssertion(),
      },
      system: { networkClient: emu.networkClient },
    })
    const result = await cca.acquireTokenOnBehalfOf({
      oboAssertion: emu.issueUserToken({ user: emu.defaults.users.plain, audience: clientId }),
      scopes: [emu.defaults.downstream.scopes[0] ?? ''],
      skipCache: true,
    })
    expect(claimsOf(result?.accessToken ?? '')).toMatchObject({ azp: clientId, aud: emu.defaults.downstream.clientId })
    const sent = emu.requests.filter((r) => r.endpoint === 'token' && r.clientId === clientId)
    expect(sent).toHaveLength(1)
    expect(sent[0]?.form['client_assertion']).toBe(await getClientAssertion())
  })

  it('@azure/identity 4 OnBehalfOfCredential (getAssertion)', async () => {
    const { clientId, getClientAssertion } = secretlessApp('MI API (@azure/identity)')
    const credential = new OnBehalfOfCredential({
      tenantId: emu.tenantId,
      clientId,
      getAssertion: getClientAssertion,
      userAssertionToken: emu.issueUserToken({ user: emu.defaults.users.plain, audience: clientId }),
      authorityHost: emu.authorityHost,
      httpClient: createAzureHttpClient(emu.fetch),
    })
    const token = await credential.getToken(emu.defaults.downstream.scopes[0] ?? '')
    expect(claimsOf(token.token)).toMatchObject({ azp: clientId, azpacr: '2' })
    expect(getClientAssertion.platformRequests).toBe(1)
  })
})
