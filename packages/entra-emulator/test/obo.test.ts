import { generateKeyPairSync } from 'node:crypto'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { startEmulator } from '../src/index.ts'
import type { EntraEmulator } from '../src/index.ts'
import { claimsOf, clientAssertion, entraError, oboForm, oboFormWithAssertion, postToken } from './helpers.ts'

let emu: EntraEmulator

beforeAll(async () => {
  emu = await startEmulator()
})
afterAll(async () => {
  await emu.close()
})
beforeEach(() => {
  emu.clearRequests()
})

describe('OBO success', () => {
  it('exchanges a user assertion for a downstream token with a secret in the body', async () => {
    const user = emu.defaults.users.plain
    const answer = await postToken(
      emu,
      oboForm(emu, { scope: `${emu.defaults.downstream.scopes[0]} openid profile offline_access`, client_info: '1' }),
    )
    expect(answer.status).toBe(200)
    expect(answer.headers.get('cache-control')).toBe('no-store, no-cache')
    expect(answer.headers.get('pragma')).toBe('no-cache')
    const body = answer.body
    expect(body['token_type']).toBe('Bearer')
    expect(body['scope']).toBe(emu.defaults.downstream.scopes[0])
    expect(body['expires_in']).toBe(3600)
    expect(body['ext_expires_in']).toBe(3600)
    expect(body['refresh_in']).toBeUndefined()
    expect(typeof body['refresh_token']).toBe('string')
    const clientInfo = JSON.parse(Buffer.from(String(body['client_info']), 'base64url').toString('utf8')) as unknown
    expect(clientInfo).toEqual({ uid: user.oid, utid: emu.tenantId })
    const at = claimsOf(body['access_token'])
    expect(at['aud']).toBe(emu.defaults.downstream.clientId)
    expect(at['iss']).toBe(emu.issuer())
    expect(at['tid']).toBe(emu.tenantId)
    expect(at['oid']).toBe(user.oid)
    expect(at['azp']).toBe(emu.defaults.middleTier.clientId)
    expect(at['azpacr']).toBe('1')
    expect(at['scp']).toBe('Documents.Read')
    expect(at['ver']).toBe('2.0')
    expect(typeof at['uti']).toBe('string')
    expect(Number(at['exp']) - Number(at['iat'])).toBe(3600)
    expect(at['nbf']).toBe(at['iat'])
    expect(at['xms_cc']).toBeUndefined()
    const assertionSub = claimsOf(emu.issueUserToken({ user }))['sub']
    expect(at['sub']).not.toBe(assertionSub) // pairwise per recipient
    const id = claimsOf(body['id_token'])
    expect(id['aud']).toBe(emu.defaults.middleTier.clientId)
    expect(id['sub']).toBe(assertionSub) // the middle tier's pairwise sub
  })

  it('authenticates with HTTP Basic (urlencoded id:secret)', async () => {
    const mt = emu.defaults.middleTier
    const basic = Buffer.from(`${encodeURIComponent(mt.clientId)}:${encodeURIComponent(mt.clientSecret)}`).toString(
      'base64',
    )
    const answer = await postToken(emu, oboForm(emu, { client_id: undefined, client_secret: undefined }), {
      headers: { authorization: `Basic ${basic}` },
    })
    expect(answer.status).toBe(200)
    expect(claimsOf(answer.body['access_token'])['azpacr']).toBe('1')
  })

  it('authenticates with private_key_jwt: PS256 + x5t#S256', async () => {
    const answer = await postToken(emu, await oboFormWithAssertion(emu, { alg: 'PS256' }))
    expect(answer.status).toBe(200)
    expect(claimsOf(answer.body['access_token'])['azpacr']).toBe('2')
  })

  it('authenticates with private_key_jwt: RS256 + x5t', async () => {
    const answer = await postToken(emu, await oboFormWithAssertion(emu, { alg: 'RS256' }))
    expect(answer.status).toBe(200)
  })

  it('accepts a reused client assertion (same jti) as Entra does', async () => {
    const assertion = await clientAssertion(emu, { jti: 'fixed-jti' })
    const form = await oboFormWithAssertion(emu, {}, { client_assertion: assertion })
    expect((await postToken(emu, form)).status).toBe(200)
    expect((await postToken(emu, form)).status).toBe(200)
  })

  it('accepts a client assertion whose aud names the tenant by domain', async () => {
    const aud = `${emu.authorityHost}/${emu.tenant.domain}/oauth2/v2.0/token`
    const answer = await postToken(emu, await oboFormWithAssertion(emu, { aud }), { tenant: emu.tenant.domain })
    expect(answer.status).toBe(200)
  })

  it('accepts `+` for spaces, MSAL telemetry in body, query and headers, and echoes client-request-id', async () => {
    const form = oboForm(emu, {
      scope: `${emu.defaults.downstream.scopes[0]} openid`,
      'x-client-SKU': 'msal.js.node',
      'x-client-VER': '7.2.3',
      'x-ms-lib-capability': 'retry-after, h429',
      'client-request-id': 'ignored-in-body',
    })
    const body = form.toString() // URLSearchParams encodes spaces as '+'
    expect(body).toContain('+openid')
    const answer = await postToken(emu, body, {
      query: '?client-request-id=11111111-2222-4333-8444-555555555555',
      headers: { 'x-client-sku': 'MSAL.Python', 'x-app-name': 'tests' },
    })
    expect(answer.status).toBe(200)
    expect(answer.headers.get('client-request-id')).toBe('11111111-2222-4333-8444-555555555555')
    expect(emu.requests.at(-1)?.form['x-client-SKU']).toBe('msal.js.node')
    expect(emu.requests.at(-1)?.query['client-request-id']).toBe('11111111-2222-4333-8444-555555555555')
  })

  it('grants all exposed scopes for /.default and no refresh token without offline_access', async () => {
    const answer = await postToken(emu, oboForm(emu, { scope: emu.defaults.downstream.defaultScope }))
    expect(answer.status).toBe(200)
    expect(claimsOf(answer.body['access_token'])['scp']).toBe('Documents.Read Documents.ReadWrite')
    // As Entra: the granted scopes, then the requested .default (clients find their cached token by it).
    expect(answer.body['scope']).toBe(
      [...emu.defaults.downstream.scopes, emu.defaults.downstream.defaultScope].join(' '),
    )
    expect(answer.body['refresh_token']).toBeUndefined()
    expect(answer.body['id_token']).toBeUndefined()
  })

  it('accepts an assertion whose aud is the App ID URI', async () => {
    const assertion = emu.issueUserToken({ user: emu.defaults.users.plain, audience: emu.defaults.middleTier.appIdUri })
    expect((await postToken(emu, oboForm(emu, { assertion }))).status).toBe(200)
  })
})

describe('OBO error shape', () => {
  it("answers in Entra's shape: error, AADSTS description, integer codes, timestamp, trace and correlation IDs, error_uri", async () => {
    const answer = await postToken(emu, oboForm(emu, { client_secret: 'wrong' }), {
      headers: { 'client-request-id': 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee' },
    })
    const body = answer.body
    expect(answer.status).toBe(401)
    expect(body['error']).toBe('invalid_client')
    expect(body['error_codes']).toEqual([7000215])
    expect(String(body['error_description'])).toMatch(
      /^AADSTS7000215: .* Trace ID: [0-9a-f-]{36} Correlation ID: aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee Timestamp: \d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$/,
    )
    expect(body['timestamp']).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$/)
    expect(body['trace_id']).toBe(answer.headers.get('x-ms-request-id'))
    expect(body['correlation_id']).toBe('aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee')
    expect(body['error_uri']).toBe(`${emu.authorityHost}/error?code=7000215`)
    expect(answer.headers.get('cache-control')).toBe('no-store, no-cache')
    // The secret never appears in the answer.
    expect(JSON.stringify(body)).not.toContain('wrong')
  })
})

describe('client authentication errors', () => {
  it('7000215 for a wrong secret (also with Basic, with a Basic challenge)', async () => {
    expect(entraError(await postToken(emu, oboForm(emu, { client_secret: 'nope' }))).codes).toEqual([7000215])
    const basic = Buffer.from(`${emu.defaults.middleTier.clientId}:nope`).toString('base64')
    const answer = await postToken(emu, oboForm(emu, { client_secret: undefined }), {
      headers: { authorization: `Basic ${basic}` },
    })
    expect(answer.status).toBe(401)
    expect(answer.body['error_codes']).toEqual([7000215])
    expect(answer.headers.get('www-authenticate')).toMatch(/^Basic/)
  })

  it('7000218 when no credential is sent', async () => {
    const answer = await postToken(emu, oboForm(emu, { client_secret: undefined }))
    expect(answer.status).toBe(401)
    expect(entraError(answer)).toMatchObject({ error: 'invalid_client', codes: [7000218] })
  })

  it('700027 for an assertion signed by another key', async () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
    const answer = await postToken(
      emu,
      await oboFormWithAssertion(emu, {
        privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      }),
    )
    expect(answer.status).toBe(401)
    expect(entraError(answer)).toMatchObject({ error: 'invalid_client', codes: [700027] })
  })

  it('700027 for an unregistered thumbprint or no thumbprint', async () => {
    const unknown = await postToken(emu, await oboFormWithAssertion(emu, { header: { 'x5t#S256': 'A'.repeat(43) } }))
    expect(entraError(unknown)).toMatchObject({ error: 'invalid_client', codes: [700027] })
    const none = await postToken(emu, await oboFormWithAssertion(emu, { header: {} }))
    expect(entraError(none).codes).toEqual([700027])
  })

  it('50012 when the assertion aud is not this token endpoint', async () => {
    const answer = await postToken(
      emu,
      await oboFormWithAssertion(emu, { aud: 'https://login.microsoftonline.com/x/oauth2/v2.0/token' }),
    )
    expect(answer.status).toBe(401)
    expect(entraError(answer)).toMatchObject({ error: 'invalid_client', codes: [50012] })
  })

  it('700024 for an expired assertion or one living longer than 10 minutes', async () => {
    const expired = await postToken(
      emu,
      await oboFormWithAssertion(emu, { iatOffsetSeconds: -3600, lifetimeSeconds: 600 }),
    )
    expect(entraError(expired).codes).toEqual([700024])
    const tooLong = await postToken(emu, await oboFormWithAssertion(emu, { lifetimeSeconds: 3600 }))
    expect(entraError(tooLong).codes).toEqual([700024])
  })

  it('50048 when sub differs from iss', async () => {
    const answer = await postToken(emu, await oboFormWithAssertion(emu, { sub: 'someone-else' }))
    expect(entraError(answer).codes).toEqual([50048])
  })

  it('700016 unauthorized_client for an unknown app or an app of another tenant', async () => {
    const answer = await postToken(emu, oboForm(emu, { client_id: '00000000-0000-4000-8000-000000000099' }))
    expect(answer.status).toBe(400)
    expect(entraError(answer)).toMatchObject({ error: 'unauthorized_client', codes: [700016] })
    const other = emu.addTenant()
    const foreign = emu.registerApp({ tenantId: other.id, clientSecret: 'x' })
    const cross = await postToken(emu, oboForm(emu, { client_id: foreign.clientId, client_secret: 'x' }))
    expect(entraError(cross).codes).toEqual([700016])
  })
})

describe('user assertion errors', () => {
  it('50013 for a malformed assertion, a bad signature or a foreign issuer', async () => {
    const malformed = await postToken(emu, oboForm(emu, { assertion: 'not-a-jwt' }))
    expect(malformed.status).toBe(400)
    expect(entraError(malformed)).toMatchObject({ error: 'invalid_grant', codes: [50013] })
    const good = emu.issueUserToken({ user: emu.defaults.users.plain })
    const [h, p, s] = good.split('.')
    const tampered = `${h}.${p}.${(s ?? '').slice(0, -4)}AAAA`
    expect(entraError(await postToken(emu, oboForm(emu, { assertion: tampered }))).codes).toEqual([50013])
    const other = await startEmulator()
    try {
      // Same process-wide key, different issuer: still rejected.
      const foreign = other.issueUserToken({
        user: other.defaults.users.plain,
        audience: emu.defaults.middleTier.clientId,
        tenantId: other.tenantId,
      })
      expect(entraError(await postToken(emu, oboForm(emu, { assertion: foreign }))).codes).toEqual([50013])
    } finally {
      await other.close()
    }
  })

  it('500133 for an expired user assertion', async () => {
    const assertion = emu.issueUserToken({
      user: emu.defaults.users.plain,
      issuedAt: Math.floor(Date.now() / 1000) - 7200,
      lifetimeSeconds: 3600,
    })
    const answer = await postToken(emu, oboForm(emu, { assertion }))
    expect(answer.status).toBe(400)
    expect(entraError(answer)).toMatchObject({ error: 'invalid_grant', codes: [500133] })
  })

  it('500131 when the assertion was issued for another audience', async () => {
    const assertion = emu.issueUserToken({ user: emu.defaults.users.plain, audience: emu.defaults.downstream.clientId })
    const answer = await postToken(emu, oboForm(emu, { assertion }))
    expect(answer.status).toBe(400)
    expect(entraError(answer)).toMatchObject({ error: 'invalid_grant', codes: [500131] })
    expect(String(answer.body['error_description'])).toContain(emu.defaults.middleTier.clientId)
  })

  it('rejects an app-only assertion (7000114)', async () => {
    const assertion = emu.issueUserToken({ appOnly: true })
    expect(claimsOf(assertion)['idtyp']).toBe('app')
    const answer = await postToken(emu, oboForm(emu, { assertion }))
    expect(answer.status).toBe(400)
    expect(entraError(answer)).toMatchObject({ error: 'invalid_grant', codes: [7000114] })
  })

  it('rejects an id_token as assertion (240002)', async () => {
    const obo = await postToken(emu, oboForm(emu, { scope: `${emu.defaults.downstream.scopes[0]} openid` }))
    const answer = await postToken(emu, oboForm(emu, { assertion: String(obo.body['id_token']) }))
    expect(entraError(answer).codes).toEqual([240002])
  })

  it('50057 for a disabled user', async () => {
    const assertion = emu.issueUserToken({ user: emu.defaults.users.disabled })
    expect(entraError(await postToken(emu, oboForm(emu, { assertion }))).codes).toEqual([50057])
  })

  it('90014 without requested_token_use, 900144 without assertion', async () => {
    expect(entraError(await postToken(emu, oboForm(emu, { requested_token_use: undefined }))).codes).toEqual([90014])
    expect(entraError(await postToken(emu, oboForm(emu, { assertion: undefined }))).codes).toEqual([900144])
  })
})

describe('scopes', () => {
  it('70011 invalid_scope for an unknown permission, no resource, or .default mixed in', async () => {
    const unknown = await postToken(emu, oboForm(emu, { scope: `${emu.defaults.downstream.appIdUri}/Nope.Write` }))
    expect(unknown.status).toBe(400)
    expect(entraError(unknown)).toMatchObject({ error: 'invalid_scope', codes: [70011] })
    expect(entraError(await postToken(emu, oboForm(emu, { scope: 'openid profile' }))).codes).toEqual([70011])
    const mixed = `${emu.defaults.downstream.defaultScope} ${emu.defaults.downstream.scopes[0]}`
    expect(entraError(await postToken(emu, oboForm(emu, { scope: mixed }))).codes).toEqual([70011])
  })

  it('700022 for scopes of two resources, 500011 for an unknown resource', async () => {
    const two = `${emu.defaults.downstream.scopes[0]} https://graph.microsoft.com/User.Read`
    expect(entraError(await postToken(emu, oboForm(emu, { scope: two }))).codes).toEqual([700022])
    const missing = await postToken(emu, oboForm(emu, { scope: 'api://unknown-api/Read' }))
    expect(entraError(missing)).toMatchObject({ error: 'invalid_resource', codes: [500011] })
  })

  it('reads a bare permission as Microsoft Graph', async () => {
    const answer = await postToken(emu, oboForm(emu, { scope: 'User.Read' }))
    expect(answer.status).toBe(200)
    expect(claimsOf(answer.body['access_token'])['aud']).toBe('00000003-0000-0000-c000-000000000000')
  })
})

describe('scenarios', () => {
  it('65001 invalid_grant with suberror consent_required for a user who has not consented', async () => {
    const assertion = emu.issueUserToken({ user: emu.defaults.users.consentMissing })
    const answer = await postToken(emu, oboForm(emu, { assertion }))
    expect(answer.status).toBe(400)
    expect(entraError(answer)).toMatchObject({ error: 'invalid_grant', codes: [65001] })
    expect(answer.body['suberror']).toBe('consent_required')
  })

  it('consent missing for one resource only', async () => {
    const user = emu.addUser({ consentMissing: [emu.defaults.graph.appIdUri] })
    const assertion = emu.issueUserToken({ user })
    expect((await postToken(emu, oboForm(emu, { assertion }))).status).toBe(200)
    expect(entraError(await postToken(emu, oboForm(emu, { assertion, scope: 'User.Read' }))).codes).toEqual([65001])
  })

  it('50076 interaction_required with a claims challenge, then success once the user did MFA', async () => {
    const user = emu.defaults.users.mfa
    const first = await postToken(emu, oboForm(emu, { assertion: emu.issueUserToken({ user }) }))
    expect(first.status).toBe(400)
    expect(entraError(first)).toMatchObject({ error: 'interaction_required', codes: [50076] })
    expect(first.body['suberror']).toBe('basic_action')
    const claims = String(first.body['claims'])
    expect(claims).toBe(emu.mfaClaimsChallenge)
    expect(JSON.parse(claims)).toMatchObject({ access_token: { capolids: { essential: true } } })
    // Echoing the challenge on the OBO request does not satisfy MFA (Entra needs the user).
    const echoed = await postToken(emu, oboForm(emu, { assertion: emu.issueUserToken({ user }), claims }))
    expect(entraError(echoed).codes).toEqual([50076])
    // The front end re-acquires with the claims: the new token carries amr mfa and OBO succeeds.
    const stepUp = emu.issueUserToken({ user, claims })
    expect(claimsOf(stepUp)['amr']).toEqual(['pwd', 'mfa'])
    expect((await postToken(emu, oboForm(emu, { assertion: stepUp, claims }))).status).toBe(200)
    expect((await postToken(emu, oboForm(emu, { assertion: emu.issueUserToken({ user, mfa: true }) }))).status).toBe(
      200,
    )
  })

  it('MFA by a resource policy (requiresMfa) applies to every user', async () => {
    const api = emu.registerApp({ appIdUri: true, scopes: ['Secrets.Read'], requiresMfa: true })
    const answer = await postToken(emu, oboForm(emu, { scope: api.fullScopes[0] }))
    expect(entraError(answer).codes).toEqual([50076])
  })

  it('optionally accepts the echoed challenge (mfaSatisfiedByClaimsRequest)', async () => {
    const lenient = await startEmulator({ mfaSatisfiedByClaimsRequest: true })
    try {
      const user = lenient.defaults.users.mfa
      const answer = await postToken(
        lenient,
        oboForm(lenient, { assertion: lenient.issueUserToken({ user }), claims: lenient.mfaClaimsChallenge }),
      )
      expect(answer.status).toBe(200)
    } finally {
      await lenient.close()
    }
  })

  it('CAE: a cp1 claims request gives xms_cc and the long CAE lifetime', async () => {
    const claims = JSON.stringify({ access_token: { xms_cc: { values: ['CP1'] } } })
    const answer = await postToken(emu, oboForm(emu, { claims }))
    expect(answer.status).toBe(200)
    const at = claimsOf(answer.body['access_token'])
    expect(at['xms_cc']).toEqual(['cp1'])
    expect(answer.body['expires_in']).toBe(86_400)
    expect(answer.body['refresh_in']).toBe(43_200)
  })

  it('90014 for a claims parameter that is not JSON', async () => {
    expect(entraError(await postToken(emu, oboForm(emu, { claims: '{nope' }))).codes).toEqual([90014])
  })
})
