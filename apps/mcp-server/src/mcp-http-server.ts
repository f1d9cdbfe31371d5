/**
 * The MCP endpoint over Streamable HTTP (stateless: one SDK server and transport per request, so nothing of one
 * user's request outlives it or reaches another user), behind `@onbehalf/server/mcp`.
 *
 * @module
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js'
import type { McpProtection } from '@onbehalf/server/mcp'
import { registerDocumentTools } from './tools.ts'

/** Options of {@link startMcpHttpServer}. */
export interface McpHttpServerOptions {
  readonly protection: McpProtection
  /** Path of the MCP endpoint. Default `/mcp`. */
  readonly path?: string
  /** Default 0 (a free port). Binds 127.0.0.1. */
  readonly port?: number
}

/** A running MCP server. */
export interface McpHttpServer {
  /** `http://127.0.0.1:<port>` */
  readonly origin: string
  /** The MCP endpoint URL. */
  readonly url: string
  close(): Promise<void>
}

/**
 * Starts the MCP server on loopback.
 *
 * @example
 * ```ts
 * const server = await startMcpHttpServer({ protection: createMcpProtection(api, { path: '/mcp' }) })
 * ```
 */
export async function startMcpHttpServer(options: McpHttpServerOptions): Promise<McpHttpServer> {
  const path = options.path ?? '/mcp'
  const { protection } = options
  const server: Server = createServer((req, res) => {
    void (async () => {
      const gate = await protection.handleNode(req, res)
      if (gate === undefined) return // metadata served, or refused with resource_metadata
      if (new URL(req.url ?? '/', 'http://localhost').pathname !== path) {
        res.writeHead(404, { 'Content-Type': 'text/plain' }).end('Not found')
        return
      }
      const mcp = new McpServer({ name: 'onbehalf-documents', version: '0.0.0' })
      registerDocumentTools(mcp)
      const transport = new StreamableHTTPServerTransport({ enableJsonResponse: true }) // no session IDs: stateless
      res.on('close', () => {
        // A close that fails after the response ended has nobody to tell; it must not become an unhandled rejection.
        transport.close().catch(() => undefined)
        mcp.close().catch(() => undefined)
      })
      await mcp.connect(transport)
      await transport.handleRequest(Object.assign(req, { auth: gate.authInfo }), res, gate.parsedBody)
    })().catch((error: unknown) => {
      console.error('MCP request failed:', error instanceof Error ? error.message : 'unknown error')
      if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'text/plain' })
      res.end()
    })
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve())
  })
  const origin = `http://127.0.0.1:${String((server.address() as AddressInfo).port)}`
  return {
    origin,
    url: `${origin}${path}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}
