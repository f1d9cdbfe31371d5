/**
 * What the msal engine does about msal-node's own cache and throttle, proven against the emulator, each beside
 * plain msal-node doing the same thing (so the test shows the defect it guards against is real).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ConfidentialClientApplication, type AuthenticationResult } from '@azure/msal-node'
import { startEmulator, type EmulatorUser, type EntraEmulator } from '@onbehalf/entra-emulator'
import { OboError } from '@onbehalf/core'
import { createMsalEngine } from '../src/index.ts'
import { decodeJwt, middleTierConfig, secretCredential, tokenRequests } from './helpers.ts'

let emu: EntraEmulator

beforeAll(async () => {
  emu = await startEmulator()
})
afterAll(async () => {
  await emu.close()
})

function plainMsal(
  clientId = emu.defaults.middleTier.clientId,
  clientSecret = emu.defaults.middleTier.clientSecret,
): ConfidentialClientApplication {
  return new ConfidentialClientApplication({
    auth: { clientId, clientSecret, authority: emu.authority, knownAuthorities: [emu.host] },
    system: { networkClient: emu.networkClient },
  })
}

async function inBatches<T>(items: readonly T[], width: number, work: (item: T) => Promise<unknown>): Promise<void> {
  for (let index = 0; index < items.length; index += width) {
    await Promise.all(items.slice(index, index + width).map(work))
  }
}

function users(count: number): EmulatorUser[] {
  return Array.from({ length: count }, () => emu.addUser())
}

describe('MSAL cache stays O(1)', () => {
  it('holds only authority metadata after serving 1,000 distinct users (plain msal-node holds every user)', async () => {
    const engine = createMsalEngine()(middleTierConfig(emu, secretCredential(emu)))
    const scopes = [emu.defaults.downstream.defaultScope]
    let peak = 0
    let checked = 0
    await inBatches(users(1000), 16, async (user) => {
      const result = await engine.exchange({
        tenantId: emu.tenantId,
        userAssertion: emu.issueUserToken({ user }),
        scopes,
      })
      expect(decodeJwt(result.accessToken).payload['oid']).toBe(user.oid)
      checked++
      peak = Math.max(peak, engine.stats().msalCacheEntries ?? 0)
    })
    // The per-user check runs in a callback: prove it ran for every user.
    expect(checked).toBe(1000)
    const after = engine.stats()
    expect(after?.applicationCreated).toBe(true)
    expect(after?.authorityMetadataEntries).toBe(1)
    expect(after?.msalCacheEntries).toBe(1)
    // While calls are in flight MSAL briefly holds their entries: bounded by concurrency, not by users served.
    expect(peak).toBeLessThanOrEqual(1 + 16 * 5)
    await engine.close()

    const cca = plainMsal()
    await inBatches(users(200), 16, (user) =>
      cca.acquireTokenOnBehalfOf({ oboAssertion: emu.issueUserToken({ user }), scopes, authority: emu.authority }),
    )
    expect(Object.keys(cca.getTokenCache().getKVStore()).length).toBeGreaterThanOrEqual(200 * 3)
  }, 120_000)

  it('never serves from MSAL: the same assertion twice makes two token requests carrying MSAL’s SKU', async () => {
    const engine = createMsalEngine()(middleTierConfig(emu, secretCredential(emu)))
    const request = {
      tenantId: emu.tenantId,
      userAssertion: emu.issueUserToken({ user: emu.defaults.users.plain }),
      scopes: [emu.defaults.downstream.defaultScope],
    }
    emu.clearRequests()
    await engine.exchange(request)
    await engine.exchange(request)
    const requests = tokenRequests(emu)
    expect(requests).toHaveLength(2)
    expect(requests.every((recorded) => recorded.form['x-client-SKU'] === 'msal.js.node')).toBe(true)
    await engine.close()
  })
})

describe('throttling is not shared between users', () => {
  it("plain msal-node blocks user B after user A's 429; the msal engine sends B's request and succeeds", async () => {
    const scopes = [emu.defaults.downstream.defaultScope]
    const [userA, userB] = users(2) as [EmulatorUser, EmulatorUser]

    const cca = plainMsal()
    emu.clearRequests()
    emu.faults.inject({ kind: 'throttle', retryAfterSeconds: 60, times: 1 })
    await expect(
      cca.acquireTokenOnBehalfOf({
        oboAssertion: emu.issueUserToken({ user: userA }),
        scopes,
        authority: emu.authority,
      }),
    ).rejects.toThrow()
    await expect(
      cca.acquireTokenOnBehalfOf({
        oboAssertion: emu.issueUserToken({ user: userB }),
        scopes,
        authority: emu.authority,
      }),
    ).rejects.toThrow()
    expect(tokenRequests(emu)).toHaveLength(1)

    const engine = createMsalEngine()(middleTierConfig(emu, secretCredential(emu)))
    emu.clearRequests()
    emu.faults.inject({ kind: 'throttle', retryAfterSeconds: 60, times: 1 })
    const throttled = await engine
      .exchange({ tenantId: emu.tenantId, userAssertion: emu.issueUserToken({ user: userA }), scopes })
      .catch((error: unknown) => error)
    expect(throttled).toBeInstanceOf(OboError)
    expect((throttled as OboError).code).toBe('THROTTLED')
    const result = await engine.exchange({
      tenantId: emu.tenantId,
      userAssertion: emu.issueUserToken({ user: userB }),
      scopes,
    })
    expect(decodeJwt(result.accessToken).payload['oid']).toBe(userB.oid)
    expect(tokenRequests(emu).map((request) => request.status)).toEqual([429, 200])
    expect(engine.stats().msalCacheEntries).toBe(1)
    await engine.close()
  })
})

describe('tenants are not mixed', () => {
  it('plain msal-node answers tenant B from tenant A’s cache entry; the msal engine asks tenant B', async () => {
    const app = emu.registerApp({ multiTenant: true, clientSecret: true, appIdUri: true, scopes: ['access_as_user'] })
    const other = emu.addTenant()
    const scopes = [`${emu.defaults.graph.appIdUri}/User.Read`]
    const assertion = emu.issueUserToken({ user: emu.defaults.users.plain, audience: app.clientId })

    const cca = plainMsal(app.clientId, app.clientSecret)
    const home = (await cca.acquireTokenOnBehalfOf({
      oboAssertion: assertion,
      scopes,
      authority: emu.authority,
    })) as AuthenticationResult
    emu.clearRequests()
    const crossed = (await cca.acquireTokenOnBehalfOf({
      oboAssertion: assertion,
      scopes,
      authority: `${emu.authorityHost}/${other.id}`,
    })) as AuthenticationResult
    expect(crossed.accessToken).toBe(home.accessToken)
    expect(decodeJwt(crossed.accessToken).payload['tid']).toBe(emu.tenantId)
    expect(tokenRequests(emu)).toHaveLength(0)

    const engine = createMsalEngine()({
      ...middleTierConfig(emu, { kind: 'secret', secret: app.clientSecret ?? '' }),
      clientId: app.clientId,
    })
    await engine.exchange({ tenantId: emu.tenantId, userAssertion: assertion, scopes })
    emu.clearRequests()
    const error = await engine
      .exchange({ tenantId: other.id, userAssertion: assertion, scopes })
      .catch((reason: unknown) => reason)
    expect((error as OboError).code).toBe('INVALID_GRANT')
    expect(tokenRequests(emu).map((request) => request.tenant)).toEqual([other.id])
    await engine.close()
  })
})

describe('metadata and abort', () => {
  it('fetches the OpenID configuration once per authority per process, across engines', async () => {
    await using fresh = await startEmulator()
    const other = fresh.addTenant()
    const app = fresh.registerApp({ multiTenant: true, clientSecret: true, appIdUri: true, scopes: ['access_as_user'] })
    const config = {
      ...middleTierConfig(fresh, { kind: 'secret', secret: app.clientSecret ?? '' }),
      clientId: app.clientId,
    }
    const scopes = [`${fresh.defaults.graph.appIdUri}/User.Read`]
    const homeUser = fresh.defaults.users.plain
    const awayUser = fresh.addUser({ tenantId: other.id })
    for (let round = 0; round < 3; round += 1) {
      const engine = createMsalEngine()(config)
      await engine.exchange({
        tenantId: fresh.tenantId,
        userAssertion: fresh.issueUserToken({ user: homeUser, audience: app.clientId }),
        scopes,
      })
      await engine.exchange({
        tenantId: other.id,
        userAssertion: fresh.issueUserToken({ user: awayUser, audience: app.clientId }),
        scopes,
      })
      await engine.close()
    }
    const count = (endpoint: string): number => fresh.requests.filter((request) => request.endpoint === endpoint).length
    expect(count('instance-discovery')).toBe(1)
    expect(count('openid-configuration')).toBe(1)
    expect(count('token')).toBe(6)
  })

  it('after an abort, lets the MSAL call settle in the background and still clears what it stored', async () => {
    const engine = createMsalEngine()(middleTierConfig(emu, secretCredential(emu)))
    const scopes = [emu.defaults.downstream.defaultScope]
    await engine.exchange({
      tenantId: emu.tenantId,
      userAssertion: emu.issueUserToken({ user: emu.defaults.users.plain }),
      scopes,
    })
    emu.faults.inject({ kind: 'latency', latencyMs: 400, times: 1 })
    const controller = new AbortController()
    const pending = engine.exchange({
      tenantId: emu.tenantId,
      userAssertion: emu.issueUserToken({ user: emu.defaults.users.plain }),
      scopes,
      signal: controller.signal,
    })
    controller.abort()
    await expect(pending).rejects.toMatchObject({ code: 'ABORTED' })
    await new Promise((resolve) => setTimeout(resolve, 600))
    expect(engine.stats().msalCacheEntries).toBe(1)
    await engine.close()
  })
})
