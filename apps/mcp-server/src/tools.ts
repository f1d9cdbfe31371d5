/**
 * The MCP tools: each calls the documents API as the signed-in user, by On-Behalf-Of, in one line
 * (`callerOf(extra).fetch('docs', …)`). The client's own token never leaves this server.
 *
 * @module
 */
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import { callerOf, toolErrorOf } from '@onbehalf/server/mcp'
import { z } from 'zod'

/** The name of the downstream API in `downstreamApis`. */
export const documentsApi = 'docs'

type ToolResult = { content: { type: 'text'; text: string }[]; isError?: boolean; _meta?: Record<string, unknown> }

/** The downstream's answer as a tool result: its JSON on success, its status (never a token) on failure. */
async function resultOf(answer: Response): Promise<ToolResult> {
  const text = await answer.text()
  if (answer.ok) return { content: [{ type: 'text', text }] }
  return {
    isError: true,
    content: [{ type: 'text', text: `The documents API answered HTTP ${String(answer.status)}.` }],
  }
}

/** Runs a tool body; an `ApiAuthError` (step-up, consent, throttling) becomes a tool error with its challenge. */
async function guarded(body: () => Promise<ToolResult>): Promise<ToolResult> {
  try {
    return await body()
  } catch (error) {
    return toolErrorOf(error)
  }
}

/**
 * Registers `whoami`, `list_documents` and `read_document` on an MCP server.
 *
 * @example
 * ```ts
 * const server = new McpServer({ name: 'documents', version: '1.0.0' })
 * registerDocumentTools(server)
 * ```
 */
export function registerDocumentTools(server: McpServer): void {
  server.registerTool(
    'whoami',
    { description: 'Who the signed-in user is, as this server validated their token.' },
    (extra) => {
      const { claims, tenantId, scopes } = callerOf(extra)
      const user = { name: claims['name'], username: claims['preferred_username'], oid: claims.oid, tenantId, scopes }
      return { content: [{ type: 'text', text: JSON.stringify(user) }] }
    },
  )
  server.registerTool(
    'list_documents',
    { description: "Lists the signed-in user's documents (id, title, owner, last change)." },
    (extra) => guarded(async () => resultOf(await callerOf(extra).fetch(documentsApi, '/documents'))),
  )
  server.registerTool(
    'read_document',
    {
      description: 'Reads one of the signed-in user’s documents by its id (from list_documents).',
      inputSchema: { id: z.string().min(1).max(64).describe('The document id, e.g. "doc-1a2b-1".') },
    },
    ({ id }, extra) =>
      guarded(async () => resultOf(await callerOf(extra).fetch(documentsApi, `/documents/${encodeURIComponent(id)}`))),
  )
}
