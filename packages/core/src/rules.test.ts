import { describe, expect, it } from 'vitest'
import { normalizeAuthorityHost } from './authority.ts'
import { deriveCacheKey } from './cache-key.ts'
import { caeClaims, mergeClaims } from './claims.ts'
import { OAuthError, oauthErrorFromBody, renderClaimsChallenge } from './errors.ts'
import { decodeJwtPayload, jwtExpiresAt } from './jwt.ts'
import { normalizeScopes, scopeKey } from './scopes.ts'
import { assertTenantId, resolveTenant } from './tenant.ts'

describe('tenant rules', () => {
  it('accepts GUIDs and domains, refuses other characters with a TypeError naming the argument', () => {
    expect(() => assertTenantId('72f988bf-86f1-41af-91ab-2d7cd011db47')).not.toThrow()
    expect(() => assertTenantId('contoso.onmicrosoft.com')).not.toThrow()
    for (const bad of ['', 'a/b', 'a b', 'tenant?x', '../etc', 'tenant\n', 42]) {
      expect(() => assertTenantId(bad, 'tenantId')).toThrow(/tenantId/)
      expect(() => assertTenantId(bad)).toThrow(TypeError)
    }
  })

  it('resolves the tenant as Azure Identity does', () => {
    const base = { configuredTenant: 'home' }
    expect(resolveTenant(base)).toBe('home')
    expect(resolveTenant({ ...base, requestedTenant: 'home' })).toBe('home')
    expect(resolveTenant({ ...base, requestedTenant: 'other', additionallyAllowedTenants: ['other'] })).toBe('other')
    expect(resolveTenant({ ...base, requestedTenant: 'OTHER', additionallyAllowedTenants: ['other'] })).toBe('OTHER')
    expect(resolveTenant({ ...base, requestedTenant: 'any', additionallyAllowedTenants: ['*'] })).toBe('any')
    expect(resolveTenant({ ...base, requestedTenant: 'other', disableMultiTenantAuth: true })).toBe('home')
    expect(resolveTenant({ configuredTenant: 'adfs', requestedTenant: 'other' })).toBe('adfs')
    expect(() => resolveTenant({ ...base, requestedTenant: 'other' })).toThrow(
      expect.objectContaining({
        code: 'TENANT_NOT_ALLOWED',
        message: expect.stringMatching(/additionallyAllowedTenants.*"\*"/),
      }),
    )
    expect(() => resolveTenant({ ...base, requestedTenant: 'bad/tenant', additionallyAllowedTenants: ['*'] })).toThrow(
      TypeError,
    )
  })
})

describe('normalizeAuthorityHost', () => {
  it('adds https and reduces to the origin', () => {
    expect(normalizeAuthorityHost('login.microsoftonline.com')).toBe('https://login.microsoftonline.com')
    expect(normalizeAuthorityHost('https://login.microsoftonline.com/')).toBe('https://login.microsoftonline.com')
    expect(normalizeAuthorityHost('https://127.0.0.1:8443')).toBe('https://127.0.0.1:8443')
  })

  it('adds https to a host with a port and no scheme (issue 13 item 9)', () => {
    expect(normalizeAuthorityHost('login.example.com:8443')).toBe('https://login.example.com:8443')
    expect(normalizeAuthorityHost('localhost:8443/')).toBe('https://localhost:8443')
    expect(normalizeAuthorityHost('127.0.0.1:8443')).toBe('https://127.0.0.1:8443')
    // A real scheme is still read as one.
    expect(() => normalizeAuthorityHost('http://login.example.com:8443')).toThrow(/must use https/)
  })

  it('refuses http, other schemes, user info and garbage with a TypeError naming the argument', () => {
    for (const bad of [
      'http://login.microsoftonline.com',
      'ftp://x',
      'https://user:pw@host',
      'https://h/?q=1',
      'https://',
      '',
    ]) {
      expect(() => normalizeAuthorityHost(bad, 'authority')).toThrow(TypeError)
      expect(() => normalizeAuthorityHost(bad, 'authority')).toThrow(/authority/)
    }
  })
})

describe('scopes', () => {
  it('normalises a string or array and refuses empty or hostile scopes', () => {
    expect(normalizeScopes('a')).toEqual(['a'])
    expect(normalizeScopes(['a', 'b'])).toEqual(['a', 'b'])
    for (const bad of [[], [''], ['a b'], ['a"b'], ['a\nb'], [42 as unknown as string], ['x'.repeat(2000)]]) {
      expect(() => normalizeScopes(bad)).toThrow(TypeError)
    }
  })

  it('says scopes are a string or an array when given something else, e.g. { scopes } (issue 13 item 10)', () => {
    expect(() => normalizeScopes({ scopes: ['a'] } as unknown as string)).toThrow(
      /getToken expects the scopes as a string or an array of strings \(got an object\)/,
    )
    expect(() => normalizeScopes(undefined as unknown as string)).toThrow(
      /a string or an array of strings \(got undefined\)/,
    )
  })

  it('keys scope sets independent of order and duplicates', () => {
    expect(scopeKey(['b', 'a', 'b'])).toBe(scopeKey(['a', 'b']))
    expect(scopeKey(['a'])).toBe('a')
  })
})

describe('claims', () => {
  it('adds the CAE capability and merges it into caller claims', () => {
    expect(mergeClaims(undefined, false)).toBeUndefined()
    expect(mergeClaims(undefined, true)).toBe(caeClaims)
    const merged = JSON.parse(mergeClaims('{"access_token":{"acrs":{"essential":true,"value":"c1"}}}', true)!)
    expect(merged).toEqual({ access_token: { acrs: { essential: true, value: 'c1' }, xms_cc: { values: ['cp1'] } } })
    expect(mergeClaims('{"id_token":{}}', false)).toBe('{"id_token":{}}')
  })

  it('refuses claims that are not a JSON object', () => {
    for (const bad of ['not json', '[]', '"x"', 'eyJ0eXAi']) {
      expect(() => mergeClaims(bad, true)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }))
    }
  })
})

describe('decodeJwtPayload', () => {
  it('reads a payload and its exp, and returns undefined for anything else', () => {
    const payload = Buffer.from(JSON.stringify({ exp: 1700000000, name: 'é' })).toString('base64url')
    expect(decodeJwtPayload(`e30.${payload}.sig`)).toEqual({ exp: 1700000000, name: 'é' })
    expect(jwtExpiresAt(`e30.${payload}.sig`)).toBe(1700000000000)
    for (const bad of ['', 'a.b', 'a..c', 'a.!!!.c', `e30.${Buffer.from('[1]').toString('base64url')}.s`, 'a.b.c.d']) {
      expect(decodeJwtPayload(bad)).toBeUndefined()
    }
  })
})

describe('deriveCacheKey', () => {
  const base = { partition: 'p'.repeat(64), tenantId: 't', scopes: ['s'], enableCae: false, userAssertion: 'u' }

  it('is a hash that never contains the assertion', () => {
    const assertion = 'eyJhbGciOi.secret-assertion.sig'
    const key = deriveCacheKey({ ...base, userAssertion: assertion })
    expect(key).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(key).not.toContain('secret')
  })

  it('differs for every field and ignores scope order and tenant case', () => {
    const keys = new Set([
      deriveCacheKey(base),
      deriveCacheKey({ ...base, partition: 'q'.repeat(64) }),
      deriveCacheKey({ ...base, tenantId: 't2' }),
      deriveCacheKey({ ...base, scopes: ['s2'] }),
      deriveCacheKey({ ...base, enableCae: true }),
      deriveCacheKey({ ...base, userAssertion: 'u2' }),
    ])
    expect(keys.size).toBe(6)
    expect(deriveCacheKey({ ...base, scopes: ['a', 'b'] })).toBe(deriveCacheKey({ ...base, scopes: ['b', 'a'] }))
    expect(deriveCacheKey({ ...base, tenantId: 'T' })).toBe(deriveCacheKey(base))
  })
})

describe('errors', () => {
  it('maps an Entra error body with all its fields and a code', () => {
    const error = oauthErrorFromBody(400, {
      error: 'interaction_required',
      error_description: 'AADSTS50076: Due to a configuration change ... Trace ID: x',
      error_codes: [50076],
      trace_id: 'trace',
      correlation_id: 'corr',
      timestamp: '2026-01-01 00:00:00Z',
      suberror: 'basic_action',
      claims: '{"access_token":{"capolids":{"essential":true,"values":["p"]}}}',
    })
    expect(error).toBeInstanceOf(OAuthError)
    expect(error).toMatchObject({
      code: 'INTERACTION_REQUIRED',
      status: 400,
      errorCodes: [50076],
      traceId: 'trace',
      correlationId: 'corr',
      suberror: 'basic_action',
      name: 'OAuthError',
    })
    expect(error.message).toMatch(/AADSTS50076/)
    expect(error.message).not.toMatch(/Trace ID/)
    const header = error.toWwwAuthenticate()!
    expect(header).toMatch(/^Bearer error="insufficient_claims", claims="[A-Za-z0-9+/=]+"$/)
    const b64 = /claims="([^"]+)"/.exec(header)![1]!
    expect(JSON.parse(Buffer.from(b64, 'base64').toString('utf8'))).toEqual(JSON.parse(error.claims!))
  })

  it('renders one WWW-Authenticate behaviour: claims challenge, interaction without claims, nothing otherwise', () => {
    const consent = oauthErrorFromBody(400, { error: 'invalid_grant', suberror: 'consent_required' })
    expect(consent.toWwwAuthenticate()).toBe(
      'Bearer error="interaction_required", error_description="consent_required"',
    )
    expect(oauthErrorFromBody(400, { error: 'interaction_required' }).toWwwAuthenticate()).toBe(
      'Bearer error="interaction_required", error_description="interaction_required"',
    )
    expect(oauthErrorFromBody(400, { error: 'invalid_grant' }).toWwwAuthenticate()).toBeUndefined()
  })

  it('names the federated identity credential and its propagation delay for AADSTS70021 and its variants', () => {
    for (const code of [70021, 700211, 700212, 700213]) {
      const error = oauthErrorFromBody(400, { error: 'invalid_request', error_codes: [code] })
      expect(error.message).toMatch(/federated identity credential/)
      expect(error.message).toMatch(/can take minutes to propagate/)
    }
    expect(oauthErrorFromBody(400, { error: 'invalid_request', error_codes: [50011] }).message).not.toMatch(/federated/)
  })

  it('classifies codes and drops fields of the wrong type', () => {
    expect(oauthErrorFromBody(400, { error: 'invalid_grant', error_codes: [500133] }).code).toBe('INVALID_GRANT')
    expect(oauthErrorFromBody(401, { error: 'invalid_client' }).code).toBe('INVALID_CLIENT')
    expect(oauthErrorFromBody(400, { error: 'invalid_grant', suberror: 'consent_required' }).code).toBe(
      'INTERACTION_REQUIRED',
    )
    expect(oauthErrorFromBody(429, {}).code).toBe('THROTTLED')
    expect(oauthErrorFromBody(503, { error: 'temporarily_unavailable' }).code).toBe('SERVER_ERROR')
    const odd = oauthErrorFromBody(400, { error: 5, error_codes: 'x', claims: {} })
    expect(odd).toMatchObject({ error: 'unknown_error', errorCodes: [], claims: undefined })
    expect(renderClaimsChallenge('{"a":"é"}')).toBe(
      `Bearer error="insufficient_claims", claims="${Buffer.from('{"a":"é"}').toString('base64')}"`,
    )
  })
})
