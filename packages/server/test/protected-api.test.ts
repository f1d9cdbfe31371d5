/**
 * `createProtectedApi` against the real emulator over HTTPS: option validation, Entra's validation rules, the
 * JWKS refetch limit (counted at the emulator), and the OBO failures as HTTP answers.
 */
import { createPrivateKey, generateKeyPairSync } from 'node:crypto'
import { exportSPKI, importJWK, SignJWT } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ApiAuthError, createProtectedApi, requireRoles, requireScopes, type ProtectedApi } from '../src/index.ts'
import { startWorld, tokenParts, withHeader, withPayload, type World } from './fixtures.ts'

let world: World

beforeAll(async () => {
  world = await startWorld()
})

afterAll(async () => {
  await world.close()
})

function request(token: string | undefined): Request {
  return new Request(
    'http://127.0.0.1/api',
    token === undefined ? {} : { headers: { Authorization: `Bearer ${token}` } },
  )
}

async function refusal(
  api: ProtectedApi,
  token: string | undefined,
  ...args: Parameters<ProtectedApi['authenticate']>[1][]
): Promise<ApiAuthError> {
  const error: unknown = await api.authenticate(request(token), ...args).then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(ApiAuthError)
  const refused = error as ApiAuthError
  const body = JSON.stringify(refused.body) + refused.message + (refused.wwwAuthenticate ?? '')
  for (const part of token === undefined ? [] : tokenParts(token)) expect(body).not.toContain(part)
  return refused
}

function jwksRequests(): number {
  return world.emu.requests.filter((r) => r.endpoint === 'jwks').length
}

describe('createProtectedApi options', () => {
  it('throws TypeErrors naming the option', () => {
    const base = world.options()
    expect(() => createProtectedApi({ ...base, clientId: '' })).toThrow(/"clientId"/)
    expect(() => createProtectedApi({ ...base, tenantId: 'bad tenant' })).toThrow(/"tenantId"/)
    expect(() => createProtectedApi({ ...base, tenantId: 'organizations' })).toThrow(/"allowedTenants" is required/)
    expect(() => createProtectedApi({ ...base, allowedTenants: ['not-a-guid'] })).toThrow(/"allowedTenants\[0\]"/)
    expect(() => createProtectedApi({ ...base, authority: 'http://login.example' })).toThrow(/authority/)
    expect(() =>
      createProtectedApi({ ...base, downstreamApis: { graph: { baseUrl: 'nope', scopes: ['x'] } } }),
    ).toThrow(/"downstreamApis.graph.baseUrl"/)
    expect(() =>
      createProtectedApi({
        ...base,
        downstreamApis: { graph: { baseUrl: 'https://graph.microsoft.com', scopes: [] } },
      }),
    ).toThrow(/"downstreamApis.graph.scopes"/)
    // @ts-expect-error -- two client credentials: rejected by the types, and at run time for JavaScript callers.
    expect(() => createProtectedApi({ ...base, clientSecret: 's', clientCertificatePath: '/x.pem' })).toThrow(
      /more than one of the following/,
    )
    expect(() => createProtectedApi({ ...base, allowedClientApps: [] })).toThrow(/"allowedClientApps"/)
    expect(() =>
      createProtectedApi({ ...base, clientSecret: undefined, clientCertificate: 'not a certificate' }),
    ).toThrow(/"clientCertificate" is not a valid certificate/)
    expect(() => requireScopes()).toThrow(TypeError)
  })

  it('exposes what a resource-metadata layer needs', () => {
    const api = world.api({ scopes: ['access_as_user'] })
    expect(api.appIdUri).toBe(`api://${world.app.clientId}`)
    expect(api.authority).toBe(`${world.emu.authorityHost}/${world.emu.tenantId}/v2.0`)
    expect(api.scopes).toEqual([`api://${world.app.clientId}/access_as_user`])
  })
})

describe('token validation', () => {
  it('accepts a v2 token for the client ID and one for the App ID URI, and remembers them', async () => {
    const api = world.api()
    const caller = await api.authenticate(request(world.userToken()), requireScopes('access_as_user'))
    expect(caller.claims.oid).toBe(world.emu.defaults.users.plain.oid)
    expect(caller.scopes).toEqual(['access_as_user'])
    expect(caller.appOnly).toBe(false)
    const byUri = world.userToken(undefined, { audience: `api://${world.app.clientId}` })
    await api.authenticate(request(byUri))
    expect(api.stats().verifiedTokens).toBe(2)
    expect(api.stats().jwksFetches).toBe(1)
  })

  it('accepts a v1.0 token (sts.windows.net issuer from the v1 metadata, App ID URI audience) and exchanges it', async () => {
    const api = world.api()
    const token = world.userToken(undefined, {
      user: world.emu.defaults.users.plain,
      version: '1.0',
      audience: `api://${world.app.clientId}`,
    })
    const caller = await api.authenticate(request(token), requireScopes('access_as_user'))
    expect(caller.claims.ver).toBe('1.0')
    expect(caller.claims.iss).toBe(`https://sts.windows.net/${world.emu.tenantId}/`)
    expect(api.stats().metadataFetches).toBe(2)
    expect((await caller.fetch('docs', '/documents')).status).toBe(200)
    // A v1 token of another tenant on a multi-tenant API: the v1 template is filled with its tid.
    const multi = world.api({ tenantId: 'organizations', allowedTenants: [world.guest.tenantId] })
    const guest = await multi.authenticate(
      request(world.userToken(world.guest, { user: world.guest, version: '1.0', audience: world.app.clientId })),
    )
    expect(guest.claims.iss).toBe(`https://sts.windows.net/${world.guest.tenantId}/`)
    // A v1 token whose issuer is the v2 one is refused.
    const mixed = withPayload(token, (claims) => {
      claims['iss'] = world.emu.issuer()
    })
    expect((await refusal(api, mixed)).message).toBe('The token was not issued by the expected issuer.')
  })

  it('accepts a token from the Node request header shape as well', async () => {
    const api = world.api()
    const caller = await api.authenticate({ headers: { authorization: `Bearer ${world.userToken()}` } })
    expect(caller.tenantId).toBe(world.emu.tenantId)
  })

  it('refuses a missing or malformed Authorization header with 401 invalid_token', async () => {
    const api = world.api()
    const missing = await refusal(api, undefined)
    expect(missing.status).toBe(401)
    expect(missing.code).toBe('MISSING_TOKEN')
    expect(missing.wwwAuthenticate).toBe(
      'Bearer error="invalid_token", error_description="Send an access token for this API as \'Authorization: Bearer <token>\'."',
    )
    const garbage = await refusal(api, 'not-a-jwt')
    expect(garbage.code).toBe('INVALID_TOKEN')
  })

  it('refuses a wrong audience and a Microsoft Graph token', async () => {
    const api = world.api()
    const other = await refusal(api, world.emu.issueUserToken({ user: world.emu.defaults.users.plain }))
    expect(other.status).toBe(401)
    expect(other.wwwAuthenticate).toMatch(
      /^Bearer error="invalid_token", error_description="The token was issued for another audience/,
    )
    const graph = await refusal(
      api,
      world.emu.issueUserToken({ user: world.emu.defaults.users.plain, audience: 'https://graph.microsoft.com' }),
    )
    expect(graph.message).toMatch(/Microsoft Graph/)
  })

  it('applies exp and nbf with a 5 minute skew', async () => {
    const api = world.api()
    const now = Math.floor(Date.now() / 1000)
    // Expired 1 minute ago: inside the skew.
    await api.authenticate(
      request(
        world.userToken(undefined, {
          user: world.emu.defaults.users.plain,
          issuedAt: now - 3600,
          lifetimeSeconds: 3540,
        }),
      ),
    )
    const expired = await refusal(
      api,
      world.userToken(undefined, { user: world.emu.defaults.users.plain, issuedAt: now - 3600, lifetimeSeconds: 3200 }),
    )
    expect(expired.code).toBe('TOKEN_EXPIRED')
    expect(expired.wwwAuthenticate).toBe('Bearer error="invalid_token", error_description="The token has expired."')
    const early = await refusal(
      api,
      world.userToken(undefined, { user: world.emu.defaults.users.plain, issuedAt: now + 600 }),
    )
    expect(early.code).toBe('TOKEN_EXPIRED')
    expect(early.message).toMatch(/not valid yet/)
  })

  it('refuses a forged signature, alg none, and HS256 keyed with the public key', async () => {
    const api = world.api()
    const valid = world.userToken()
    await api.authenticate(request(valid))
    const forged = withPayload(valid, (claims) => {
      claims['oid'] = world.emu.defaults.users.mfa.oid
    })
    expect((await refusal(api, forged)).message).toBe('The token signature is invalid.')
    const none = withHeader(valid, { alg: 'none', typ: 'JWT' }).replace(/\.[^.]*$/, '.')
    expect((await refusal(api, none)).message).toMatch(/RS256/)
    const jwks = (await (await world.emu.fetch(world.emu.jwksUri())).json()) as { keys: Record<string, string>[] }
    const jwk = jwks.keys[0] as { n: string; e: string; kid: string }
    const publicKey = await importJWK({ kty: 'RSA', n: jwk.n, e: jwk.e }, 'RS256', { extractable: true })
    // tsc 7 types importJWK as CryptoKey | Uint8Array; the lint compiler (5.9) already narrows it.
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion
    const publicPem = await exportSPKI(publicKey as CryptoKey)
    const hs256 = await new SignJWT(
      JSON.parse(Buffer.from(valid.split('.')[1] ?? '', 'base64url').toString()) as Record<string, unknown>,
    )
      .setProtectedHeader({ alg: 'HS256', kid: jwk.kid })
      .sign(new TextEncoder().encode(publicPem))
    const refused = await refusal(api, hs256)
    expect(refused.status).toBe(401)
    expect(refused.message).toMatch(/RS256/)
  })

  it('refetches the keys once for an unknown kid per interval, then refuses', async () => {
    let offsetMs = 0
    const api = world.api({ now: () => Date.now() + offsetMs })
    await api.authenticate(request(world.userToken()))
    const before = jwksRequests()
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
    const payload = JSON.parse(Buffer.from(world.userToken().split('.')[1] ?? '', 'base64url').toString()) as Record<
      string,
      unknown
    >
    const signed = (kid: string): Promise<string> =>
      new SignJWT(payload)
        .setProtectedHeader({ alg: 'RS256', kid })
        .sign(createPrivateKey(privateKey.export({ format: 'pem', type: 'pkcs8' })))
    // Within the interval of the first fetch: no refetch.
    expect((await refusal(api, await signed('rotated-1'))).message).toBe(
      'The token was not signed by a key of the identity provider.',
    )
    expect(jwksRequests()).toBe(before)
    offsetMs = 301_000
    await refusal(api, await signed('rotated-2'))
    expect(jwksRequests()).toBe(before + 1)
    await refusal(api, await signed('rotated-3'))
    expect(jwksRequests()).toBe(before + 1)
    expect(api.stats().jwksFetches).toBe(2)
  })

  it('makes at most one JWKS refetch per interval for a storm of 10,000 random kids', async () => {
    let offsetMs = 0
    const api = world.api({ now: () => Date.now() + offsetMs })
    const valid = world.userToken()
    await api.authenticate(request(valid))
    const before = jwksRequests()
    offsetMs = 301_000
    const storm = Array.from({ length: 10_000 }, () =>
      api.authenticate(request(withHeader(valid, { alg: 'RS256', typ: 'JWT', kid: crypto.randomUUID() }))).then(
        () => 'accepted',
        (error: unknown) => (error instanceof ApiAuthError ? error.code : 'other'),
      ),
    )
    const outcomes = await Promise.all(storm)
    expect(new Set(outcomes)).toEqual(new Set(['INVALID_TOKEN']))
    expect(jwksRequests() - before).toBe(1)
    // A second storm in the same interval fetches nothing.
    const again = await Promise.all(
      Array.from({ length: 1_000 }, () =>
        api
          .authenticate(request(withHeader(valid, { alg: 'RS256', typ: 'JWT', kid: crypto.randomUUID() })))
          .catch(() => 'refused'),
      ),
    )
    expect(again.every((o) => o === 'refused')).toBe(true)
    expect(jwksRequests() - before).toBe(1)
    // The genuine token is still accepted (from memory).
    await api.authenticate(request(valid))
  }, 180_000)

  it('lets a multi-tenant API admit only the allowed tenants', async () => {
    const api = world.api({ tenantId: 'organizations', allowedTenants: [world.guest.tenantId] })
    const guest = await api.authenticate(request(world.userToken(world.guest)))
    expect(guest.tenantId).toBe(world.guest.tenantId)
    expect((await refusal(api, world.userToken(world.stranger))).code).toBe('TENANT_NOT_ALLOWED')
    expect((await refusal(api, world.userToken())).code).toBe('TENANT_NOT_ALLOWED')
    // A home tenant plus guests: both admitted, a stranger refused.
    const home = world.api({ allowedTenants: [world.guest.tenantId] })
    await home.authenticate(request(world.userToken()))
    await home.authenticate(request(world.userToken(world.guest)))
    expect((await refusal(home, world.userToken(world.stranger))).status).toBe(401)
    // '*' is explicit: any tenant.
    await world
      .api({ tenantId: 'organizations', allowedTenants: '*' })
      .authenticate(request(world.userToken(world.stranger)))
  })

  it('refuses a token from another tenant on a single-tenant API', async () => {
    const refused = await refusal(world.api(), world.userToken(world.guest))
    expect(refused.code).toBe('TENANT_NOT_ALLOWED')
  })
})

describe('metadata and keys', () => {
  it('tries a failed connection once more (a pooled socket the server closed), then serves', async () => {
    const paths: string[] = []
    let failed = false
    const flaky = (async (input: string | URL | Request, init?: RequestInit) => {
      const url = input instanceof Request ? input.url : input.toString()
      paths.push(new URL(url).pathname)
      if (!failed && url.endsWith('/discovery/v2.0/keys')) {
        failed = true
        throw new TypeError('fetch failed', {
          cause: Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }),
        })
      }
      return world.emu.fetch(url, init)
    }) as typeof fetch
    const api = world.api({ fetch: flaky })
    await api.authenticate(request(world.userToken()))
    expect(paths.filter((p) => p.endsWith('/discovery/v2.0/keys'))).toHaveLength(2)
  })

  it('answers 503 METADATA_UNAVAILABLE when Entra cannot be reached, and recovers', async () => {
    let down = true
    const api = world.api({
      fetch: (input: string | URL | Request, init?: RequestInit) =>
        down
          ? Promise.reject(new TypeError('fetch failed'))
          : world.emu.fetch(input instanceof Request ? input.url : input.toString(), init),
    })
    const token = world.userToken()
    const refused = await refusal(api, token)
    expect(refused.status).toBe(503)
    expect(refused.code).toBe('METADATA_UNAVAILABLE')
    expect(refused.wwwAuthenticate).toBeUndefined()
    down = false
    await api.authenticate(request(token))
  })
})

describe('validation-only APIs and client apps', () => {
  it('validates without a client credential, and says why it cannot call downstream', async () => {
    const { clientSecret: _omitted, ...noCredential } = world.options()
    const api = createProtectedApi(noCredential)
    const caller = await api.authenticate(request(world.userToken()))
    await expect(caller.getToken('docs')).rejects.toThrow(/no client credential/)
  })

  it('admits only the listed client apps (azp, or appid in v1 tokens)', async () => {
    const frontEnd = world.emu.defaults.frontEnd.clientId
    const api = world.api({ allowedClientApps: [frontEnd] })
    await api.authenticate(request(world.userToken()))
    await api.authenticate(
      request(world.userToken(undefined, { user: world.emu.defaults.users.plain, version: '1.0' })),
    )
    const other = await refusal(
      api,
      world.userToken(undefined, { user: world.emu.defaults.users.plain, clientId: world.daemon.clientId }),
    )
    expect(other.status).toBe(401)
    expect(other.message).toBe('The token was issued to a client app that may not call this API.')
  })
})

describe('requirements', () => {
  it('answers 403 insufficient_scope naming the scope', async () => {
    const api = world.api()
    const refused = await refusal(
      api,
      world.userToken(undefined, { user: world.emu.defaults.users.plain, scopes: ['other'] }),
      requireScopes('access_as_user'),
    )
    expect(refused.status).toBe(403)
    expect(refused.code).toBe('INSUFFICIENT_SCOPE')
    expect(refused.wwwAuthenticate).toBe(
      'Bearer error="insufficient_scope", scope="access_as_user", error_description="The token lacks the delegated scope this operation needs (one of: access_as_user)."',
    )
  })

  it('admits an app-only token with the role and refuses one without it', async () => {
    const api = world.api()
    const appToken = world.emu.issueUserToken({
      appOnly: true,
      clientId: world.daemon.clientId,
      audience: world.app.clientId,
    })
    const caller = await api.authenticate(request(appToken), requireRoles('Tasks.Read.All'))
    expect(caller.appOnly).toBe(true)
    expect(caller.roles).toEqual(['Tasks.Read.All'])
    const noRole = world.emu.issueUserToken({
      appOnly: true,
      clientId: world.daemonWithoutRole.clientId,
      audience: world.app.clientId,
    })
    const roleRefusal = await refusal(api, noRole, requireRoles('Tasks.Read.All'))
    expect(roleRefusal.status).toBe(403)
    expect(roleRefusal.wwwAuthenticate).toMatch(/^Bearer error="insufficient_scope", scope="Tasks.Read.All"/)
    const scopeRefusal = await refusal(api, appToken, requireScopes('access_as_user'))
    expect(scopeRefusal.status).toBe(403)
    expect(scopeRefusal.message).toMatch(/user's token/)
  })

  it('refuses On-Behalf-Of for an app-only caller with a clear 403', async () => {
    const api = world.api()
    const appToken = world.emu.issueUserToken({
      appOnly: true,
      clientId: world.daemon.clientId,
      audience: world.app.clientId,
    })
    const caller = await api.authenticate(request(appToken))
    const before = world.emu.requests.filter((r) => r.endpoint === 'token').length
    const error = await caller.getToken('docs').catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ApiAuthError)
    expect((error as ApiAuthError).status).toBe(403)
    expect((error as ApiAuthError).code).toBe('APP_ONLY_TOKEN')
    expect(world.emu.requests.filter((r) => r.endpoint === 'token').length).toBe(before)
  })
})

describe('calling downstream as the caller', () => {
  it('gets an OBO token and calls the named API', async () => {
    const api = world.api()
    const caller = await api.authenticate(request(world.userToken()))
    const token = await caller.getToken('docs')
    expect(token.tokenType).toBe('Bearer')
    const response = await caller.fetch('docs', '/documents')
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual({ documents: ['a', 'b'] })
    expect(world.downstream.received.at(-1)?.['aud']).toBe(world.emu.defaults.downstream.clientId)
    expect(world.downstream.received.at(-1)?.['oid']).toBe(world.emu.defaults.users.plain.oid)
  })

  it('exchanges a guest token in the guest tenant', async () => {
    const api = world.api({ tenantId: 'organizations', allowedTenants: [world.guest.tenantId] })
    const caller = await api.authenticate(request(world.userToken(world.guest)))
    await caller.getToken([`${world.emu.defaults.graph.appIdUri}/User.Read`])
    const last = world.emu.requests.filter((r) => r.endpoint === 'token').at(-1)
    expect(last?.tenant).toBe(world.guest.tenantId)
    expect(last?.status).toBe(200)
  })

  it('turns an MFA requirement into 401 insufficient_claims with the base64 claims, then succeeds after step-up', async () => {
    const api = world.api()
    const mfaUser = world.emu.defaults.users.mfa
    const token = world.userToken(mfaUser)
    const caller = await api.authenticate(request(token))
    const error = (await caller.fetch('docs', '/documents').catch((e: unknown) => e)) as ApiAuthError
    expect(error).toBeInstanceOf(ApiAuthError)
    expect(error.status).toBe(401)
    expect(error.code).toBe('INSUFFICIENT_CLAIMS')
    const claims = Buffer.from(world.emu.mfaClaimsChallenge).toString('base64')
    expect(error.wwwAuthenticate).toBe(
      `Bearer realm="", authorization_uri="${world.emu.authorityHost}/common/oauth2/authorize", error="insufficient_claims", claims="${claims}"`,
    )
    for (const part of tokenParts(token)) expect(JSON.stringify(error.body)).not.toContain(part)
    const stepUp = world.userToken(mfaUser, { user: mfaUser, claims: world.emu.mfaClaimsChallenge })
    const after = await api.authenticate(request(stepUp))
    expect((await after.fetch('docs', '/documents')).status).toBe(200)
  })

  it('answers missing consent with a 403 saying who must consent', async () => {
    const api = world.api()
    const caller = await api.authenticate(request(world.userToken(world.emu.defaults.users.consentMissing)))
    const error = (await caller.getToken('docs').catch((e: unknown) => e)) as ApiAuthError
    expect(error.status).toBe(403)
    expect(error.code).toBe('CONSENT_REQUIRED')
    expect(error.body.message).toMatch(/the user, or an administrator of tenant .+, must consent to the app/)
    expect(error.wwwAuthenticate).toMatch(/^Bearer error="insufficient_scope", error_description="Consent is missing/)
  })

  it('answers throttling with 503 and Retry-After', async () => {
    const api = world.api()
    const caller = await api.authenticate(request(world.userToken()))
    const fault = world.emu.faults.inject({ kind: 'throttle', retryAfterSeconds: 120 })
    try {
      const error = (await caller.getToken('docs').catch((e: unknown) => e)) as ApiAuthError
      expect(error.status).toBe(503)
      expect(error.code).toBe('THROTTLED')
      expect(error.retryAfterSeconds).toBe(120)
      expect(error.headers).toEqual({ 'Retry-After': '120' })
    } finally {
      fault.remove()
    }
  })

  it('retries once with the claims of a downstream CAE challenge', async () => {
    const api = world.api()
    const caller = await api.authenticate(request(world.userToken()))
    const received = world.downstream.received.length
    const challenge = JSON.stringify({
      access_token: { nbf: { essential: true, value: String(Math.floor(Date.now() / 1000)) } },
    })
    world.downstream.challengeNext(challenge)
    const response = await caller.fetch('docs', '/documents')
    expect(response.status).toBe(200)
    const [first, second] = world.downstream.received.slice(received)
    expect(world.downstream.received.length - received).toBe(2)
    expect(first?.['uti']).not.toBe(second?.['uti'])
    expect(first?.['xms_cc']).toEqual(['cp1'])
    const exchange = world.emu.requests.filter((r) => r.endpoint === 'token').at(-1)
    expect(JSON.parse(exchange?.form['claims'] ?? '{}')).toMatchObject({ access_token: { nbf: { essential: true } } })
  })

  it('returns any other downstream answer untouched', async () => {
    const api = world.api()
    const caller = await api.authenticate(request(world.userToken()))
    const received = world.downstream.received.length
    world.downstream.failNext(500, 'downstream broke')
    const response = await caller.fetch('docs', '/documents')
    expect(response.status).toBe(500)
    expect(response.headers.get('x-downstream')).toBe('yes')
    expect(await response.text()).toBe('downstream broke')
    expect(world.downstream.received.length - received).toBe(1)
  })
})
