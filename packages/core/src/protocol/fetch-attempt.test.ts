import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { rejection } from '../../test/error-code.ts'
import { fetchAttempt, type FetchAttemptRequest } from './fetch-attempt.ts'
import { InvalidResponseError } from './invalid-response-error.ts'

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

  it('refuses every 3xx as INVALID_RESPONSE with its status, and never follows it', async () => {
    let followed = 0
    const target = createServer((_request, response) => {
      followed += 1
      response.end('{}')
    })
    await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve))
    const location = `http://127.0.0.1:${(target.address() as AddressInfo).port}/elsewhere`
    try {
      for (const status of [301, 302, 303, 307, 308]) {
        handle = (_request, response) => {
          response.writeHead(status, { location })
          response.end()
        }
        const error = await rejection(attempt())
        expect(error.code).toBe('INVALID_RESPONSE')
        expect(error).toBeInstanceOf(InvalidResponseError)
        expect((error as InvalidResponseError).status).toBe(status)
        expect(error.message).toContain(new URL(location).host)
      }
      expect(followed).toBe(0)
    } finally {
      await new Promise((resolve) => target.close(resolve))
    }
  })

  // What Cloudflare workerd's own fetch enforces (its messages); the real runtime runs in scripts/check-runtimes.mjs.
  it('calls the configured fetch unbound, as workerd requires of its own fetch', async () => {
    function bindingCheckedFetch(this: unknown, input: string | URL | Request, init?: RequestInit): Promise<Response> {
      if (this !== undefined && this !== globalThis) {
        throw new TypeError('Illegal invocation: function called with incorrect `this` reference.')
      }
      return globalThis.fetch(input, init)
    }
    handle = (_request, response) => response.end('{"ok":true}')
    const answer = await attempt({ fetch: bindingCheckedFetch })
    expect(answer.status).toBe(200)
    expect(answer.text).toBe('{"ok":true}')
  })

  it("names a runtime's fetch error in one sentence, without a doubled period", async () => {
    const failingFetch = (): Promise<Response> => Promise.reject(new TypeError('Network connection lost.'))
    const error = await rejection(attempt({ fetch: failingFetch }))
    expect(error.code).toBe('NETWORK_ERROR')
    expect(error.message).toContain('Network connection lost. Check the network')
  })

  it("asks only for what workerd implements: redirect 'manual', no cache field", async () => {
    const seen: RequestInit[] = []
    const workerdInitFetch = (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
      if (init?.redirect !== undefined && init.redirect !== 'follow' && init.redirect !== 'manual') {
        throw new TypeError('Invalid redirect value, must be one of "follow" or "manual".')
      }
      if (init !== undefined && 'cache' in init) {
        throw new Error("The 'cache' field on 'RequestInitializerDict' is not implemented.")
      }
      seen.push(init ?? {})
      return globalThis.fetch(input, init)
    }
    handle = (_request, response) => response.end('{"ok":true}')
    expect((await attempt({ fetch: workerdInitFetch })).status).toBe(200)
    expect(seen.map((init) => init.redirect)).toEqual(['manual'])
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
    // Not known to be the authority (e.g. a managed identity endpoint): no authority advice.
    expect(error.message).not.toContain('disableInstanceDiscovery')
    const authority = await rejection(attempt({ url: `http://127.0.0.1:${port}/token`, target: 'authority' }))
    expect(authority.code).toBe('NETWORK_ERROR')
    expect(authority.message).toContain('The authority is unreachable')
    expect(authority.message).toContain('`disableInstanceDiscovery: true`')
  })
})
