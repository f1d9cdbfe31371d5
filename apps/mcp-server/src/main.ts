/**
 * `pnpm mcp`: starts the MCP example (emulator by default; a real tenant when the environment names one) and
 * prints how to connect an MCP client. Ctrl+C stops it.
 *
 * @module
 */
import { writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
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
  // Tokens are never printed: the emulator mints them on request for the test users (CORS open, loopback only).
  const caPath = join(tmpdir(), 'onbehalf-mcp-emulator-ca.pem')
  await writeFile(caPath, emulator.caCertificate)
  lines.push('', 'Emulator mode. Test users:')
  for (const user of identity.users) lines.push(`  ${user.id.padEnd(8)} ${user.username}  (${user.scenario})`)
  const body = JSON.stringify({ user: identity.users[0]?.username ?? '', audience: resource })
  lines.push(
    '',
    'A bearer token for a test user (audience = the resource above), to send as "Authorization: Bearer <token>":',
    `  curl -s --cacert ${caPath} -H 'Content-Type: application/json' \\`,
    `    -d '${body}' ${emulator.authority}/test/user-token`,
  )
}
console.log(lines.join('\n'))

const stop = (): void => {
  void stack.close().then(() => process.exit(0))
}
process.once('SIGINT', stop)
process.once('SIGTERM', stop)
