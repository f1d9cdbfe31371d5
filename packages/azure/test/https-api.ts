/**
 * A local HTTPS API on 127.0.0.1:0 standing in for a downstream service, with a certificate made by openssl
 * at test time and an https.Agent that trusts it. Records the Authorization header of each request.
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { Agent, createServer } from 'node:https'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export interface HttpsApi {
  readonly origin: string
  readonly agent: Agent
  /** The bearer token of each request, oldest first. */
  readonly tokens: string[]
  handle(handler: (request: IncomingMessage, response: ServerResponse) => void): void
  close(): Promise<void>
}

export async function startHttpsApi(): Promise<HttpsApi> {
  const dir = mkdtempSync(join(tmpdir(), 'onbehalf-azure-api-'))
  let key: string
  let cert: string
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        'key.pem',
        '-out',
        'cert.pem',
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
      ],
      { cwd: dir, stdio: 'ignore' },
    )
    key = readFileSync(join(dir, 'key.pem'), 'utf8')
    cert = readFileSync(join(dir, 'cert.pem'), 'utf8')
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
  const tokens: string[] = []
  let handler = (_request: IncomingMessage, response: ServerResponse): void => {
    response.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}')
  }
  const server = createServer({ key, cert }, (request, response) => {
    tokens.push((request.headers.authorization ?? '').replace(/^Bearer /, ''))
    handler(request, response)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  const agent = new Agent({ ca: cert, keepAlive: false })
  return {
    origin: `https://127.0.0.1:${port}`,
    agent,
    tokens,
    handle(next) {
      handler = next
    },
    close: () =>
      new Promise<void>((resolve) => {
        agent.destroy()
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
