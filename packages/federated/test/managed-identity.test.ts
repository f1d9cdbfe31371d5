import { startEmulator, type EntraEmulator } from '@onbehalf/entra-emulator'
import { OboError, createMemoryTokenCache } from '@onbehalf/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { managedIdentityAssertion } from '../src/index.ts'
import { claimsOf, engines, exchange, loadEngines, registerSecretlessApi } from './setup.ts'

let emu: EntraEmulator

beforeAll(async () => {
  // The 1,000-user test counts more requests than the default log keeps.
  emu = await startEmulator({ maxRecordedRequests: 20_000 })
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
})

describe('managed identity token per lifetime', () => {
  it.each(loadEngines)(
    '%s engine: asks the platform once for concurrent first exchanges of as many users',
    async (name, engine, count) => {
      const api = registerSecretlessApi(emu, `MI API (concurrent, ${name})`)
      const identity = emu.addManagedIdentity()
      emu.trustManagedIdentity(api, identity)
      const users = Array.from({ length: count }, (_, i) =>
        emu.addUser({ upn: `mi-${name}-${i}@${emu.tenant.domain}` }),
      )
      const cache = createMemoryTokenCache()
      const getClientAssertion = managedIdentityAssertion({
        clientId: identity.clientId,
        endpoint: emu.imdsEndpoint,
        fetch: emu.fetch,
      })
      const platformBefore = platformRequests()
      await Promise.all(
        users.map((user) =>
          exchange(emu, { clientId: api.clientId, getClientAssertion, engine, cache, user: user.upn }),
        ),
      )
      expect(platformRequests() - platformBefore).toBe(1)
      expect(getClientAssertion.platformRequests).toBe(1)
      expect(tokenRequests(api.clientId)).toBe(count)
    },
    180_000,
  )

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
        users.slice(i, i + 10).map((user) =>
          exchange(emu, {
            clientId: api.clientId,
            getClientAssertion,
            engine: loadEngines[0]?.[1],
            cache,
            user: user.upn,
          }),
        ),
      )
    }
    expect(tokenRequests(api.clientId)).toBe(1000)
    expect(platformRequests() - platformBefore).toBe(1)
    expect(getClientAssertion.platformRequests).toBe(1)
  }, 600_000)
})

describe('managed identity refusals and retries', () => {
  it('fails with a clear error, within its deadline, when no endpoint is reachable', async () => {
    const { createServer } = await import('node:net')
    const server = createServer()
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const { port } = server.address() as { port: number }
    await new Promise<void>((resolve) => server.close(() => resolve()))
    const getClientAssertion = managedIdentityAssertion({
      endpoint: `http://127.0.0.1:${port}/metadata/identity/oauth2/token`,
      timeoutMs: 2_000,
    })
    const error = await getClientAssertion().catch((e: unknown) => e)
    expect(error).toBeInstanceOf(OboError)
    expect(['NETWORK_ERROR', 'TIMEOUT']).toContain((error as OboError).code)
    expect((error as Error).message).toMatch(/No managed identity endpoint answered: IMDS at http:\/\/127\.0\.0\.1:/)

    const api = registerSecretlessApi(emu, 'MI API (unreachable)')
    const failure = await exchange(emu, { clientId: api.clientId, getClientAssertion, engine: undefined }).catch(
      (e: unknown) => e,
    )
    expect(failure).toMatchObject({ code: 'CLIENT_ASSERTION_FAILED' })
    const causes: string[] = []
    for (let e: unknown = failure; e instanceof Error; e = e.cause) causes.push(e.message)
    expect(causes.some((m) => /No managed identity endpoint answered/.test(m))).toBe(true)
  })

  it.each([
    ['429', { kind: 'throttle', retryAfterSeconds: 0 }],
    ['500', { kind: 'server-error', status: 500 }],
    ['dropped connections', { kind: 'drop' }],
  ] as const)('retries IMDS %s with backoff and then succeeds', async (_case, fault) => {
    const identity = emu.addManagedIdentity()
    emu.faults.inject({ ...fault, times: 2, match: { endpoint: 'managed-identity' } })
    const getClientAssertion = managedIdentityAssertion({
      clientId: identity.clientId,
      endpoint: emu.imdsEndpoint,
      fetch: emu.fetch,
    })
    const token = await getClientAssertion()
    expect(claimsOf(token)['sub']).toBe(identity.principalId)
    const asked = emu.requests.filter(
      (r) => r.endpoint === 'managed-identity' && r.query['client_id'] === identity.clientId,
    )
    expect(asked).toHaveLength(3)
    expect(getClientAssertion.platformRequests).toBe(1)
  })

  it('refuses an identity that is not assigned to the host, and a missing FIC, naming the fix', async () => {
    const unknown = managedIdentityAssertion({
      clientId: '00000000-0000-4000-8000-000000000001',
      endpoint: emu.imdsEndpoint,
      fetch: emu.fetch,
    })
    await expect(unknown()).rejects.toMatchObject({
      code: 'CLIENT_ASSERTION_FAILED',
      message: expect.stringMatching(/Identity not found.*assigned to this host/),
    })

    const api = registerSecretlessApi(emu, 'MI API (no FIC)')
    const identity = emu.addManagedIdentity()
    for (const [, engine] of engines) {
      const error = await exchange(emu, {
        clientId: api.clientId,
        getClientAssertion: managedIdentityAssertion({
          clientId: identity.clientId,
          endpoint: emu.imdsEndpoint,
          fetch: emu.fetch,
        }),
        engine,
      }).catch((e: unknown) => e)
      expect((error as { errorResponse: { errorCodes: number[] } }).errorResponse.errorCodes).toEqual([70021])
      expect((error as Error).message).toMatch(/can take minutes to propagate/)
    }
  })

  it('refuses a bad endpoint or an empty audience at creation', () => {
    expect(() => managedIdentityAssertion({ endpoint: 'not a url' })).toThrow(OboError)
    expect(() => managedIdentityAssertion({ endpoint: 'file:///etc/passwd' })).toThrow(/http or https/)
    expect(() => managedIdentityAssertion({ audience: ' ' })).toThrow(/audience/)
  })
})
