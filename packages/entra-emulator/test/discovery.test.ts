import { createHash, X509Certificate } from 'node:crypto'
import { createRemoteJWKSet, customFetch, jwtVerify } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { emulatorFetch, startEmulator } from '../src/index.ts'
import type { EntraEmulator } from '../src/index.ts'
import { postToken, oboForm } from './helpers.ts'

let emu: EntraEmulator

beforeAll(async () => {
  emu = await startEmulator()
})
afterAll(async () => {
  await emu.close()
})

async function getJson(url: string): Promise<{ status: number; body: Record<string, unknown>; headers: Headers }> {
  const res = await emu.fetch(url)
  return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, unknown> }
}

describe('startEmulator', () => {
  it('serves HTTPS on loopback with a certificate chained to the CA it hands out', async () => {
    expect(emu.authorityHost).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/)
    expect(emu.tenantId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
    const ca = new X509Certificate(emu.caCertificate)
    expect(ca.ca).toBe(true)
    // The platform fetch does not trust the emulator CA: only the trusting fetch gets through.
    await expect(fetch(emu.openIdConfigurationUrl())).rejects.toThrow()
    expect((await emu.fetch(emu.openIdConfigurationUrl())).status).toBe(200)
  })

  it('also answers on localhost (SAN DNS:localhost)', async () => {
    const res = await emu.fetch(`https://localhost:${emu.port}/${emu.tenantId}/v2.0/.well-known/openid-configuration`)
    expect(res.status).toBe(200)
  })
})

describe('OpenID configuration', () => {
  it('names the token endpoint, issuer, JWKS and authorize endpoint of the tenant', async () => {
    const { status, body, headers } = await getJson(emu.openIdConfigurationUrl())
    expect(status).toBe(200)
    expect(body['issuer']).toBe(`${emu.authorityHost}/${emu.tenantId}/v2.0`)
    expect(body['token_endpoint']).toBe(`${emu.authorityHost}/${emu.tenantId}/oauth2/v2.0/token`)
    expect(body['jwks_uri']).toBe(`${emu.authorityHost}/${emu.tenantId}/discovery/v2.0/keys`)
    expect(body['authorization_endpoint']).toBe(`${emu.authorityHost}/${emu.tenantId}/oauth2/v2.0/authorize`)
    expect(body['token_endpoint_auth_methods_supported']).toEqual([
      'client_secret_post',
      'private_key_jwt',
      'client_secret_basic',
    ])
    expect(headers.get('cache-control')).toContain('max-age=86400')
  })

  it('resolves a tenant named by domain to GUID endpoints', async () => {
    const { status, body } = await getJson(
      `${emu.authorityHost}/${emu.tenant.domain}/v2.0/.well-known/openid-configuration`,
    )
    expect(status).toBe(200)
    expect(body['token_endpoint']).toBe(emu.tokenEndpoint())
  })

  it('templates the issuer for /organizations', async () => {
    const { body } = await getJson(`${emu.authorityHost}/organizations/v2.0/.well-known/openid-configuration`)
    expect(body['issuer']).toBe(`${emu.authorityHost}/{tenantid}/v2.0`)
  })

  it('answers AADSTS90002 invalid_tenant for an unknown tenant', async () => {
    const { status, body } = await getJson(
      `${emu.authorityHost}/00000000-0000-0000-0000-000000000001/v2.0/.well-known/openid-configuration`,
    )
    expect(status).toBe(400)
    expect(body['error']).toBe('invalid_tenant')
    expect(body['error_codes']).toEqual([90002])
    expect(String(body['error_description'])).toMatch(/^AADSTS90002: /)
  })

  it('answers AADSTS90002 on the token endpoint of an unknown tenant', async () => {
    const answer = await postToken(emu, oboForm(emu), { tenant: 'unknown.onmicrosoft.com' })
    expect(answer.status).toBe(400)
    expect(answer.body['error_codes']).toEqual([90002])
  })
})

describe('JWKS', () => {
  it('publishes the signing key with kid = x5t, x5c and issuer', async () => {
    const { body } = await getJson(emu.jwksUri())
    const keys = body['keys'] as Record<string, unknown>[]
    expect(keys).toHaveLength(1)
    const key = keys[0] ?? {}
    expect(key['kty']).toBe('RSA')
    expect(key['use']).toBe('sig')
    expect(key['kid']).toBe(key['x5t'])
    expect(key['issuer']).toBe(`${emu.authorityHost}/${emu.tenantId}/v2.0`)
    const x5c = key['x5c'] as string[]
    const der = Buffer.from(x5c[0] ?? '', 'base64')
    expect(createHash('sha1').update(der).digest('base64url')).toBe(key['x5t'])
    // The certificate's key is the JWK's key.
    const fromCert = new X509Certificate(der).publicKey.export({ format: 'jwk' })
    expect(fromCert.n).toBe(key['n'])
  })

  it("validates an issued token with jose's createRemoteJWKSet + jwtVerify (issuer and audience)", async () => {
    const jwks = createRemoteJWKSet(new URL(emu.jwksUri()), { [customFetch]: emulatorFetch(emu) })
    const token = emu.issueUserToken({ user: emu.defaults.users.plain })
    const { payload, protectedHeader } = await jwtVerify(token, jwks, {
      issuer: emu.issuer(),
      audience: emu.defaults.middleTier.clientId,
    })
    expect(protectedHeader.alg).toBe('RS256')
    expect(payload['oid']).toBe(emu.defaults.users.plain.oid)
    const obo = await postToken(emu, oboForm(emu))
    const verified = await jwtVerify(String(obo.body['access_token']), jwks, {
      issuer: emu.issuer(),
      audience: emu.defaults.downstream.clientId,
    })
    expect(verified.payload['azp']).toBe(emu.defaults.middleTier.clientId)
    await expect(
      jwtVerify(token, jwks, { issuer: emu.issuer(), audience: emu.defaults.downstream.clientId }),
    ).rejects.toThrow()
  })
})

describe('instance discovery', () => {
  const discover = (
    authorizationEndpoint: string,
  ): Promise<{ status: number; body: Record<string, unknown>; headers: Headers }> =>
    getJson(
      `${emu.authorityHost}/common/discovery/instance?api-version=1.1&authorization_endpoint=${encodeURIComponent(authorizationEndpoint)}`,
    )

  it("answers in Entra's shape with a tenant discovery endpoint that resolves", async () => {
    const { status, body } = await discover(`${emu.authorityHost}/${emu.tenantId}/oauth2/v2.0/authorize`)
    expect(status).toBe(200)
    expect(body['api-version']).toBe('1.1')
    expect(body['tenant_discovery_endpoint']).toBe(emu.openIdConfigurationUrl())
    const metadata = body['metadata'] as { preferred_network: string; preferred_cache: string; aliases: string[] }[]
    expect(metadata[0]?.preferred_network).toBe(emu.host)
    expect(metadata[0]?.aliases).toContain(`localhost:${emu.port}`)
    const oidc = await getJson(String(body['tenant_discovery_endpoint']))
    expect(oidc.status).toBe(200)
  })

  it('answers AADSTS50049 invalid_instance for a host it is not', async () => {
    const { status, body } = await discover(`https://login.example.com/${emu.tenantId}/oauth2/v2.0/authorize`)
    expect(status).toBe(400)
    expect(body['error']).toBe('invalid_instance')
    expect(body['error_codes']).toEqual([50049])
    expect(String(body['error_description'])).toMatch(/^AADSTS50049: /)
  })
})

describe('other routes', () => {
  it('answers 404 for unknown paths and AADSTS900561 for GET on the token endpoint', async () => {
    expect((await emu.fetch(`${emu.authorityHost}/nothing/here`)).status).toBe(404)
    const { status, body } = await getJson(emu.tokenEndpoint())
    expect(status).toBe(400)
    expect(body['error_codes']).toEqual([900561])
  })
})

describe('emu.httpsAgent', () => {
  it('lets node:https trust the emulator', async () => {
    const { get } = await import('node:https')
    const status = await new Promise<number | undefined>((resolve, reject) => {
      get(emu.jwksUri(), { agent: emu.httpsAgent }, (res) => {
        res.resume()
        resolve(res.statusCode)
      }).on('error', reject)
    })
    expect(status).toBe(200)
  })
})
