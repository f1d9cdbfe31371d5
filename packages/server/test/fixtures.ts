/**
 * What the integration tests share: a real emulator over HTTPS with a protected API registered (multi-tenant,
 * with an app role), a daemon granted that role, users in other tenants, and a downstream API over HTTP that
 * can answer with a CAE claims challenge.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { startEmulator, type EntraEmulator, type EmulatorUser, type RegisteredApp } from '@onbehalf/entra-emulator'
import { createMemoryTokenCache } from '@onbehalf/core'
import { decodeJwt } from 'jose'
import { createProtectedApi, type ProtectedApi, type ProtectedApiOptions } from '../src/index.ts'

/** A downstream API: answers 200 with the token's claims, or a claims challenge / error on demand. */
export interface Downstream {
  readonly url: string
  /** Tokens received, in order (decoded claims). */
  readonly received: Record<string, unknown>[]
  /** Answer the next request with a CAE claims challenge. */
  challengeNext(claims: string): void
  /** Answer the next request with this status and body. */
  failNext(status: number, body: string): void
  close(): Promise<void>
}

export async function startDownstream(): Promise<Downstream> {
  const received: Record<string, unknown>[] = []
  let challenge: string | undefined
  let failure: { status: number; body: string } | undefined
  const server: Server = createServer((req: IncomingMessage, res) => {
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1]
    if (token === undefined) {
      res.writeHead(401, { 'WWW-Authenticate': 'Bearer' }).end()
      return
    }
    received.push(decodeJwt(token))
    if (challenge !== undefined) {
      const claims = Buffer.from(challenge).toString('base64')
      challenge = undefined
      res
        .writeHead(401, {
          'WWW-Authenticate': `Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", error="insufficient_claims", claims="${claims}"`,
        })
        .end()
      return
    }
    if (failure !== undefined) {
      const { status, body } = failure
      failure = undefined
      res.writeHead(status, { 'Content-Type': 'text/plain', 'X-Downstream': 'yes' }).end(body)
      return
    }
    res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ documents: ['a', 'b'] }))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${String(port)}`,
    received,
    challengeNext: (claims) => {
      challenge = claims
    },
    failNext: (status, body) => {
      failure = { status, body }
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}

/** Options a test changes; the client credential stays the app's secret (exactly one credential). */
export type Extra = Partial<
  Omit<ProtectedApiOptions, 'clientSecret' | 'clientCertificate' | 'clientCertificatePath' | 'getClientAssertion'>
>

/** The options `world.options()` returns: the app's client secret as the credential. */
export type SecretOptions = ProtectedApiOptions & { readonly clientSecret: string }

export interface World {
  readonly emu: EntraEmulator
  /** The protected API's registration (multi-tenant, scope `access_as_user`, app role `Tasks.Read.All`). */
  readonly app: RegisteredApp
  /** A daemon granted `Tasks.Read.All` on the API; another with no role. */
  readonly daemon: RegisteredApp
  readonly daemonWithoutRole: RegisteredApp
  /** A user in a second tenant (allowed by the multi-tenant API) and one in a third (not allowed). */
  readonly guest: EmulatorUser
  readonly stranger: EmulatorUser
  readonly downstream: Downstream
  /** Options of a single-tenant API on the emulator (override what a test needs). */
  options(extra?: Extra): SecretOptions
  api(extra?: Extra): ProtectedApi
  /** A user token for the protected API. */
  userToken(user?: EmulatorUser, extra?: Parameters<EntraEmulator['issueUserToken']>[0]): string
  close(): Promise<void>
}

export async function startWorld(): Promise<World> {
  const emu = await startEmulator()
  const app = emu.registerApp({
    displayName: 'Protected API (tests)',
    appIdUri: true,
    scopes: ['access_as_user'],
    appRoles: ['Tasks.Read.All'],
    clientSecret: true,
    multiTenant: true,
  })
  const daemon = emu.registerApp({ displayName: 'Daemon', clientSecret: true, grantedAppRoles: ['Tasks.Read.All'] })
  const daemonWithoutRole = emu.registerApp({ displayName: 'Daemon without role', clientSecret: true })
  const second = emu.addTenant({ domain: 'fabrikam.onmicrosoft.com' })
  const third = emu.addTenant({ domain: 'tailspin.onmicrosoft.com' })
  const guest = emu.addUser({ tenantId: second.id, upn: 'guest@fabrikam.onmicrosoft.com' })
  const stranger = emu.addUser({ tenantId: third.id, upn: 'stranger@tailspin.onmicrosoft.com' })
  const downstream = await startDownstream()
  const options = (extra: Extra = {}): SecretOptions => ({
    tenantId: emu.tenantId,
    clientId: app.clientId,
    clientSecret: app.clientSecret as string,
    authority: emu.authorityHost,
    fetch: emu.fetch,
    cache: createMemoryTokenCache(),
    downstreamApis: {
      docs: { baseUrl: downstream.url, scopes: [emu.defaults.downstream.scopes[0] as string] },
    },
    ...extra,
  })
  return {
    emu,
    app,
    daemon,
    daemonWithoutRole,
    guest,
    stranger,
    downstream,
    options,
    api: (extra) => createProtectedApi(options(extra)),
    userToken: (user = emu.defaults.users.plain, extra = {}) =>
      emu.issueUserToken({ user, audience: app.clientId, ...extra }),
    close: async () => {
      await downstream.close()
      await emu.close()
    },
  }
}

/** The parts of a JWT that must never show up in an answer. */
export function tokenParts(token: string): string[] {
  return token.split('.').filter((part) => part.length > 8)
}

/** Forges a token: same payload and signature, a different header. */
export function withHeader(token: string, header: Record<string, unknown>): string {
  const [, payload, signature] = token.split('.')
  return `${Buffer.from(JSON.stringify(header)).toString('base64url')}.${payload ?? ''}.${signature ?? ''}`
}

/** Forges a token: same header and signature, a different payload. */
export function withPayload(token: string, change: (payload: Record<string, unknown>) => void): string {
  const [header, payload, signature] = token.split('.')
  const claims = JSON.parse(Buffer.from(payload ?? '', 'base64url').toString()) as Record<string, unknown>
  change(claims)
  return `${header ?? ''}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${signature ?? ''}`
}
