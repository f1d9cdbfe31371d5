/**
 * Test-only: an HTTPS server on 127.0.0.1:0 with a certificate made by openssl at test time, a fetch that
 * trusts it (over node:https), and a scripted handler per test. Used for the unit tests of the HTTP layer;
 * the emulator covers the protocol end to end.
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createServer, request as httpsRequest, type Server } from 'node:https'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'

export interface RecordedRequest {
  readonly method: string
  readonly path: string
  readonly headers: IncomingMessage['headers']
  readonly body: string
  readonly form: URLSearchParams
}

export type Handler = (request: RecordedRequest, response: ServerResponse, socket: Socket) => void | Promise<void>

export interface TestServer {
  readonly origin: string
  readonly fetch: typeof globalThis.fetch
  readonly requests: RecordedRequest[]
  /** Replaces the handler for the next requests. */
  handle(handler: Handler): void
  close(): Promise<void>
}

export function makeServerCertificate(): { key: string; cert: string } {
  const dir = mkdtempSync(join(tmpdir(), 'onbehalf-jose-tls-'))
  try {
    execFileSync(
      '/usr/bin/openssl',
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
        '2',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1,DNS:localhost',
      ],
      { cwd: dir, stdio: 'ignore' },
    )
    return { key: readFileSync(join(dir, 'key.pem'), 'utf8'), cert: readFileSync(join(dir, 'cert.pem'), 'utf8') }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

let tls: { key: string; cert: string } | undefined

export async function startTestServer(): Promise<TestServer> {
  tls ??= makeServerCertificate()
  const { key, cert } = tls
  const requests: RecordedRequest[] = []
  let handler: Handler = (_request, response) => {
    response.writeHead(500).end()
  }
  const sockets = new Set<Socket>()
  const server: Server = createServer({ key, cert }, (req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8')
      const recorded: RecordedRequest = {
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body,
        form: new URLSearchParams(body),
      }
      requests.push(recorded)
      Promise.resolve(handler(recorded, res, req.socket)).catch(() => res.destroy())
    })
  })
  server.on('secureConnection', (socket: Socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    origin: `https://127.0.0.1:${port}`,
    fetch: trustingFetch(cert),
    requests,
    handle(next) {
      handler = next
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy()
        server.close(() => resolve())
      }),
  }
}

/** A minimal fetch over node:https that trusts `ca`: enough for the engine (method, headers, body, signal). */
export function trustingFetch(ca: string): typeof globalThis.fetch {
  return (input, init) =>
    new Promise<Response>((resolve, reject) => {
      const url = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url)
      const signal = init?.signal ?? undefined
      if (signal?.aborted === true) {
        reject(signal.reason as Error)
        return
      }
      const headers = new Headers(init?.headers)
      const req = httpsRequest(
        url,
        { method: init?.method ?? 'GET', headers: Object.fromEntries(headers), ca },
        (res) => {
          const responseHeaders = new Headers()
          for (const [name, value] of Object.entries(res.headers)) {
            if (Array.isArray(value)) for (const item of value) responseHeaders.append(name, item)
            else if (value !== undefined) responseHeaders.set(name, value)
          }
          const status = res.statusCode ?? 500
          const body = status === 204 || status === 304 ? null : (Readable.toWeb(res) as ReadableStream<Uint8Array>)
          resolve(new Response(body, { status, headers: responseHeaders }))
        },
      )
      const onAbort = (): void => {
        req.destroy(signal?.reason as Error)
      }
      signal?.addEventListener('abort', onAbort, { once: true })
      req.on('error', (error) => reject(new TypeError('fetch failed', { cause: error })))
      req.on('close', () => signal?.removeEventListener('abort', onAbort))
      if (typeof init?.body === 'string') req.write(init.body)
      req.end()
    })
}

/** Writes a JSON answer. */
export function json(
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body)
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers })
  response.end(text)
}

/** A success body in Entra's v2 shape. */
export function tokenBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    token_type: 'Bearer',
    scope: 'https://graph.microsoft.com/User.Read',
    expires_in: 3599,
    ext_expires_in: 3599,
    access_token: 'at-' + Math.random().toString(36).slice(2),
    ...overrides,
  }
}
