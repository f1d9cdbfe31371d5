/**
 * What a protected API meets: v1.0 tokens (and the v1 metadata that names their issuer), app-only tokens with
 * roles, tokens for an App ID URI audience, and a multi-tenant app used from several tenants.
 */
import { createLocalJWKSet, jwtVerify } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startEmulator } from '../src/index.ts'
import type { EntraEmulator } from '../src/index.ts'
import { claimsOf, oboForm, postToken } from './helpers.ts'

let emu: EntraEmulator

beforeAll(async () => {
  emu = await startEmulator()
})
afterAll(async () => {
  await emu.close()
})

async function getJson(url: string): Promise<Record<string, unknown>> {
  const res = await emu.fetch(url)
  expect(res.status).toBe(200)
  return (await res.json()) as Record<string, unknown>
}

describe('v1.0 tokens', () => {
  it('mints a v1.0 token: sts.windows.net issuer, App ID URI audience, appid and upn, signed by the JWKS key', async () => {
    const user = emu.defaults.users.plain
    const token = emu.issueUserToken({ user, version: '1.0' })
    const jwks = createLocalJWKSet((await getJson(emu.jwksUri())) as unknown as Parameters<typeof createLocalJWKSet>[0])
    const { payload } = await jwtVerify(token, jwks, { algorithms: ['RS256'] })
    expect(payload['ver']).toBe('1.0')
    expect(payload.iss).toBe(`https://sts.windows.net/${emu.tenantId}/`)
    expect(payload.iss).toBe(emu.issuerV1())
    expect(payload.aud).toBe(emu.defaults.middleTier.appIdUri)
    expect(payload['appid']).toBe(emu.defaults.frontEnd.clientId)
    expect(payload['azp']).toBeUndefined()
    expect(payload['upn']).toBe(user.upn)
    expect(payload['scp']).toBe('access_as_user')
  })

  it('serves the v1 OpenID configuration whose issuer names v1 tokens, with the template for organizations', async () => {
    const tenant = await getJson(`${emu.authorityHost}/${emu.tenantId}/.well-known/openid-configuration`)
    expect(tenant['issuer']).toBe(`https://sts.windows.net/${emu.tenantId}/`)
    const keys = await getJson(String(tenant['jwks_uri']))
    expect(Array.isArray(keys['keys'])).toBe(true)
    const organizations = await getJson(`${emu.authorityHost}/organizations/.well-known/openid-configuration`)
    expect(organizations['issuer']).toBe('https://sts.windows.net/{tenantid}/')
  })

  it('accepts a v1.0 user assertion for On-Behalf-Of', async () => {
    const assertion = emu.issueUserToken({ user: emu.defaults.users.plain, version: '1.0' })
    const answer = await postToken(emu, oboForm(emu, { assertion }))
    expect(answer.status).toBe(200)
    expect(claimsOf(answer.body['access_token'])['oid']).toBe(emu.defaults.users.plain.oid)
  })

  it('refuses an unknown version', () => {
    expect(() => emu.issueUserToken({ user: emu.defaults.users.plain, version: '3.0' as '2.0' })).toThrow(TypeError)
  })
})

describe('app-only tokens, App ID URI audiences and multi-tenant apps', () => {
  it('mints an app-only token with the roles granted to the client', () => {
    const claims = claimsOf(
      emu.issueUserToken({
        appOnly: true,
        clientId: emu.defaults.daemon.clientId,
        audience: emu.defaults.downstream.clientId,
      }),
    )
    expect(claims['idtyp']).toBe('app')
    expect(claims['roles']).toEqual(['Documents.Read.All'])
    expect(claims['scp']).toBeUndefined()
  })

  it('mints a token for an App ID URI (an RFC 8707 resource)', () => {
    const claims = claimsOf(
      emu.issueUserToken({ user: emu.defaults.users.plain, audience: emu.defaults.middleTier.appIdUri }),
    )
    expect(claims['aud']).toBe(emu.defaults.middleTier.appIdUri)
  })

  it('lets a multi-tenant app exchange tokens of users from several tenants, each in its own tenant', async () => {
    const api = emu.registerApp({ appIdUri: true, scopes: ['access_as_user'], clientSecret: true, multiTenant: true })
    for (const tenant of [emu.tenant, emu.addTenant(), emu.addTenant()]) {
      const user = tenant.id === emu.tenantId ? emu.defaults.users.plain : emu.addUser({ tenantId: tenant.id })
      const assertion = emu.issueUserToken({ user, audience: api.clientId })
      expect(claimsOf(assertion)['iss']).toBe(emu.issuer(tenant.id))
      const answer = await postToken(
        emu,
        oboForm(emu, {
          assertion,
          client_id: api.clientId,
          client_secret: api.clientSecret,
          scope: `${emu.defaults.graph.appIdUri}/User.Read`,
        }),
        { tenant: tenant.id },
      )
      expect(answer.status).toBe(200)
      expect(claimsOf(answer.body['access_token'])['tid']).toBe(tenant.id)
    }
  })
})
