/**
 * The demo page and its helper routes, mounted on the middle tier's server so the page and the API share an
 * origin (no CORS in the way of reading `WWW-Authenticate`). The helper routes stand in for what a real
 * front end gets elsewhere: `/demo/sign-in` plays MSAL.js signing a test user in at the emulator, and
 * `/demo/cae-event` plays a critical event (password reset, session revoked) at the downstream API. Copy the
 * middle tier, not this file.
 *
 * @module
 */
import { readFileSync } from 'node:fs'
import type { FastifyInstance } from 'fastify'
import type { DownstreamApi } from './downstream-api.ts'
import type { IdentitySetup } from './identity.ts'

/** What the page needs from the stack. */
export interface DemoPageOptions {
  readonly identity: IdentitySetup
  readonly downstream: DownstreamApi
  readonly cacheKind: 'memory' | 'redis'
}

const asset = (name: string): string => readFileSync(new URL(`./web/${name}`, import.meta.url), 'utf8')

/**
 * Registers `/`, `/app.js`, `/styles.css`, `/favicon.svg`, `GET /demo/config`, `POST /demo/sign-in` and `POST /demo/cae-event`.
 *
 * @example
 * ```ts
 * registerDemoPage(middleTier.app, { identity, downstream, cacheKind: 'memory' })
 * ```
 */
export function registerDemoPage(app: FastifyInstance, options: DemoPageOptions): void {
  const { identity, downstream } = options
  const files = {
    html: asset('index.html'),
    js: asset('app.js'),
    css: asset('styles.css'),
    icon: asset('favicon.svg'),
  }
  const noStore = { 'cache-control': 'no-store' }
  app.get('/', (_request, reply) => reply.headers(noStore).type('text/html; charset=utf-8').send(files.html))
  app.get('/app.js', (_request, reply) => reply.headers(noStore).type('text/javascript; charset=utf-8').send(files.js))
  app.get('/styles.css', (_request, reply) => reply.headers(noStore).type('text/css; charset=utf-8').send(files.css))
  app.get('/favicon.svg', (_request, reply) => reply.type('image/svg+xml').send(files.icon))

  app.get('/demo/config', () => ({
    mode: identity.mode,
    cache: options.cacheKind,
    tenantId: identity.tenantId,
    authorityHost: identity.authorityHost,
    middleTier: {
      clientId: identity.middleTier.clientId,
      scope: identity.middleTier.scope,
      clientCredential: identity.middleTier.credentialKind,
    },
    downstream: { url: downstream.url, scopes: identity.downstream.scopes },
    users: identity.users,
    apps: identity.apps,
  }))

  app.post<{ Body: { user?: unknown; claims?: unknown } }>('/demo/sign-in', async (request, reply) => {
    const { signIn } = identity
    if (signIn === undefined) {
      return reply
        .code(404)
        .send({ error: 'not_available', message: 'Sign-in is simulated only against the emulator.' })
    }
    const { user, claims } = request.body ?? {}
    if (typeof user !== 'string' || !identity.users.some((u) => u.id === user)) {
      return reply.code(400).send({ error: 'invalid_request', message: 'user must be one of the demo users.' })
    }
    if (claims !== undefined && typeof claims !== 'string') {
      return reply.code(400).send({ error: 'invalid_request', message: 'claims must be a string.' })
    }
    return { accessToken: await signIn(user, claims) }
  })

  app.post<{ Body: { oid?: unknown } }>('/demo/cae-event', (request, reply) => {
    const { oid } = request.body ?? {}
    if (typeof oid !== 'string' || !/^[0-9a-f-]{36}$/i.test(oid)) {
      return reply.code(400).send({ error: 'invalid_request', message: 'oid must be a GUID.' })
    }
    return downstream.revokeSessions(oid.toLowerCase())
  })
}
