/**
 * `@onbehalf/server/mcp` against the emulator over HTTPS: the metadata document and its path, refusals with
 * `resource_metadata`, the caller handed to tools, the step-up preflight, and the Node `req`/`res` helper over HTTP.
 * (The whole thing with the MCP SDK's own client is in apps/mcp-server.)
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ApiAuthError, requireScopes, type ProtectedApi } from '../src/index.ts'
import { callerOf, createMcpProtection, toolErrorOf, type McpProtection } from '../src/mcp.ts'
import { startWorld, tokenParts, type World } from './fixtures.ts'

let world: World
let api: ProtectedApi

beforeAll(async () => {
  world = await startWorld()
  api = world.api({ scopes: ['access_as_user'] })
})
afterAll(async () => {
  await world.close()
})

const origin = 'https://mcp.contoso.test'

function rpc(method: string, token?: string): Request {
  return new Request(`${origin}/mcp`, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/json',
      ...(token === undefined ? {} : { Authorization: `Bearer ${token}` }),
    },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params: {} }),
  })
}

function parameter(header: string | null, name: string): string | undefined {
  return new RegExp(`\\b${name}="([^"]*)"`).exec(header ?? '')?.[1]
}

function oboRequests(): number {
  return world.emu.requests.filter((r) => r.form['requested_token_use'] === 'on_behalf_of').length
}

describe('createMcpProtection', () => {
  it('publishes RFC 9728 metadata at the path-suffixed well-known URL (and the root one)', async () => {
    const mcp = createMcpProtection(api, { path: '/mcp/', resourceName: 'Docs' })
    expect(mcp.metadataPath).toBe('/.well-known/oauth-protected-resource/mcp')
    expect(createMcpProtection(api).metadataPath).toBe('/.well-known/oauth-protected-resource')
    const appIdUri = `api://${world.app.clientId}`
    const expected = {
      resource: appIdUri,
      authorization_servers: [`${world.emu.authorityHost}/${world.emu.tenantId}/v2.0`],
      scopes_supported: [`${appIdUri}/access_as_user`],
      bearer_methods_supported: ['header'],
      resource_name: 'Docs',
    }
    expect(mcp.metadata).toEqual(expected)
    for (const path of [mcp.metadataPath, '/.well-known/oauth-protected-resource']) {
      const gate = await mcp.handle(new Request(`${origin}${path}`))
      expect(gate.response?.status).toBe(200)
      expect(gate.response?.headers.get('access-control-allow-origin')).toBe('*')
      expect(await gate.response?.json()).toEqual(expected)
    }
    const preflight = await mcp.handle(new Request(`${origin}${mcp.metadataPath}`, { method: 'OPTIONS' }))
    expect(preflight.response?.status).toBe(204)
    const post = await mcp.handle(new Request(`${origin}${mcp.metadataPath}`, { method: 'POST', body: '{}' }))
    expect(post.response?.status).toBe(405)
  })

  it('refuses a request without a token: 401, resource_metadata, scope hint, invalid_token', async () => {
    const mcp = createMcpProtection(api, { path: '/mcp' })
    const gate = await mcp.handle(rpc('initialize'))
    expect(gate.response?.status).toBe(401)
    const header = gate.response?.headers.get('www-authenticate') ?? null
    expect(header).toMatch(/^Bearer resource_metadata=/)
    expect(parameter(header, 'resource_metadata')).toBe(`${origin}/.well-known/oauth-protected-resource/mcp`)
    expect(parameter(header, 'scope')).toBe(`api://${world.app.clientId}/access_as_user`)
    expect(parameter(header, 'error')).toBe('invalid_token')
    // Behind a proxy, the public origin names the metadata.
    const proxied = createMcpProtection(api, { path: '/mcp', publicOrigin: 'https://public.example/' })
    const refused = await proxied.handle(rpc('initialize'))
    expect(parameter(refused.response?.headers.get('www-authenticate') ?? null, 'resource_metadata')).toBe(
      'https://public.example/.well-known/oauth-protected-resource/mcp',
    )
  })

  it('refuses a token for another audience, and a missing scope with 403 insufficient_scope', async () => {
    const mcp = createMcpProtection(api, { path: '/mcp', requirements: [requireScopes('access_as_user')] })
    const foreign = world.emu.issueUserToken({
      user: world.emu.defaults.users.plain,
      audience: 'https://graph.microsoft.com',
    })
    const wrong = await mcp.handle(rpc('initialize', foreign))
    expect(wrong.response?.status).toBe(401)
    const body = await wrong.response?.text()
    for (const part of tokenParts(foreign)) expect(body).not.toContain(part)
    const narrow = world.userToken(world.emu.defaults.users.plain, { scopes: [] })
    const gate = await mcp.handle(rpc('initialize', narrow))
    expect(gate.response?.status).toBe(403)
    const header = gate.response?.headers.get('www-authenticate') ?? null
    expect(parameter(header, 'error')).toBe('insufficient_scope')
    expect(parameter(header, 'resource_metadata')).toBeDefined()
  })

  it('hands the validated caller to tools in the SDK AuthInfo shape, without the token', async () => {
    const mcp = createMcpProtection(api, { path: '/mcp' })
    const user = world.emu.defaults.users.plain
    const token = world.emu.issueUserToken({ user, audience: `api://${world.app.clientId}` })
    const gate = await mcp.handle(rpc('tools/list', token))
    expect(gate.response).toBeUndefined()
    const authInfo = gate.authInfo
    expect(authInfo?.token).toBe('')
    expect(authInfo?.scopes).toEqual(['access_as_user'])
    expect(authInfo?.resource?.href).toBe(`api://${world.app.clientId}`)
    expect(gate.parsedBody).toEqual({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} })
    const caller = callerOf({ authInfo })
    expect(caller.claims.oid).toBe(user.oid)
    expect(() => callerOf({})).toThrow(TypeError)
  })

  it('preflights OBO for tools/call only: a step-up is an HTTP 401 with claims and resource_metadata', async () => {
    const mcp = createMcpProtection(api, { path: '/mcp', preflight: ['docs'] })
    const token = world.userToken(world.emu.defaults.users.mfa)
    const before = oboRequests()
    const listing = await mcp.handle(rpc('tools/list', token))
    expect(listing.authInfo).toBeDefined()
    expect(oboRequests()).toBe(before)
    const call = await mcp.handle(rpc('tools/call', token))
    expect(call.response?.status).toBe(401)
    const header = call.response?.headers.get('www-authenticate') ?? null
    expect(parameter(header, 'error')).toBe('insufficient_claims')
    expect(parameter(header, 'resource_metadata')).toBe(`${origin}/.well-known/oauth-protected-resource/mcp`)
    expect(JSON.parse(Buffer.from(parameter(header, 'claims') ?? '', 'base64').toString())).toEqual(
      JSON.parse(world.emu.mfaClaimsChallenge),
    )
    expect(oboRequests()).toBe(before + 1)
  })

  it('turns an ApiAuthError inside a tool into a tool error with its challenge, and rethrows others', () => {
    const error = new ApiAuthError('Step up.', {
      code: 'INSUFFICIENT_CLAIMS',
      status: 401,
      error: 'insufficient_claims',
      challenge: { error: 'insufficient_claims', claims: 'e30=' },
    })
    expect(toolErrorOf(error)).toEqual({
      isError: true,
      content: [{ type: 'text', text: 'INSUFFICIENT_CLAIMS: Step up.' }],
      _meta: {
        'onbehalf/status': 401,
        'onbehalf/code': 'INSUFFICIENT_CLAIMS',
        'onbehalf/www-authenticate': 'Bearer error="insufficient_claims", claims="e30="',
      },
    })
    const other = new Error('boom')
    expect(() => toolErrorOf(other)).toThrow(other)
  })

  it('rejects a path that is not a URL path', () => {
    expect(() => createMcpProtection(api, { path: 'mcp' })).toThrow(/"path" must be a URL path/)
  })
})

describe('McpProtection.handleNode over HTTP', () => {
  let server: Server
  let url: string
  let mcp: McpProtection
  const seen: unknown[] = []

  beforeAll(async () => {
    mcp = createMcpProtection(api, { path: '/mcp', maxBodyBytes: 1024 })
    server = createServer((req, res) => {
      void mcp.handleNode(req, res).then((gate) => {
        if (gate === undefined) return
        seen.push(gate.parsedBody)
        res.writeHead(200, { 'Content-Type': 'application/json' })
        res.end(JSON.stringify({ oid: callerOf({ authInfo: gate.authInfo }).claims.oid }))
      })
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    url = `http://127.0.0.1:${String((server.address() as AddressInfo).port)}`
  })
  afterAll(async () => {
    await new Promise<void>((resolve) => {
      server.close(() => resolve())
      server.closeAllConnections()
    })
  })

  it('serves metadata, refuses with resource_metadata, and passes the caller and body on', async () => {
    const metadata = await fetch(`${url}/.well-known/oauth-protected-resource/mcp`)
    expect(metadata.status).toBe(200)
    expect(((await metadata.json()) as { resource: string }).resource).toBe(`api://${world.app.clientId}`)

    const anonymous = await fetch(`${url}/mcp`, { method: 'POST', body: '{}' })
    expect(anonymous.status).toBe(401)
    expect(parameter(anonymous.headers.get('www-authenticate'), 'resource_metadata')).toBe(
      `${url}/.well-known/oauth-protected-resource/mcp`,
    )

    const user = world.emu.defaults.users.plain
    const body = { jsonrpc: '2.0', id: 7, method: 'tools/list' }
    const ok = await fetch(`${url}/mcp`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${world.userToken(user)}`, 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    })
    expect(ok.status).toBe(200)
    expect(await ok.json()).toEqual({ oid: user.oid })
    expect(seen.at(-1)).toEqual(body)

    const large = await fetch(`${url}/mcp`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${world.userToken(user)}` },
      body: 'x'.repeat(2048),
    })
    expect(large.status).toBe(413)
  })
})
