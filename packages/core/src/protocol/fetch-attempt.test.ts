import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { rejection } from '../../test/error-code.ts'
import { fetchAttempt, type FetchAttemptRequest } from './fetch-attempt.ts'

let server: Server
let origin: string
let handle: (request: IncomingMessage, response: ServerResponse) => void = (_request, response) => response.end()
let received = 0

beforeAll(async () => {
  server = createServer((request, response) => {
    received += 1
    handle(request, response)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})

afterAll(async () => {
  server.closeAllConnections()
  await new Promise((resolve) => server.close(resolve))
})

function attempt(overrides: Partial<FetchAttemptRequest> = {}): Promise<Awaited<ReturnType<typeof fetchAttempt>>> {
  return fetchAttempt({
    fetch: globalThis.fetch,
    method: 'POST',
    url: `${origin}/token`,
    body: 'grant_type=x',
    deadlineAt: Date.now() + 5_000,
    timeoutMs: 5_000,
    maxBytes: 1_000,
    ...overrides,
  })
}

describe('fetchAttempt', () => {
  it('returns any status with its body and Retry-After', async () => {
    handle = (_request, response) => {
      response.writeHead(429, { 'retry-after': '3', 'content-type': 'application/json' })
      response.end('{"error":"slow_down"}')
    }
    const answer = await attempt()
    expect(answer.status).toBe(429)
    expect(answer.text).toBe('{"error":"slow_down"}')
    expect(answer.retryAfterMs).toBe(3000)
  })

  it('refuses a redirect as NETWORK_ERROR', async () => {
    handle = (_request, response) => {
      response.writeHead(307, { location: 'http://127.0.0.1:9/elsewhere' })
      response.end()
    }
    expect((await rejection(attempt())).code).toBe('NETWORK_ERROR')
  })

  it('refuses an oversized body as INVALID_RESPONSE', async () => {
    handle = (_request, response) => response.end('x'.repeat(5_000))
    expect((await rejection(attempt())).code).toBe('INVALID_RESPONSE')
  })

  it('ends with TIMEOUT at the deadline, and sends nothing once it has passed', async () => {
    handle = () => undefined
    const started = Date.now()
    expect((await rejection(attempt({ deadlineAt: Date.now() + 100 }))).code).toBe('TIMEOUT')
    expect(Date.now() - started).toBeLessThan(2_000)
    const before = received
    expect((await rejection(attempt({ deadlineAt: Date.now() - 1 }))).code).toBe('TIMEOUT')
    expect(received).toBe(before)
  })

  it('ends with ABORTED when the caller aborts mid-request, and sends nothing when already aborted', async () => {
    handle = () => undefined
    const controller = new AbortController()
    const pending = attempt({ signal: controller.signal })
    setTimeout(() => controller.abort(), 50)
    expect((await rejection(pending)).code).toBe('ABORTED')
    const before = received
    expect((await rejection(attempt({ signal: AbortSignal.abort() }))).code).toBe('ABORTED')
    expect(received).toBe(before)
  })

  it('makes a refused connection NETWORK_ERROR naming the socket error', async () => {
    const closed = createServer()
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve))
    const port = (closed.address() as AddressInfo).port
    await new Promise((resolve) => closed.close(resolve))
    const error = await rejection(attempt({ url: `http://127.0.0.1:${port}/token` }))
    expect(error.code).toBe('NETWORK_ERROR')
    expect(error.message).toContain('ECONNREFUSED')
  })
})
