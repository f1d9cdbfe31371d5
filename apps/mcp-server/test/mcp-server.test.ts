/**
 * The MCP example over HTTP on 127.0.0.1 with the MCP SDK's own client (`Client` + `StreamableHTTPClientTransport`),
 * against the emulator over HTTPS and the demo's documents API (which accepts only OBO tokens whose `azp` is the
 * MCP server).
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { discoverOAuthProtectedResourceMetadata } from '@modelcontextprotocol/sdk/client/auth.js'
import { StreamableHTTPClientTransport, StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import type { EntraEmulator, EmulatorUser } from '@onbehalf/entra-emulator'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startMcpStack, type McpStack } from '../src/stack.ts'

let stack: McpStack
let emu: EntraEmulator

beforeAll(async () => {
  stack = await startMcpStack()
  emu = stack.identity.emulator as EntraEmulator
})
afterAll(async () => {
  await stack.close()
})

/** Every answer the client's transport received (status and WWW-Authenticate), for the tests to read. */
interface Seen {
  readonly status: number
  readonly wwwAuthenticate: string | null
}

async function connect(token: string | undefined): Promise<{ client: Client; seen: Seen[] }> {
  const seen: Seen[] = []
  const recording: typeof fetch = async (input, init) => {
    const response = await fetch(input, init)
    seen.push({ status: response.status, wwwAuthenticate: response.headers.get('www-authenticate') })
    return response
  }
  const client = new Client({ name: 'onbehalf-tests', version: '0.0.0' })
  const transport = new StreamableHTTPClientTransport(new URL(stack.server.url), {
    fetch: recording,
    ...(token === undefined ? {} : { requestInit: { headers: { Authorization: `Bearer ${token}` } } }),
  })
  await client.connect(transport)
  return { client, seen }
}

function tokenFor(user: EmulatorUser | string, audience = stack.resource): string {
  return emu.issueUserToken({ user, audience })
}

function textOf(result: Awaited<ReturnType<Client['callTool']>>): string {
  const content = result.content as { type: string; text?: string }[]
  return content.map((c) => c.text ?? '').join('')
}

interface DocumentList {
  readonly user: { readonly oid: string }
  readonly documents: readonly { readonly id: string; readonly owner: string }[]
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection')
    },
    (error: unknown) => error,
  )
}

/** Header and payload of a JWT: the emulator's request log redacts signatures; each minted token's payload is unique. */
function unsigned(token: string): string {
  return token.split('.').slice(0, 2).join('.')
}

function challengeParameter(header: string | null | undefined, name: string): string | undefined {
  return new RegExp(`\\b${name}="([^"]*)"`).exec(header ?? '')?.[1]
}

describe('MCP server protected by @onbehalf/server/mcp', () => {
  it('answers a client without a token with 401 and resource_metadata (plus scope and the RFC 6750 error)', async () => {
    const error = await rejection(connect(undefined))
    expect(error).toBeInstanceOf(StreamableHTTPError)
    expect((error as StreamableHTTPError).code).toBe(401)
    // The client saw exactly one answer: the refusal of its initialize request.
    const response = await fetch(stack.server.url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    })
    expect(response.status).toBe(401)
    const header = response.headers.get('www-authenticate')
    expect(header).toMatch(/^Bearer /)
    expect(challengeParameter(header, 'resource_metadata')).toBe(
      `${stack.server.origin}/.well-known/oauth-protected-resource/mcp`,
    )
    expect(challengeParameter(header, 'scope')).toBe(`${stack.resource}/access_as_user`)
    expect(challengeParameter(header, 'error')).toBe('invalid_token')
  })

  it('publishes well-formed protected resource metadata that points at the emulator authority', async () => {
    // The SDK's own discovery (path-aware well-known URL, its schema) reads it.
    const metadata = await discoverOAuthProtectedResourceMetadata(new URL(stack.server.url))
    const authority = `${emu.authorityHost}/${emu.tenantId}/v2.0`
    expect(metadata).toMatchObject({
      resource: stack.resource,
      authorization_servers: [authority],
      scopes_supported: [`${stack.resource}/access_as_user`],
      bearer_methods_supported: ['header'],
    })
    expect(stack.resource).toBe(emu.defaults.middleTier.appIdUri)
    // The authorization server it names is the emulator's, and serves its OpenID configuration.
    const configuration = await emu.fetch(`${authority}/.well-known/openid-configuration`)
    expect(configuration.status).toBe(200)
    expect(((await configuration.json()) as { issuer: string }).issuer).toBe(authority)
    const raw = await fetch(`${stack.server.origin}/.well-known/oauth-protected-resource/mcp`)
    expect(raw.headers.get('content-type')).toMatch(/^application\/json/)
    expect(raw.headers.get('access-control-allow-origin')).toBe('*')
  })

  it("gives each user their own documents, never another user's", async () => {
    const alex = emu.defaults.users.plain
    const megan = emu.addUser({ upn: `megan@${emu.tenant.domain}`, name: 'Megan Bowen' })
    const lists: DocumentList[] = []
    for (const user of [alex, megan]) {
      const { client } = await connect(tokenFor(user))
      const tools = await client.listTools()
      expect(tools.tools.map((t) => t.name).sort()).toEqual(['list_documents', 'read_document', 'whoami'])
      const whoami = JSON.parse(textOf(await client.callTool({ name: 'whoami', arguments: {} }))) as { oid: string }
      expect(whoami.oid).toBe(user.oid)
      const list = JSON.parse(textOf(await client.callTool({ name: 'list_documents', arguments: {} }))) as DocumentList
      expect(list.user.oid).toBe(user.oid)
      expect(list.documents.length).toBeGreaterThan(0)
      for (const document of list.documents) expect(document.owner).toBe(user.name)
      const first = list.documents[0] as { id: string }
      const read = await client.callTool({ name: 'read_document', arguments: { id: first.id } })
      expect(read.isError).toBeFalsy()
      expect((JSON.parse(textOf(read)) as { id: string }).id).toBe(first.id)
      lists.push(list)
      await client.close()
    }
    const [alexList, meganList] = lists as [DocumentList, DocumentList]
    const alexIds = new Set(alexList.documents.map((d) => d.id))
    expect(meganList.documents.some((d) => alexIds.has(d.id))).toBe(false)
    // Megan asking for one of Alex's documents by id gets nothing.
    const { client } = await connect(tokenFor(megan))
    const stolen = await client.callTool({ name: 'read_document', arguments: { id: alexList.documents[0]?.id } })
    expect(stolen.isError).toBe(true)
    expect(textOf(stolen)).toContain('404')
    await client.close()
  })

  it('refuses tokens issued for another audience', async () => {
    for (const audience of [emu.defaults.downstream.clientId, emu.defaults.graph.appIdUri]) {
      const error = await rejection(connect(tokenFor(emu.defaults.users.plain, audience)))
      expect((error as StreamableHTTPError).code).toBe(401)
    }
    const response = await fetch(stack.server.url, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        Accept: 'application/json, text/event-stream',
        Authorization: `Bearer ${tokenFor(emu.defaults.users.plain, emu.defaults.downstream.appIdUri)}`,
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    })
    expect(response.status).toBe(401)
    expect(challengeParameter(response.headers.get('www-authenticate'), 'error')).toBe('invalid_token')
    expect(challengeParameter(response.headers.get('www-authenticate'), 'resource_metadata')).toBeDefined()
  })

  it('never passes the client token through: the downstream would refuse it, and sees only OBO tokens', async () => {
    const user = emu.addUser({ upn: `nestor@${emu.tenant.domain}`, name: 'Nestor Wilke' })
    const token = tokenFor(user)
    // The client's token sent straight to the documents API is refused (audience and azp are not its own).
    const before = stack.downstream.stats()
    const direct = await stack.downstreamFetch(`${stack.downstream.url}/documents`, {
      headers: { Authorization: `Bearer ${token}` },
    })
    expect(direct.status).toBe(401)
    expect(stack.downstream.stats().refused).toBe(before.refused + 1)
    // Through the MCP server, every downstream call succeeds: each carried an OBO token whose azp is the server.
    emu.clearRequests()
    const { client } = await connect(token)
    for (let i = 0; i < 3; i++) {
      const result = await client.callTool({ name: 'list_documents', arguments: {} })
      expect(result.isError).toBeFalsy()
    }
    await client.close()
    const after = stack.downstream.stats()
    expect(after.ok).toBe(before.ok + 3)
    expect(after.refused).toBe(before.refused + 1)
    // The server exchanged the user's token (once: then the cache) as itself, the MCP server's registration.
    const exchanges = emu.requests.filter((r) => r.form['requested_token_use'] === 'on_behalf_of')
    expect(exchanges).toHaveLength(1)
    expect(exchanges[0]?.clientId).toBe(stack.api.clientId)
    expect(unsigned(exchanges[0]?.form['assertion'] ?? '')).toBe(unsigned(token))
    expect(exchanges[0]?.status).toBe(200)
  })

  it('gives an MFA user a 401 insufficient_claims challenge with claims and resource_metadata', async () => {
    const { client, seen } = await connect(tokenFor(emu.defaults.users.mfa))
    // Initialize and listing work; the tool that needs the downstream API gets the step-up before the MCP layer.
    expect((await client.listTools()).tools.length).toBe(3)
    const error = await rejection(client.callTool({ name: 'list_documents', arguments: {} }))
    expect(error).toBeInstanceOf(StreamableHTTPError)
    expect((error as StreamableHTTPError).code).toBe(401)
    const refusal = seen.at(-1)
    expect(refusal?.status).toBe(401)
    expect(challengeParameter(refusal?.wwwAuthenticate, 'error')).toBe('insufficient_claims')
    expect(challengeParameter(refusal?.wwwAuthenticate, 'resource_metadata')).toBe(
      stack.protection.metadataUrl(stack.server.url),
    )
    const claims = challengeParameter(refusal?.wwwAuthenticate, 'claims')
    expect(JSON.parse(Buffer.from(claims ?? '', 'base64').toString('utf8'))).toEqual(JSON.parse(emu.mfaClaimsChallenge))
    await client.close()
  })

  it('answers a user who has not consented with 403 on tools/call, with resource_metadata', async () => {
    const { client, seen } = await connect(tokenFor(emu.defaults.users.consentMissing))
    const error = await rejection(client.callTool({ name: 'list_documents', arguments: {} }))
    expect((error as StreamableHTTPError).code).toBe(403)
    expect(challengeParameter(seen.at(-1)?.wwwAuthenticate, 'resource_metadata')).toBe(
      stack.protection.metadataUrl(stack.server.url),
    )
    await client.close()
  })

  it('makes one token request for 100 concurrent tool calls of one user', async () => {
    const user = emu.addUser({ upn: `lidia@${emu.tenant.domain}`, name: 'Lidia Holloway' })
    const token = tokenFor(user)
    const { client } = await connect(token)
    emu.clearRequests()
    const results = await Promise.all(
      Array.from({ length: 100 }, () => client.callTool({ name: 'list_documents', arguments: {} })),
    )
    for (const result of results) {
      expect(result.isError).toBeFalsy()
      expect((JSON.parse(textOf(result)) as DocumentList).user.oid).toBe(user.oid)
    }
    const exchanges = emu.requests.filter(
      (r) =>
        r.form['requested_token_use'] === 'on_behalf_of' && unsigned(r.form['assertion'] ?? '') === unsigned(token),
    )
    expect(exchanges).toHaveLength(1)
    await client.close()
  })
})
