/**
 * `pnpm mcp`: starts the MCP example (emulator by default; a real tenant when the environment names one) and
 * prints how to connect an MCP client. Ctrl+C stops it.
 *
 * @module
 */
import { startMcpStack } from './stack.ts'

const stack = await startMcpStack({ env: process.env })
const { identity, server, protection, resource } = stack
const lines = [
  `MCP server (Streamable HTTP)   ${server.url}`,
  `Protected resource metadata    ${protection.metadataUrl(server.url)}`,
  `Resource (App ID URI)          ${resource}`,
  `Authorization server           ${stack.api.authority}`,
  `Documents API (downstream)     ${stack.downstream.url}`,
]
const emulator = identity.emulator
if (emulator !== undefined) {
  lines.push('', 'Emulator mode. Bearer tokens for test users (audience = the resource above), valid 1 hour:')
  for (const user of identity.users) {
    lines.push(`  ${user.id.padEnd(8)} ${user.username}`)
    lines.push(`           ${emulator.issueUserToken({ user: user.username, audience: resource })}`)
  }
  lines.push('', 'Send one as "Authorization: Bearer <token>" from your MCP client (see the README).')
}
console.log(lines.join('\n'))

const stop = (): void => {
  void stack.close().then(() => process.exit(0))
}
process.once('SIGINT', stop)
process.once('SIGTERM', stop)
