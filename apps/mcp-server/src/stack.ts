/**
 * The whole MCP example: an identity provider (the emulator, or a real tenant from the environment), the demo's
 * documents API (which accepts only OBO tokens whose `azp` is this server), and the MCP server protected by
 * `@onbehalf/server/mcp`.
 *
 * @module
 */
import { startDownstreamApiFor, type DownstreamApi } from '@onbehalf/demo/downstream-api'
import {
  clientCredentialOf,
  emulatorIdentity,
  entraIdentity,
  usesRealEntra,
  type EntraEnvironment,
  type IdentitySetup,
} from '@onbehalf/demo/identity'
import { createLoopbackTlsIdentity } from '@onbehalf/demo/tls'
import { createTrustingFetch } from '@onbehalf/entra-emulator'
import { createProtectedApi, requireScopes, type ProtectedApi } from '@onbehalf/server'
import { createMcpProtection, type McpProtection } from '@onbehalf/server/mcp'
import { startMcpHttpServer, type McpHttpServer } from './mcp-http-server.ts'
import { documentsApi } from './tools.ts'

/** Options of {@link startMcpStack}. */
export interface McpStackOptions {
  /**
   * Real-tenant variables (as the demo's: `AZURE_TENANT_ID`, `MIDDLE_TIER_CLIENT_ID`, a secret or certificate,
   * `MIDDLE_TIER_APP_ID_URI`, `DOWNSTREAM_APP_ID_URI`, …) plus `MCP_PORT` and `MCP_RESOURCE`. Default: none
   * (emulator).
   */
  readonly env?: EntraEnvironment
  /** Port of the MCP server. Default `MCP_PORT`, else 0. */
  readonly port?: number
  /** Start the emulator with these options (tests). */
  readonly emulatorPort?: number
}

/** A running MCP example. */
export interface McpStack {
  readonly identity: IdentitySetup
  readonly api: ProtectedApi
  readonly protection: McpProtection
  readonly downstream: DownstreamApi
  /** A `fetch` that trusts the documents API's loopback certificate (and only it, besides public roots). */
  readonly downstreamFetch: typeof fetch
  readonly server: McpHttpServer
  /** The RFC 9728 `resource` (the MCP server's App ID URI): the audience of the tokens it accepts. */
  readonly resource: string
  close(): Promise<void>
}

/**
 * Starts the emulator (or reads the real tenant from `env`), the documents API and the MCP server.
 *
 * @example
 * ```ts
 * const stack = await startMcpStack()
 * console.log(stack.server.url, stack.protection.metadataUrl(stack.server.url))
 * ```
 */
export async function startMcpStack(options: McpStackOptions = {}): Promise<McpStack> {
  const env = options.env ?? {}
  const cleanups: (() => Promise<void>)[] = []
  const close = async (): Promise<void> => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined)
  }
  try {
    const identity = usesRealEntra(env)
      ? await entraIdentity(env)
      : await emulatorIdentity({ ...(options.emulatorPort === undefined ? {} : { port: options.emulatorPort }), env })
    cleanups.push(() => identity.close())
    const tls = createLoopbackTlsIdentity()
    // Only this server, exchanging by OBO, may call it: a passed-through client token has the client's azp.
    const downstream = await startDownstreamApiFor(identity, tls)
    cleanups.push(() => downstream.close())

    const downstreamFetch = createTrustingFetch({ ca: tls.certificatePem })
    const { middleTier } = identity
    const appIdUri = middleTier.audiences.find((a) => a !== middleTier.clientId) ?? `api://${middleTier.clientId}`
    const resource = env['MCP_RESOURCE']?.trim() || appIdUri
    const api = createProtectedApi({
      tenantId: identity.tenantId,
      clientId: middleTier.clientId,
      // The MCP resource is an App ID URI of this app (Entra issues tokens for it when clients send `resource`).
      appIdUri: resource === appIdUri ? [appIdUri] : [resource, appIdUri],
      scopes: [middleTier.scope],
      authority: identity.authorityHost,
      disableInstanceDiscovery: middleTier.disableInstanceDiscovery,
      ...clientCredentialOf(middleTier),
      ...(middleTier.engine === undefined ? {} : { engine: middleTier.engine }),
      ...(identity.fetch === undefined ? {} : { fetch: identity.fetch }),
      downstreamApis: {
        [documentsApi]: {
          baseUrl: downstream.url,
          scopes: identity.downstream.scopes,
          // The documents API serves a loopback certificate made at start: trust exactly that one.
          fetch: downstreamFetch,
        },
      },
    })
    const protection = createMcpProtection(api, {
      path: '/mcp',
      resource,
      requirements: [requireScopes(middleTier.scope)],
      preflight: [documentsApi],
      resourceName: 'onbehalf documents (MCP example)',
    })
    const port = options.port ?? (Number(env['MCP_PORT']) || 0)
    const server = await startMcpHttpServer({ protection, path: '/mcp', port })
    cleanups.push(() => server.close())
    return { identity, api, protection, downstream, downstreamFetch, server, resource, close }
  } catch (error) {
    await close()
    throw error
  }
}
