import { startEmulator, type EntraEmulator } from '@onbehalf/entra-emulator'
import { createMemoryTokenCache } from '@onbehalf/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { managedIdentityAssertion } from '../src/index.ts'
import { claimsOf, engines, exchange, registerSecretlessApi } from './setup.ts'

let emu: EntraEmulator

beforeAll(async () => {
  emu = await startEmulator()
})
afterAll(async () => {
  await emu.close()
})

const platformRequests = (): number => emu.requests.filter((r) => r.endpoint === 'managed-identity').length
const tokenRequests = (clientId: string): number =>
  emu.requests.filter((r) => r.endpoint === 'token' && r.clientId === clientId).length

describe.each(engines)('managed identity, %s engine', (_name, engine) => {
  it('completes OBO with the IMDS token of a user-assigned identity as the client assertion', async () => {
    const api = registerSecretlessApi(emu, 'MI API (IMDS)')
    const identity = emu.addManagedIdentity({ displayName: 'orders-api' })
    emu.trustManagedIdentity(api, identity)
    const getClientAssertion = managedIdentityAssertion({
      clientId: identity.clientId,
      endpoint: emu.imdsEndpoint,
      fetch: emu.fetch,
    })
    const token = await exchange(emu, { clientId: api.clientId, getClientAssertion, engine })
    const claims = claimsOf(token)
    expect(claims['aud']).toBe(emu.defaults.downstream.clientId)
    expect(claims['azp']).toBe(api.clientId)
    expect(claims['azpacr']).toBe('2')
    const imds = emu.requests.filter(
      (r) => r.endpoint === 'managed-identity' && r.query['client_id'] === identity.clientId,
    )
    expect(imds).toHaveLength(1)
    expect(imds[0]?.headers['metadata']).toBe('true')
    expect(imds[0]?.query['resource']).toBe('api://AzureADTokenExchange')
    expect(imds[0]?.query['api-version']).toBe('2018-02-01')
  })

  it('completes OBO with the App Service style endpoint (IDENTITY_ENDPOINT + IDENTITY_HEADER), system-assigned', async () => {
    const api = registerSecretlessApi(emu, 'MI API (App Service)')
    emu.trustManagedIdentity(api, emu.systemAssignedIdentity)
    const getClientAssertion = managedIdentityAssertion({
      env: { IDENTITY_ENDPOINT: emu.identityEndpoint, IDENTITY_HEADER: emu.identityHeader },
      fetch: emu.fetch,
    })
    const before = emu.requests.length
    await exchange(emu, { clientId: api.clientId, getClientAssertion, engine })
    const appService = emu.requests.slice(before).filter((r) => r.path === '/msi/token')
    expect(appService).toHaveLength(1)
    expect(appService[0]?.headers['x-identity-header']).toBe(emu.identityHeader)
    expect(appService[0]?.query['api-version']).toBe('2019-08-01')
    expect(appService[0]?.query['client_id']).toBeUndefined()
  })

  it('asks the platform once for 100 concurrent first exchanges of 100 users', async () => {
    const api = registerSecretlessApi(emu, 'MI API (concurrent)')
    const identity = emu.addManagedIdentity()
    emu.trustManagedIdentity(api, identity)
    const users = Array.from({ length: 100 }, (_, i) => emu.addUser({ upn: `mi-${_name}-${i}@${emu.tenant.domain}` }))
    const cache = createMemoryTokenCache()
    const getClientAssertion = managedIdentityAssertion({
      clientId: identity.clientId,
      endpoint: emu.imdsEndpoint,
      fetch: emu.fetch,
    })
    const platformBefore = platformRequests()
    await Promise.all(
      users.map((user) => exchange(emu, { clientId: api.clientId, getClientAssertion, engine, cache, user: user.upn })),
    )
    expect(platformRequests() - platformBefore).toBe(1)
    expect(getClientAssertion.platformRequests).toBe(1)
    expect(tokenRequests(api.clientId)).toBe(100)
  }, 180_000)
})

describe('managed identity token per lifetime', () => {
  it('makes 1 platform-token request for 1,000 exchanges of 1,000 users', async () => {
    const api = registerSecretlessApi(emu, 'MI API (1,000 users)')
    const identity = emu.addManagedIdentity()
    emu.trustManagedIdentity(api, identity)
    const users = Array.from({ length: 1000 }, (_, i) => emu.addUser({ upn: `mi-thousand-${i}@${emu.tenant.domain}` }))
    const cache = createMemoryTokenCache({ maxEntries: 2000 })
    const getClientAssertion = managedIdentityAssertion({
      clientId: identity.clientId,
      endpoint: emu.imdsEndpoint,
      fetch: emu.fetch,
    })
    const platformBefore = platformRequests()
    // Ten at a time: a realistic trickle of distinct users on few connections.
    for (let i = 0; i < users.length; i += 10) {
      await Promise.all(
        users
          .slice(i, i + 10)
          .map((user) =>
            exchange(emu, { clientId: api.clientId, getClientAssertion, engine: undefined, cache, user: user.upn }),
          ),
      )
    }
    expect(tokenRequests(api.clientId)).toBe(1000)
    expect(platformRequests() - platformBefore).toBe(1)
    expect(getClientAssertion.platformRequests).toBe(1)
  }, 600_000)
})
