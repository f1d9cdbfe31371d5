/**
 * `@onbehalf/server/mcp`: an MCP server (Streamable HTTP) as an OAuth resource server on Entra, as the MCP
 * authorization spec asks. It publishes RFC 9728 protected resource metadata, answers unauthenticated requests
 * with `401` + `WWW-Authenticate: Bearer resource_metadata="…"`, and hands tools the validated caller, who calls
 * downstream APIs by On-Behalf-Of — never by passing the client's token through. Framework-neutral: Web
 * `Request`/`Response`, or Node's `req`/`res`; it does not import the MCP SDK (the `authInfo` it returns has the
 * SDK's `AuthInfo` shape, so it goes straight into `transport.handleRequest`).
 *
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { ApiAuthError } from './api-auth-error.ts'
import { formatBearerChallenge } from './bearer-challenge.ts'
import type { Caller } from './caller.ts'
import type { ProtectedApi } from './protected-api.ts'
import type { Requirement } from './requirements.ts'

/** Options of {@link createMcpProtection}. */
export interface McpProtectionOptions {
  /** URL path of the MCP endpoint, e.g. `/mcp`. Default `/`. The metadata path is suffixed with it (RFC 9728 §3.1). */
  readonly path?: string
  /**
   * The RFC 9728 `resource`: what clients send as the RFC 8707 `resource` indicator. Default: the API's App ID
   * URI. With Entra, the App ID URI must equal it (clients such as the MCP SDK's check that it matches the server
   * URL, so register the MCP endpoint URL as an App ID URI for them).
   */
  readonly resource?: string
  /** `scopes_supported` and the `scope` hint of 401s. Default: the API's scopes (`options.scopes`, qualified). */
  readonly scopes?: readonly string[]
  /** Checked on every MCP request, e.g. `requireScopes('access_as_user')` (a miss is a 403 `insufficient_scope`). */
  readonly requirements?: readonly Requirement[]
  /**
   * Downstream APIs (names of `downstreamApis`, or scopes) whose OBO token is fetched before a `tools/call`
   * reaches the MCP layer. Then a step-up (MFA, Conditional Access) is an HTTP `401` with
   * `error="insufficient_claims"`, `claims` and `resource_metadata`, which MCP clients act on by authorizing
   * again; inside a tool it could only become a tool result. Tokens are cached, so this costs a lookup.
   */
  readonly preflight?: readonly string[]
  /** `resource_name` of the metadata. */
  readonly resourceName?: string
  /** `resource_documentation` of the metadata (a URL). */
  readonly resourceDocumentation?: string
  /**
   * The public origin (e.g. `https://mcp.contoso.com`) used in `resource_metadata`. Default: the request's own
   * origin (`Host` header), right when nothing rewrites it; set it behind a proxy.
   */
  readonly publicOrigin?: string
  /** Largest JSON-RPC body read by {@link McpProtection.handleNode}, in bytes. Default 4 MB (the SDK's). */
  readonly maxBodyBytes?: number
}

/** The RFC 9728 protected resource metadata document. */
export interface ProtectedResourceMetadata {
  readonly resource: string
  readonly authorization_servers: readonly string[]
  readonly scopes_supported: readonly string[]
  readonly bearer_methods_supported: readonly ['header']
  readonly resource_name?: string
  readonly resource_documentation?: string
}

/**
 * The validated caller in the MCP SDK's `AuthInfo` shape: pass it as `authInfo` to the transport; tools read the
 * caller back with {@link callerOf}. `token` is empty on purpose: the client's token is for this server only and
 * is never handed on (tools call downstream through the caller, by OBO).
 */
export interface McpAuthInfo {
  readonly token: string
  readonly clientId: string
  readonly scopes: string[]
  readonly expiresAt?: number
  readonly resource?: URL
  readonly extra: { readonly caller: Caller }
}

/** The outcome of {@link McpProtection.handle}: an answer to send as is, or the caller to serve. */
export type McpGate =
  | { readonly response: Response; readonly authInfo?: undefined; readonly parsedBody?: undefined }
  | { readonly response?: undefined; readonly authInfo: McpAuthInfo; readonly parsedBody: unknown }

/**
 * MCP protection for one protected API.
 *
 * @example
 * ```ts
 * const gate = await mcp.handle(request)
 * if (gate.response) return gate.response
 * return transport.handleRequest(request, { authInfo: gate.authInfo, parsedBody: gate.parsedBody })
 * ```
 */
export interface McpProtection {
  /** The metadata document. */
  readonly metadata: ProtectedResourceMetadata
  /** `/.well-known/oauth-protected-resource` suffixed with the MCP path. */
  readonly metadataPath: string
  /** The metadata URL for a request to `requestUrl` (or `publicOrigin` when set). */
  metadataUrl(requestUrl: string | URL): string
  /**
   * Answers a metadata request (`GET`/`OPTIONS` on the well-known path, with CORS), or authenticates an MCP
   * request: a refusal is a `Response` with `WWW-Authenticate: Bearer resource_metadata="…"`.
   */
  handle(request: Request): Promise<McpGate>
  /**
   * The same for Node's `req`/`res`: writes the metadata or the refusal and returns `undefined`, or returns what
   * to pass to `StreamableHTTPServerTransport.handleRequest(req, res, parsedBody)` (with `req.auth = authInfo`).
   */
  handleNode(
    req: IncomingMessage,
    res: ServerResponse,
  ): Promise<{ readonly authInfo: McpAuthInfo; readonly parsedBody: unknown } | undefined>
  /** An `ApiAuthError` as this server's answer: its challenge plus `resource_metadata` and the scope hint. */
  refusal(error: ApiAuthError, requestUrl: string | URL): Response
}

const wellKnown = '/.well-known/oauth-protected-resource'

/**
 * Creates the MCP protection of a protected API.
 *
 * @example
 * ```ts
 * import { createProtectedApi } from '@onbehalf/server'
 * import { createMcpProtection, callerOf } from '@onbehalf/server/mcp'
 *
 * const api = createProtectedApi({ tenantId, clientId, clientSecret, scopes: ['access_as_user'],
 *   downstreamApis: { docs: { baseUrl: 'https://docs.contoso.com', scopes: ['api://docs/Documents.Read'] } } })
 * const mcp = createMcpProtection(api, { path: '/mcp', preflight: ['docs'] })
 * server.registerTool('list_documents', { description: 'My documents' }, async (_args, extra) => {
 *   const answer = await callerOf(extra).fetch('docs', '/documents')
 *   return { content: [{ type: 'text', text: await answer.text() }] }
 * })
 * ```
 */
export function createMcpProtection(api: ProtectedApi, options: McpProtectionOptions = {}): McpProtection {
  const path = normalizePath(options.path ?? '/')
  const metadataPath = path === '/' ? wellKnown : `${wellKnown}${path}`
  const scopes = [...(options.scopes ?? api.scopes)]
  const metadata: ProtectedResourceMetadata = {
    resource: options.resource ?? api.appIdUri,
    authorization_servers: [api.authority],
    scopes_supported: scopes,
    bearer_methods_supported: ['header'],
    ...(options.resourceName === undefined ? {} : { resource_name: options.resourceName }),
    ...(options.resourceDocumentation === undefined ? {} : { resource_documentation: options.resourceDocumentation }),
  }
  const publicOrigin = options.publicOrigin === undefined ? undefined : new URL(options.publicOrigin).origin
  const requirements = options.requirements ?? []
  const preflight = options.preflight ?? []
  const maxBodyBytes = options.maxBodyBytes ?? 4 * 1024 * 1024
  const resourceUrl = URL.canParse(metadata.resource) ? new URL(metadata.resource) : undefined

  const metadataUrl = (requestUrl: string | URL): string =>
    `${publicOrigin ?? new URL(requestUrl).origin}${metadataPath}`
  const isMetadataPath = (pathname: string): boolean =>
    pathname === metadataPath || pathname === wellKnown || pathname === `${metadataPath}/`

  const refusal = (error: ApiAuthError, requestUrl: string | URL): Response => {
    const headers = new Headers(error.toResponse().headers)
    // Every 401/403 tells the client where to learn how to get a token for this server.
    if (error.status === 401 || error.status === 403) {
      headers.set(
        'WWW-Authenticate',
        formatBearerChallenge({
          resource_metadata: metadataUrl(requestUrl),
          ...(scopes.length > 0 ? { scope: scopes.join(' ') } : {}),
          ...(error.challenge ?? { error: error.error }),
        }),
      )
    }
    return new Response(JSON.stringify(error.body), { status: error.status, headers })
  }

  // Authenticates first, so an anonymous client never makes this server read a body.
  const gate = async (
    request: Request | IncomingMessage,
    readBody: () => Promise<unknown>,
  ): Promise<{ authInfo: McpAuthInfo; parsedBody: unknown }> => {
    const caller = await api.authenticate(request, ...requirements)
    const parsedBody = await readBody()
    if (preflight.length > 0 && callsTool(parsedBody)) {
      for (const target of preflight) await caller.getToken(target)
    }
    const claims = caller.claims
    const authInfo: McpAuthInfo = {
      token: '',
      clientId: String(claims.azp ?? claims.appid ?? ''),
      scopes: [...caller.scopes],
      ...(typeof claims.exp === 'number' ? { expiresAt: claims.exp } : {}),
      ...(resourceUrl === undefined ? {} : { resource: resourceUrl }),
      extra: { caller },
    }
    return { authInfo, parsedBody }
  }

  return {
    metadata,
    metadataPath,
    metadataUrl,
    refusal,
    async handle(request) {
      const url = new URL(request.url)
      if (isMetadataPath(url.pathname)) return { response: metadataResponse(request.method, metadata) }
      try {
        return await gate(request, () => readWebBody(request))
      } catch (error) {
        if (error instanceof ApiAuthError) return { response: refusal(error, url) }
        throw error
      }
    },
    async handleNode(req, res) {
      const url = new URL(req.url ?? '/', `http://${req.headers.host ?? 'localhost'}`)
      if (isMetadataPath(url.pathname)) {
        await sendNode(res, metadataResponse(req.method ?? 'GET', metadata))
        return undefined
      }
      try {
        return await gate(req, () => readNodeBody(req, maxBodyBytes))
      } catch (error) {
        if (error instanceof ApiAuthError) await sendNode(res, refusal(error, url))
        else if (error instanceof BodyTooLarge) await sendNode(res, new Response(null, { status: 413 }))
        else throw error
        return undefined
      }
    },
  }
}

/**
 * The caller of a tool call: reads what {@link McpProtection} put in `authInfo`.
 *
 * @throws TypeError when the request did not go through {@link McpProtection} (no caller in `authInfo`).
 * @example
 * ```ts
 * server.registerTool('whoami', { description: 'Who am I' }, async (_args, extra) => ({
 *   content: [{ type: 'text', text: String(callerOf(extra).claims.name) }],
 * }))
 * ```
 */
export function callerOf(extra: {
  readonly authInfo?: { readonly extra?: Readonly<Record<string, unknown>> | undefined } | undefined
}): Caller {
  const caller = extra.authInfo?.extra?.['caller']
  if (typeof caller !== 'object' || caller === null) {
    throw new TypeError(
      'callerOf: this request carries no caller; pass the authInfo from createMcpProtection (handle / handleNode) to the transport.',
    )
  }
  return caller as Caller
}

/**
 * A tool result for an `ApiAuthError` thrown inside a tool (after the preflight): `isError`, the message (no
 * token text), and under `_meta["onbehalf/www-authenticate"]` the challenge, for clients that can act on it.
 * Other errors are rethrown.
 *
 * @example
 * ```ts
 * try { ... } catch (error) { return toolErrorOf(error) }
 * ```
 */
export function toolErrorOf(error: unknown): {
  isError: true
  content: { type: 'text'; text: string }[]
  _meta: Record<string, unknown>
} {
  if (!(error instanceof ApiAuthError)) throw error
  return {
    isError: true,
    content: [{ type: 'text', text: `${error.code}: ${error.message}` }],
    _meta: {
      'onbehalf/status': error.status,
      'onbehalf/code': error.code,
      ...(error.wwwAuthenticate === undefined ? {} : { 'onbehalf/www-authenticate': error.wwwAuthenticate }),
    },
  }
}

function normalizePath(path: string): string {
  if (typeof path !== 'string' || !path.startsWith('/')) {
    throw new TypeError('createMcpProtection: "path" must be a URL path starting with "/", e.g. "/mcp".')
  }
  const trimmed = path.replace(/\/+$/, '')
  return trimmed === '' ? '/' : trimmed
}

function metadataResponse(method: string, metadata: ProtectedResourceMetadata): Response {
  // Browser-based clients (MCP Inspector) read the metadata cross-origin.
  const cors = {
    'Access-Control-Allow-Origin': '*',
    'Access-Control-Allow-Methods': 'GET, OPTIONS',
    'Access-Control-Allow-Headers': '*',
  }
  if (method === 'OPTIONS') return new Response(null, { status: 204, headers: cors })
  if (method !== 'GET' && method !== 'HEAD') {
    return new Response(null, { status: 405, headers: { ...cors, Allow: 'GET, OPTIONS' } })
  }
  return new Response(method === 'HEAD' ? null : JSON.stringify(metadata), {
    status: 200,
    headers: { ...cors, 'Content-Type': 'application/json', 'Cache-Control': 'max-age=3600' },
  })
}

/** `true` when a JSON-RPC message (or batch) calls a tool. */
function callsTool(body: unknown): boolean {
  const messages = Array.isArray(body) ? (body as unknown[]) : [body]
  return messages.some(
    (m) => typeof m === 'object' && m !== null && (m as { method?: unknown }).method === 'tools/call',
  )
}

async function readWebBody(request: Request): Promise<unknown> {
  if (request.method !== 'POST') return undefined
  try {
    return await request.clone().json()
  } catch {
    return undefined // the transport answers malformed JSON-RPC itself
  }
}

class BodyTooLarge extends Error {}

async function readNodeBody(req: IncomingMessage, maxBytes: number): Promise<unknown> {
  if (req.method !== 'POST') return undefined
  const chunks: Uint8Array[] = []
  let size = 0
  for await (const chunk of req as AsyncIterable<Uint8Array | string>) {
    const bytes = typeof chunk === 'string' ? new TextEncoder().encode(chunk) : chunk
    size += bytes.byteLength
    if (size > maxBytes) throw new BodyTooLarge('body too large')
    chunks.push(bytes)
  }
  const text = new TextDecoder().decode(concat(chunks, size))
  try {
    return JSON.parse(text) as unknown
  } catch {
    return text // not JSON: the transport answers with a JSON-RPC parse error
  }
}

function concat(chunks: readonly Uint8Array[], size: number): Uint8Array {
  const out = new Uint8Array(size)
  let offset = 0
  for (const chunk of chunks) {
    out.set(chunk, offset)
    offset += chunk.byteLength
  }
  return out
}

async function sendNode(res: ServerResponse, response: Response): Promise<void> {
  const headers: Record<string, string> = {}
  response.headers.forEach((value, name) => {
    headers[name] = value
  })
  res.writeHead(response.status, headers)
  res.end(response.body === null ? undefined : new Uint8Array(await response.arrayBuffer()))
}
