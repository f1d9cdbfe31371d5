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

async function mint(
  body: Record<string, unknown>,
  tenant = emu.tenantId,
): Promise<{ status: number; body: Record<string, unknown>; headers: Headers }> {
  const res = await emu.fetch(`${emu.authorityHost}/${tenant}/test/user-token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })
  return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, unknown> }
}

describe('POST /{tenant}/test/user-token', () => {
  it('mints a user token for the middle tier that OBO accepts', async () => {
    const answer = await mint({ user: emu.defaults.users.plain.upn })
    expect(answer.status).toBe(200)
    // Same-origin only: no CORS header lets a web page read the token.
    expect(answer.headers.get('access-control-allow-origin')).toBeNull()
    expect(answer.body['token_type']).toBe('Bearer')
    expect(answer.body['expires_in']).toBe(3600)
    const claims = claimsOf(answer.body['access_token'])
    expect(claims['aud']).toBe(emu.defaults.middleTier.clientId)
    expect(claims['azp']).toBe(emu.defaults.frontEnd.clientId)
    expect(claims['scp']).toBe('access_as_user')
    expect((await postToken(emu, oboForm(emu, { assertion: String(answer.body['access_token']) }))).status).toBe(200)
  })

  it('takes a form body, MFA, claims, scopes, audience and lifetime', async () => {
    const res = await emu.fetch(`${emu.authorityHost}/${emu.tenantId}/test/user-token`, {
      method: 'POST',
      body: new URLSearchParams({
        user: emu.defaults.users.mfa.oid,
        mfa: 'true',
        lifetimeSeconds: '60',
        scopes: 'a b',
      }),
    })
    const claims = claimsOf(((await res.json()) as Record<string, unknown>)['access_token'])
    expect(claims['amr']).toEqual(['pwd', 'mfa'])
    expect(claims['scp']).toBe('a b')
    expect(Number(claims['exp']) - Number(claims['iat'])).toBe(60)
    const stepUp = await mint({
      user: emu.defaults.users.mfa.upn,
      claims: emu.mfaClaimsChallenge,
      audience: emu.defaults.middleTier.appIdUri,
    })
    expect(claimsOf(stepUp.body['access_token'])['amr']).toEqual(['pwd', 'mfa'])
    expect(claimsOf(stepUp.body['access_token'])['aud']).toBe(emu.defaults.middleTier.appIdUri)
  })

  it('answers 400 for an unknown user and 90002 for an unknown tenant', async () => {
    expect((await mint({ user: 'nobody@example.com' })).status).toBe(400)
    const unknownTenant = await mint({ user: emu.defaults.users.plain.upn }, 'nope.onmicrosoft.com')
    expect(unknownTenant.body['error_codes']).toEqual([90002])
  })
})

describe('GET /{tenant}/test/directory', () => {
  it('lists apps and users without secrets', async () => {
    const res = await emu.fetch(`${emu.authorityHost}/${emu.tenantId}/test/directory`)
    const text = await res.text()
    expect(res.status).toBe(200)
    expect(text).not.toContain(emu.defaults.middleTier.clientSecret)
    const body = JSON.parse(text) as { users: { upn: string; mfaRequired: boolean }[]; apps: { clientId: string }[] }
    expect(body.users.find((u) => u.upn === emu.defaults.users.mfa.upn)?.mfaRequired).toBe(true)
    expect(body.apps.map((a) => a.clientId)).toContain(emu.defaults.middleTier.clientId)
  })
})

describe('plain HTTP mode', () => {
  it('serves the same endpoints over http when https is false', async () => {
    const plain = await startEmulator({ https: false })
    try {
      expect(plain.authorityHost).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
      expect(plain.caCertificate).toBe('')
      expect(plain.httpsAgent).toBeUndefined()
      const res = await fetch(plain.openIdConfigurationUrl())
      expect(((await res.json()) as Record<string, unknown>)['issuer']).toBe(plain.issuer())
    } finally {
      await plain.close()
    }
  })
})

describe('seeded start', () => {
  it('gives the same IDs and secrets for the same seed', async () => {
    const a = await startEmulator({ seed: 'demo' })
    const b = await startEmulator({ seed: 'demo' })
    try {
      expect(a.tenantId).toBe(b.tenantId)
      expect(a.defaults.middleTier.clientId).toBe(b.defaults.middleTier.clientId)
      expect(a.defaults.middleTier.clientSecret).toBe(b.defaults.middleTier.clientSecret)
      expect(a.defaults.users.plain.oid).toBe(b.defaults.users.plain.oid)
      expect(a.tenantId).not.toBe(emu.tenantId)
    } finally {
      await Promise.all([a.close(), b.close()])
    }
  })
})

describe('defaults', () => {
  it('expose the middle-tier certificate as PEM pair and as a PKCS#12 that opens with its password', async () => {
    const { createPrivateKey, X509Certificate } = await import('node:crypto')
    const forge = (await import('node-forge')).default
    const mt = emu.defaults.middleTier
    const cert = new X509Certificate(mt.certificatePem)
    expect(cert.checkPrivateKey(createPrivateKey(mt.privateKeyPem))).toBe(true)
    expect(cert.fingerprint256.replace(/:/g, '')).toBe(mt.thumbprintSha256Hex)
    const p12 = forge.pkcs12.pkcs12FromAsn1(
      forge.asn1.fromDer(Buffer.from(mt.pkcs12).toString('binary')),
      mt.pkcs12Password,
    )
    const keyBags =
      p12.getBags({ bagType: forge.pki.oids['pkcs8ShroudedKeyBag'] ?? '' })[
        forge.pki.oids['pkcs8ShroudedKeyBag'] ?? ''
      ] ?? []
    expect(keyBags).toHaveLength(1)
    expect(mt.scopes).toEqual([`${mt.appIdUri}/access_as_user`])
    expect(emu.defaults.downstream.appIdUri).toBe(`api://${emu.defaults.downstream.clientId}`)
  })
})
