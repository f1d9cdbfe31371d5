import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startEmulator } from '../src/index.ts'
import type { EntraEmulator } from '../src/index.ts'
import { claimsOf, entraError, oboForm, postToken } from './helpers.ts'

let emu: EntraEmulator
let clock = Date.now()

beforeAll(async () => {
  emu = await startEmulator({ now: () => clock })
})
afterAll(async () => {
  await emu.close()
})

const ccForm = (overrides: Record<string, string> = {}): URLSearchParams =>
  new URLSearchParams({
    grant_type: 'client_credentials',
    client_id: emu.defaults.daemon.clientId,
    client_secret: emu.defaults.daemon.clientSecret,
    scope: emu.defaults.downstream.defaultScope,
    ...overrides,
  })

describe('client_credentials', () => {
  it('issues an app-only token with roles, idtyp app and the service principal as oid/sub', async () => {
    const answer = await postToken(emu, ccForm())
    expect(answer.status).toBe(200)
    expect(answer.body['token_type']).toBe('Bearer')
    expect(answer.body['refresh_token']).toBeUndefined()
    const at = claimsOf(answer.body['access_token'])
    expect(at['aud']).toBe(emu.defaults.downstream.clientId)
    expect(at['idtyp']).toBe('app')
    expect(at['roles']).toEqual(['Documents.Read.All'])
    expect(at['scp']).toBeUndefined()
    expect(at['oid']).toBe(emu.defaults.daemon.app.servicePrincipalId)
    expect(at['sub']).toBe(at['oid'])
    expect(at['azp']).toBe(emu.defaults.daemon.clientId)
  })

  it('needs <resource>/.default (1002012) and a valid secret (7000215)', async () => {
    const bad = await postToken(emu, ccForm({ scope: emu.defaults.downstream.scopes[0] ?? '' }))
    expect(entraError(bad)).toMatchObject({ error: 'invalid_scope', codes: [1002012] })
    expect(entraError(await postToken(emu, ccForm({ client_secret: 'x' }))).codes).toEqual([7000215])
  })
})

describe('refresh_token', () => {
  it('is returned only with offline_access, and redeems for the same or another resource', async () => {
    const obo = await postToken(emu, oboForm(emu, { scope: `${emu.defaults.downstream.scopes[0]} offline_access` }))
    const refreshToken = String(obo.body['refresh_token'])
    const refreshed = await postToken(
      emu,
      new URLSearchParams({
        grant_type: 'refresh_token',
        client_id: emu.defaults.middleTier.clientId,
        client_secret: emu.defaults.middleTier.clientSecret,
        refresh_token: refreshToken,
        scope: `${emu.defaults.downstream.scopes[1]} offline_access`,
      }),
    )
    expect(refreshed.status).toBe(200)
    expect(claimsOf(refreshed.body['access_token'])['scp']).toBe('Documents.ReadWrite')
    expect(claimsOf(refreshed.body['access_token'])['oid']).toBe(emu.defaults.users.plain.oid)
    expect(typeof refreshed.body['refresh_token']).toBe('string')
    const graph = await postToken(
      emu,
      new URLSearchParams({
        grant_type: 'refresh_token',
        client_id: emu.defaults.middleTier.clientId,
        client_secret: emu.defaults.middleTier.clientSecret,
        refresh_token: refreshToken,
        scope: 'https://graph.microsoft.com/User.Read',
      }),
    )
    expect(claimsOf(graph.body['access_token'])['aud']).toBe(emu.defaults.graph.clientId)
  })

  it('rejects another client (70000), garbage (9002313), expired (70008) and revoked tokens', async () => {
    const obo = await postToken(emu, oboForm(emu, { scope: `${emu.defaults.downstream.scopes[0]} offline_access` }))
    const refreshToken = String(obo.body['refresh_token'])
    const other = emu.registerApp({ clientSecret: 'other-secret' })
    const form = (o: Record<string, string>): URLSearchParams =>
      new URLSearchParams({
        grant_type: 'refresh_token',
        client_id: emu.defaults.middleTier.clientId,
        client_secret: emu.defaults.middleTier.clientSecret,
        refresh_token: refreshToken,
        scope: emu.defaults.downstream.scopes[0] ?? '',
        ...o,
      })
    expect(
      entraError(await postToken(emu, form({ client_id: other.clientId, client_secret: 'other-secret' }))).codes,
    ).toEqual([70000])
    expect(entraError(await postToken(emu, form({ refresh_token: 'garbage' }))).codes).toEqual([9002313])
    emu.setTokenLifetimes({ refreshTokenSeconds: 10 })
    try {
      const short = await postToken(emu, oboForm(emu, { scope: `${emu.defaults.downstream.scopes[0]} offline_access` }))
      clock += 11_000
      expect(
        entraError(await postToken(emu, form({ refresh_token: String(short.body['refresh_token']) }))).codes,
      ).toEqual([70008])
    } finally {
      emu.setTokenLifetimes({ refreshTokenSeconds: 90 * 86_400 })
    }
    expect(emu.revokeRefreshTokens(emu.defaults.users.plain)).toBeGreaterThan(0)
    expect(entraError(await postToken(emu, form({}))).codes).toEqual([9002313])
  })

  it('keeps MFA from the original sign-in', async () => {
    const user = emu.defaults.users.mfa
    const obo = await postToken(
      emu,
      oboForm(emu, {
        assertion: emu.issueUserToken({ user, mfa: true }),
        scope: `${emu.defaults.downstream.scopes[0]} offline_access`,
      }),
    )
    const refreshed = await postToken(
      emu,
      new URLSearchParams({
        grant_type: 'refresh_token',
        client_id: emu.defaults.middleTier.clientId,
        client_secret: emu.defaults.middleTier.clientSecret,
        refresh_token: String(obo.body['refresh_token']),
        scope: emu.defaults.downstream.scopes[0] ?? '',
      }),
    )
    expect(refreshed.status).toBe(200)
  })
})

describe('token lifetimes', () => {
  it('follow the configuration, with refresh_in when set', async () => {
    const short = await startEmulator({
      tokenLifetimes: { accessTokenSeconds: 120, refreshIn: 60, extendedSeconds: 30 },
    })
    try {
      const answer = await postToken(short, oboForm(short))
      expect(answer.body['expires_in']).toBe(120)
      expect(answer.body['ext_expires_in']).toBe(150)
      expect(answer.body['refresh_in']).toBe(60)
      const at = claimsOf(answer.body['access_token'])
      expect(Number(at['exp']) - Number(at['iat'])).toBe(120)
      short.setTokenLifetimes({ accessTokenSeconds: 7200, refreshIn: 'auto' })
      expect((await postToken(short, oboForm(short))).body['refresh_in']).toBe(3600)
      short.setTokenLifetimes({ refreshIn: 'off' })
      expect((await postToken(short, oboForm(short))).body['refresh_in']).toBeUndefined()
    } finally {
      await short.close()
    }
  })

  it('apply per resource (accessTokenLifetimeSeconds) and to minted user tokens', async () => {
    const api = emu.registerApp({ appIdUri: true, scopes: ['Read'], accessTokenLifetimeSeconds: 300 })
    expect((await postToken(emu, oboForm(emu, { scope: api.fullScopes[0] }))).body['expires_in']).toBe(300)
    const userToken = claimsOf(emu.issueUserToken({ user: emu.defaults.users.plain, lifetimeSeconds: 42 }))
    expect(Number(userToken['exp']) - Number(userToken['iat'])).toBe(42)
  })

  it('an assertion expires on time (no clock skew by default)', async () => {
    const assertion = emu.issueUserToken({ user: emu.defaults.users.plain, lifetimeSeconds: 5 })
    expect((await postToken(emu, oboForm(emu, { assertion }))).status).toBe(200)
    clock += 6_000
    expect(entraError(await postToken(emu, oboForm(emu, { assertion }))).codes).toEqual([500133])
  })
})

describe('grant checks', () => {
  it('900144 without grant_type, 70003 for an unsupported grant, 901002 for the v1 resource parameter', async () => {
    expect(entraError(await postToken(emu, oboForm(emu, { grant_type: undefined }))).codes).toEqual([900144])
    const unsupported = await postToken(emu, oboForm(emu, { grant_type: 'password' }))
    expect(entraError(unsupported)).toMatchObject({ error: 'unsupported_grant_type', codes: [70003] })
    expect(entraError(await postToken(emu, oboForm(emu, { resource: 'https://graph.microsoft.com' }))).codes).toEqual([
      901002,
    ])
  })

  it('serves a second tenant with its own issuer', async () => {
    const tenant = emu.addTenant({ domain: 'fabrikam.onmicrosoft.com' })
    const api = emu.registerApp({ tenantId: tenant.id, appIdUri: true, scopes: ['Read'] })
    const mid = emu.registerApp({
      tenantId: tenant.id,
      appIdUri: true,
      scopes: ['access_as_user'],
      clientSecret: 's3cret',
      multiTenant: true,
    })
    const user = emu.addUser({ tenantId: tenant.id })
    const assertion = emu.issueUserToken({ user, audience: mid.clientId })
    const answer = await postToken(
      emu,
      oboForm(emu, { client_id: mid.clientId, client_secret: 's3cret', assertion, scope: api.fullScopes[0] }),
      { tenant: 'fabrikam.onmicrosoft.com' },
    )
    expect(answer.status).toBe(200)
    const at = claimsOf(answer.body['access_token'])
    expect(at['tid']).toBe(tenant.id)
    expect(at['iss']).toBe(emu.issuer(tenant.id))
    // The same (multi-tenant) app presenting that assertion in another tenant fails: issuer mismatch.
    const wrongTenant = await postToken(
      emu,
      oboForm(emu, { client_id: mid.clientId, client_secret: 's3cret', assertion }),
      { tenant: emu.tenantId },
    )
    expect(entraError(wrongTenant).codes).toEqual([50013])
  })
})

describe('well-known tenant segments on the token endpoint', () => {
  it("answers on /organizations for the client's home tenant, and robustly to odd encodings", async () => {
    const answer = await postToken(emu, oboForm(emu), { tenant: 'organizations' })
    expect(answer.status).toBe(200)
    expect(claimsOf(answer.body['access_token'])['tid']).toBe(emu.tenantId)
    const odd = await emu.fetch(`${emu.authorityHost}/%E0%A4%A/oauth2/v2.0/token`, {
      method: 'POST',
      body: 'grant_type=x',
    })
    expect(odd.status).toBe(400)
    expect(((await odd.json()) as Record<string, unknown>)['error_codes']).toEqual([90002])
  })
})
