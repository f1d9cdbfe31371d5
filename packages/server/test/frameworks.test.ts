/**
 * The three adapters in real servers over HTTP on 127.0.0.1, against the emulator over HTTPS: every scenario of a
 * protected API that calls downstream as the caller, and for every refusal its status, `WWW-Authenticate` and a
 * body without token text.
 */
import { generateKeyPairSync } from 'node:crypto'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { serve } from '@hono/node-server'
import express from 'express'
import Fastify from 'fastify'
import { Hono } from 'hono'
import { exportSPKI, importJWK, SignJWT } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { requireRoles, requireScopes, type Caller, type ProtectedApi } from '../src/index.ts'
import * as expressAdapter from '../src/express.ts'
import * as fastifyAdapter from '../src/fastify.ts'
import * as honoAdapter from '../src/hono.ts'
import { startWorld, tokenParts, withHeader, withPayload, type World } from './fixtures.ts'

interface Apis {
  readonly single: ProtectedApi
  readonly multi: ProtectedApi
}

interface Running {
  readonly url: string
  close(): Promise<void>
}

const summary = (caller: Caller): Record<string, unknown> => ({
  oid: caller.claims.oid,
  tid: caller.tenantId,
  ver: caller.claims.ver,
  scopes: caller.scopes,
  roles: caller.roles,
})

async function relay(response: Response): Promise<{ status: number; type: string; body: string }> {
  return {
    status: response.status,
    type: response.headers.get('content-type') ?? 'text/plain',
    body: await response.text(),
  }
}

function listening(server: Server): Promise<string> {
  return new Promise((resolve) => {
    const done = (): void => resolve(`http://127.0.0.1:${String((server.address() as AddressInfo).port)}`)
    if (server.listening) done()
    else server.once('listening', done)
  })
}

function closing(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve())
    server.closeAllConnections()
  })
}

async function startExpress({ single, multi }: Apis): Promise<Running> {
  const { authenticate, apiAuthErrors } = expressAdapter
  const app = express()
  app.get('/me', authenticate(single, requireScopes('access_as_user')), (req, res) => {
    res.json(summary(req.caller as Caller))
  })
  app.get('/mt/me', authenticate(multi, requireScopes('access_as_user')), (req, res) => {
    res.json(summary(req.caller as Caller))
  })
  app.get('/admin', authenticate(single, requireRoles('Tasks.Read.All')), (req, res) => {
    res.json(summary(req.caller as Caller))
  })
  app.get('/token', authenticate(single), async (req, res) => {
    const token = await (req.caller as Caller).getToken('docs')
    res.json({ expiresOnTimestamp: token.expiresOnTimestamp })
  })
  app.get('/docs', authenticate(single, requireScopes('access_as_user')), async (req, res) => {
    const answer = await relay(await (req.caller as Caller).fetch('docs', '/documents'))
    res.status(answer.status).type(answer.type).send(answer.body)
  })
  app.use(apiAuthErrors())
  const server = app.listen(0, '127.0.0.1')
  return { url: await listening(server), close: () => closing(server) }
}

async function startFastify({ single, multi }: Apis): Promise<Running> {
  const { authenticate, protectedApi } = fastifyAdapter
  const app = Fastify()
  await app.register(protectedApi, { api: single })
  app.get('/me', { onRequest: authenticate(single, requireScopes('access_as_user')) }, (request) =>
    summary(request.caller as Caller),
  )
  app.get('/mt/me', { onRequest: authenticate(multi, requireScopes('access_as_user')) }, (request) =>
    summary(request.caller as Caller),
  )
  app.get('/admin', { onRequest: authenticate(single, requireRoles('Tasks.Read.All')) }, (request) =>
    summary(request.caller as Caller),
  )
  app.get('/token', { onRequest: authenticate(single) }, async (request) => {
    const token = await (request.caller as Caller).getToken('docs')
    return { expiresOnTimestamp: token.expiresOnTimestamp }
  })
  app.get('/docs', { onRequest: authenticate(single, requireScopes('access_as_user')) }, async (request, reply) => {
    const answer = await relay(await (request.caller as Caller).fetch('docs', '/documents'))
    return reply.code(answer.status).type(answer.type).send(answer.body)
  })
  const url = await app.listen({ port: 0, host: '127.0.0.1' })
  return { url: url.replace('localhost', '127.0.0.1'), close: () => app.close() }
}

async function startHono({ single, multi }: Apis): Promise<Running> {
  const { authenticate, apiAuthErrorResponse } = honoAdapter
  const app = new Hono<{ Variables: honoAdapter.CallerVariables }>()
  app.get('/me', authenticate(single, requireScopes('access_as_user')), (c) => c.json(summary(c.get('caller'))))
  app.get('/mt/me', authenticate(multi, requireScopes('access_as_user')), (c) => c.json(summary(c.get('caller'))))
  app.get('/admin', authenticate(single, requireRoles('Tasks.Read.All')), (c) => c.json(summary(c.get('caller'))))
  app.get('/token', authenticate(single), async (c) => {
    const token = await c.get('caller').getToken('docs')
    return c.json({ expiresOnTimestamp: token.expiresOnTimestamp })
  })
  app.get('/docs', authenticate(single, requireScopes('access_as_user')), async (c) => {
    const answer = await relay(await c.get('caller').fetch('docs', '/documents'))
    return new Response(answer.body, { status: answer.status, headers: { 'Content-Type': answer.type } })
  })
  app.onError((error, c) => apiAuthErrorResponse(error) ?? c.text('Internal Server Error', 500))
  const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }) as Server
  return { url: await listening(server), close: () => closing(server) }
}

const frameworks = [
  ['Express 5', startExpress],
  ['Fastify 5', startFastify],
  ['Hono 4', startHono],
] as const

let world: World

beforeAll(async () => {
  world = await startWorld()
})

afterAll(async () => {
  await world.close()
})

describe.each(frameworks)('%s', (_name, start) => {
  let running: Running
  let offsetMs = 0
  const now = (): number => Date.now() + offsetMs

  beforeAll(async () => {
    running = await start({
      single: world.api({ now }),
      multi: world.api({ now, tenantId: 'organizations', allowedTenants: [world.guest.tenantId] }),
    })
  })

  afterAll(async () => {
    await running.close()
  })

  const call = async (
    path: string,
    token: string | undefined,
  ): Promise<{ status: number; headers: Headers; text: string }> => {
    const response = await fetch(
      `${running.url}${path}`,
      token === undefined ? {} : { headers: { Authorization: `Bearer ${token}` } },
    )
    return { status: response.status, headers: response.headers, text: await response.text() }
  }

  /** A refusal: its status, its exact or matching WWW-Authenticate, a JSON body with the code, and no token text. */
  const refused = async (
    path: string,
    token: string | undefined,
    expected: { status: number; code: string; challenge: string | RegExp | null },
  ): Promise<{ headers: Headers; body: Record<string, unknown> }> => {
    const answer = await call(path, token)
    expect(answer.status).toBe(expected.status)
    const header = answer.headers.get('www-authenticate')
    if (expected.challenge === null) expect(header).toBeNull()
    else if (typeof expected.challenge === 'string') expect(header).toBe(expected.challenge)
    else expect(header).toMatch(expected.challenge)
    for (const part of token === undefined ? [] : tokenParts(token)) expect(answer.text).not.toContain(part)
    const body = JSON.parse(answer.text) as Record<string, unknown>
    expect(body['code']).toBe(expected.code)
    return { headers: answer.headers, body }
  }

  const invalid = (description: string | RegExp): { status: number; code: string; challenge: string | RegExp } => ({
    status: 401,
    code: 'INVALID_TOKEN',
    challenge:
      typeof description === 'string'
        ? `Bearer error="invalid_token", error_description="${description}"`
        : description,
  })

  it('admits valid v2 and v1 tokens', async () => {
    const v2 = await call('/me', world.userToken())
    expect(v2.status).toBe(200)
    expect(JSON.parse(v2.text)).toMatchObject({
      oid: world.emu.defaults.users.plain.oid,
      ver: '2.0',
      scopes: ['access_as_user'],
    })
    const v1 = await call(
      '/me',
      world.userToken(undefined, {
        user: world.emu.defaults.users.plain,
        version: '1.0',
        audience: `api://${world.app.clientId}`,
      }),
    )
    expect(v1.status).toBe(200)
    expect(JSON.parse(v1.text)).toMatchObject({ ver: '1.0' })
  })

  it('admits an allowed tenant and refuses the others on a multi-tenant API', async () => {
    const guest = await call('/mt/me', world.userToken(world.guest))
    expect(guest.status).toBe(200)
    expect(JSON.parse(guest.text)).toMatchObject({ tid: world.guest.tenantId })
    await refused('/mt/me', world.userToken(world.stranger), {
      status: 401,
      code: 'TENANT_NOT_ALLOWED',
      challenge: `Bearer error="invalid_token", error_description="Users of the token's tenant may not call this API."`,
    })
  })

  it('refuses a missing token, a wrong audience, expired and not-yet-valid tokens', async () => {
    await refused('/me', undefined, {
      status: 401,
      code: 'MISSING_TOKEN',
      challenge: `Bearer error="invalid_token", error_description="Send an access token for this API as 'Authorization: Bearer <token>'."`,
    })
    await refused(
      '/me',
      world.emu.issueUserToken({ user: world.emu.defaults.users.plain }),
      invalid('The token was issued for another audience, not for this API.'),
    )
    const seconds = Math.floor(Date.now() / 1000)
    const expired = world.userToken(undefined, {
      user: world.emu.defaults.users.plain,
      issuedAt: seconds - 4000,
      lifetimeSeconds: 3600,
    })
    await refused('/me', expired, { ...invalid('The token has expired.'), code: 'TOKEN_EXPIRED' })
    const early = world.userToken(undefined, { user: world.emu.defaults.users.plain, issuedAt: seconds + 600 })
    await refused('/me', early, { ...invalid('The token is not valid yet (nbf).'), code: 'TOKEN_EXPIRED' })
  })

  it('refuses a forged signature, alg none and HS256 with the public key as secret', async () => {
    const valid = world.userToken()
    const forged = withPayload(valid, (claims) => {
      claims['scp'] = 'access_as_user admin'
    })
    await refused('/me', forged, invalid('The token signature is invalid.'))
    const none = withHeader(valid, { alg: 'none', typ: 'JWT' }).replace(/\.[^.]*$/, '.')
    await refused('/me', none, invalid('The token must be signed with RS256 by a key of the identity provider.'))
    const jwks = (await (await world.emu.fetch(world.emu.jwksUri())).json()) as {
      keys: { n: string; e: string; kid: string }[]
    }
    const jwk = jwks.keys[0] as { n: string; e: string; kid: string }
    const publicKey = await importJWK({ kty: 'RSA', n: jwk.n, e: jwk.e }, 'RS256', { extractable: true })
    // tsc 7 types importJWK as CryptoKey | Uint8Array; the lint compiler (5.9) already narrows it.
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion
    const pem = await exportSPKI(publicKey as CryptoKey)
    const payload = JSON.parse(Buffer.from(valid.split('.')[1] ?? '', 'base64url').toString()) as Record<
      string,
      unknown
    >
    const hs256 = await new SignJWT(payload)
      .setProtectedHeader({ alg: 'HS256', kid: jwk.kid })
      .sign(new TextEncoder().encode(pem))
    await refused('/me', hs256, invalid('The token must be signed with RS256 by a key of the identity provider.'))
  })

  it('refetches the keys once for an unknown kid, then refuses without refetching', async () => {
    await call('/me', world.userToken())
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
    const payload = JSON.parse(Buffer.from(world.userToken().split('.')[1] ?? '', 'base64url').toString()) as Record<
      string,
      unknown
    >
    const jwksRequests = (): number => world.emu.requests.filter((r) => r.endpoint === 'jwks').length
    const before = jwksRequests()
    offsetMs += 301_000
    const signed = (kid: string): Promise<string> =>
      new SignJWT(payload).setProtectedHeader({ alg: 'RS256', kid }).sign(privateKey)
    await refused(
      '/me',
      await signed('rotated-a'),
      invalid('The token was not signed by a key of the identity provider.'),
    )
    expect(jwksRequests()).toBe(before + 1)
    await refused(
      '/me',
      await signed('rotated-b'),
      invalid('The token was not signed by a key of the identity provider.'),
    )
    expect(jwksRequests()).toBe(before + 1)
  })

  it('refuses an app-only token for OBO with a clear 403, and checks scopes and roles', async () => {
    const appToken = world.emu.issueUserToken({
      appOnly: true,
      clientId: world.daemon.clientId,
      audience: world.app.clientId,
    })
    const admin = await call('/admin', appToken)
    expect(admin.status).toBe(200)
    expect(JSON.parse(admin.text)).toMatchObject({ roles: ['Tasks.Read.All'] })
    const obo = await refused('/token', appToken, {
      status: 403,
      code: 'APP_ONLY_TOKEN',
      challenge:
        /^Bearer error="insufficient_scope", error_description="This operation calls a downstream API on behalf of a signed-in user/,
    })
    expect(obo.body['message']).toMatch(/app-only token/)
    await refused('/me', appToken, {
      status: 403,
      code: 'INSUFFICIENT_SCOPE',
      challenge: `Bearer error="insufficient_scope", scope="access_as_user", error_description="This operation needs a user's token with one of the scopes: access_as_user."`,
    })
    await refused(
      '/me',
      world.userToken(undefined, { user: world.emu.defaults.users.plain, scopes: ['something_else'] }),
      {
        status: 403,
        code: 'INSUFFICIENT_SCOPE',
        challenge: `Bearer error="insufficient_scope", scope="access_as_user", error_description="The token lacks the delegated scope this operation needs (one of: access_as_user)."`,
      },
    )
    await refused('/admin', world.userToken(), {
      status: 403,
      code: 'INSUFFICIENT_SCOPE',
      challenge: `Bearer error="insufficient_scope", scope="Tasks.Read.All", error_description="The token lacks the app role this operation needs (one of: Tasks.Read.All)."`,
    })
  })

  it('relays MFA as 401 insufficient_claims with the claims, then serves the stepped-up user', async () => {
    const user = world.emu.defaults.users.mfa
    const claims = Buffer.from(world.emu.mfaClaimsChallenge).toString('base64')
    await refused('/docs', world.userToken(user), {
      status: 401,
      code: 'INSUFFICIENT_CLAIMS',
      challenge: `Bearer realm="", authorization_uri="${world.emu.authorityHost}/common/oauth2/authorize", error="insufficient_claims", claims="${claims}"`,
    })
    const steppedUp = await call('/docs', world.userToken(user, { user, claims: world.emu.mfaClaimsChallenge }))
    expect(steppedUp.status).toBe(200)
    expect(JSON.parse(steppedUp.text)).toEqual({ documents: ['a', 'b'] })
  })

  it('answers missing consent with a 403 that says who must consent', async () => {
    const { body } = await refused('/docs', world.userToken(world.emu.defaults.users.consentMissing), {
      status: 403,
      code: 'CONSENT_REQUIRED',
      challenge:
        /^Bearer error="insufficient_scope", error_description="Consent is missing: the user, or an administrator of tenant /,
    })
    expect(body['message']).toMatch(new RegExp(`must consent to the app ${world.app.clientId}`))
  })

  it('answers throttling with 503 and Retry-After', async () => {
    const fault = world.emu.faults.inject({ kind: 'throttle', retryAfterSeconds: 90 })
    try {
      const { headers } = await refused('/docs', world.userToken(), { status: 503, code: 'THROTTLED', challenge: null })
      expect(headers.get('retry-after')).toBe('90')
    } finally {
      fault.remove()
    }
  })

  it('retries once on a downstream CAE claims challenge, and relays other downstream answers untouched', async () => {
    const received = world.downstream.received.length
    world.downstream.challengeNext(
      JSON.stringify({ access_token: { nbf: { essential: true, value: String(Math.floor(Date.now() / 1000)) } } }),
    )
    const answer = await call('/docs', world.userToken())
    expect(answer.status).toBe(200)
    expect(world.downstream.received.length - received).toBe(2)
    world.downstream.failNext(418, 'short and stout')
    const untouched = await call('/docs', world.userToken())
    expect(untouched.status).toBe(418)
    expect(untouched.text).toBe('short and stout')
    expect(world.downstream.received.length - received).toBe(3)
  })
})
