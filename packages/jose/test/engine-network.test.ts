import type { ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import { OboError, type OAuthError } from '@onbehalf/core'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { clearAuthorityValidationMemo } from '@onbehalf/core/engine'
import { createJoseEngine, type JoseEngineOptions } from '../src/index.ts'
import { json, startTestServer, tokenBody, type TestServer } from './https-test-server.ts'

const clientId = 'client-1'
const tenantId = 'contoso.onmicrosoft.com'
const secret = 'network-secret-value'
const userAssertion = 'user.assertion.jwt'
const scopes = ['api://downstream/.default']
const request = { tenantId, userAssertion, scopes }

let server: TestServer
beforeAll(async () => {
  server = await startTestServer()
})
afterAll(() => server.close())
beforeEach(() => {
  server.requests.length = 0
  discoveryHosts.length = 0
  clearAuthorityValidationMemo()
})

// Instance discovery is asked of Entra's public cloud; in these tests the local server answers in its place.
const discoveryHosts: string[] = []
const routedFetch: typeof fetch = (input, init) => {
  const url = new URL(input instanceof Request ? input.url : String(input))
  if (url.host === 'login.microsoftonline.com') {
    discoveryHosts.push(url.host)
    const origin = new URL(server.origin)
    url.protocol = origin.protocol
    url.host = origin.host
  }
  return server.fetch(url.href, init)
}

function engine(options: JoseEngineOptions = {}, disableInstanceDiscovery = true) {
  return createJoseEngine({ retryBaseDelayMs: 5, retryMaxDelayMs: 20, ...options })({
    clientId,
    credential: { kind: 'secret', secret },
    authorityHost: server.origin,
    disableInstanceDiscovery,
    fetch: routedFetch,
  })
}

async function failure(promise: Promise<unknown>): Promise<OboError> {
  const error: unknown = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  )
  expect(error).toBeInstanceOf(OboError)
  expect((error as Error).message).not.toContain(secret)
  expect((error as Error).message).not.toContain(userAssertion)
  return error as OboError
}

/** Answers from a script, one entry per request; the last repeats. */
function script(...steps: Array<(response: ServerResponse, socket: Socket) => void>): void {
  let index = 0
  server.handle((_request, response, socket) => {
    const step = steps[Math.min(index++, steps.length - 1)]
    step?.(response, socket)
  })
}

const ok = (response: ServerResponse): void => json(response, 200, tokenBody({ access_token: 'ok' }))
const status =
  (code: number, headers: Record<string, string> = {}) =>
  (response: ServerResponse) =>
    json(
      response,
      code,
      { error: code === 429 ? 'throttled' : 'temporarily_unavailable', error_codes: [90033] },
      headers,
    )
const drop = (_response: ServerResponse, socket: Socket): void => {
  socket.destroy()
}

describe('retries', () => {
  it('retries 500 and 503, then succeeds', async () => {
    script(status(500), status(503), ok)
    expect((await engine().exchange(request)).accessToken).toBe('ok')
    expect(server.requests).toHaveLength(3)
  })

  it('gives up after 3 attempts with SERVER_ERROR carrying the Entra fields', async () => {
    script(status(503))
    const error = await failure(engine().exchange(request))
    expect(error.code).toBe('SERVER_ERROR')
    expect((error as OAuthError).status).toBe(503)
    expect((error as OAuthError).errorCodes).toEqual([90033])
    expect(server.requests).toHaveLength(3)
  })

  it('maps a non-JSON 502 to SERVER_ERROR after retries', async () => {
    script((response) => {
      response.writeHead(502, { 'content-type': 'text/html' })
      response.end('<html>Bad gateway</html>')
    })
    const error = await failure(engine({ maxRetries: 1 }).exchange(request))
    expect(error.code).toBe('SERVER_ERROR')
    expect(server.requests).toHaveLength(2)
  })

  it('honours an integer Retry-After on 429', async () => {
    script(status(429, { 'retry-after': '1' }), ok)
    const started = Date.now()
    expect((await engine().exchange(request)).accessToken).toBe('ok')
    expect(Date.now() - started).toBeGreaterThanOrEqual(950)
    expect(server.requests).toHaveLength(2)
  })

  it('fails fast with THROTTLED and retryAfterMs when Retry-After exceeds the deadline', async () => {
    script(status(429, { 'retry-after': '120' }))
    const started = Date.now()
    const error = await failure(engine({ timeoutMs: 5_000 }).exchange(request))
    expect(Date.now() - started).toBeLessThan(2_000)
    expect(error.code).toBe('THROTTLED')
    expect((error as OAuthError).retryAfterMs).toBe(120_000)
    expect(server.requests).toHaveLength(1)
  })

  it('maps a plain-text 429 to THROTTLED', async () => {
    script((response) => {
      response.writeHead(429, { 'retry-after': '60', 'content-type': 'text/plain' })
      response.end('Too Many Requests')
    })
    const error = await failure(engine({ timeoutMs: 2_000 }).exchange(request))
    expect(error.code).toBe('THROTTLED')
    expect((error as OAuthError).retryAfterMs).toBe(60_000)
  })

  it('retries a dropped connection, then succeeds', async () => {
    script(drop, ok)
    expect((await engine().exchange(request)).accessToken).toBe('ok')
    expect(server.requests).toHaveLength(2)
  })

  it('fails with NETWORK_ERROR when every attempt is dropped', async () => {
    script(drop)
    const error = await failure(engine().exchange(request))
    expect(error.code).toBe('NETWORK_ERROR')
    expect(server.requests).toHaveLength(3)
  })

  it('fails with NETWORK_ERROR when nothing listens', async () => {
    const closed = await startTestServer()
    await closed.close()
    const dead = createJoseEngine({ retryBaseDelayMs: 5, retryMaxDelayMs: 10 })({
      clientId,
      credential: { kind: 'secret', secret },
      authorityHost: closed.origin,
      disableInstanceDiscovery: true,
      fetch: closed.fetch,
    })
    expect((await failure(dead.exchange(request))).code).toBe('NETWORK_ERROR')
  })

  it('respects maxRetries: 0', async () => {
    script(status(500))
    expect((await failure(engine({ maxRetries: 0 }).exchange(request))).code).toBe('SERVER_ERROR')
    expect(server.requests).toHaveLength(1)
  })
})

describe('timeout and abort', () => {
  it('ends a request that gets no answer with TIMEOUT, promptly', async () => {
    script(() => undefined)
    const started = Date.now()
    const error = await failure(engine({ timeoutMs: 300 }).exchange(request))
    expect(error.code).toBe('TIMEOUT')
    expect(Date.now() - started).toBeLessThan(2_000)
  })

  it('ends with ABORTED when the caller aborts mid-request', async () => {
    script(() => undefined)
    const controller = new AbortController()
    const pending = engine().exchange({ ...request, signal: controller.signal })
    setTimeout(() => controller.abort(), 100)
    const started = Date.now()
    expect((await failure(pending)).code).toBe('ABORTED')
    expect(Date.now() - started).toBeLessThan(1_000)
  })

  it('ends with ABORTED during a Retry-After wait', async () => {
    script(status(429, { 'retry-after': '5' }))
    const controller = new AbortController()
    const pending = engine().exchange({ ...request, signal: controller.signal })
    setTimeout(() => controller.abort(), 200)
    const started = Date.now()
    expect((await failure(pending)).code).toBe('ABORTED')
    expect(Date.now() - started).toBeLessThan(1_000)
    expect(server.requests).toHaveLength(1)
  })

  it('sends nothing when the signal is already aborted', async () => {
    script(ok)
    expect((await failure(engine().exchange({ ...request, signal: AbortSignal.abort() }))).code).toBe('ABORTED')
    expect(server.requests).toHaveLength(0)
  })
})

describe('authority validation', () => {
  const discovery = (response: ServerResponse): void =>
    json(response, 200, {
      tenant_discovery_endpoint: `${server.origin}/${tenantId}/v2.0/.well-known/openid-configuration`,
      'api-version': '1.1',
      metadata: [],
    })

  it('checks an unknown host once per process through instance discovery', async () => {
    server.handle((recorded, response) => (recorded.method === 'GET' ? discovery(response) : ok(response)))
    await engine({}, false).exchange(request)
    await engine({}, false).exchange(request)
    const gets = server.requests.filter((recorded) => recorded.method === 'GET')
    expect(gets).toHaveLength(1)
    // Asked of Entra (as MSAL does), never of the unknown host about itself.
    expect(discoveryHosts).toEqual(['login.microsoftonline.com'])
    const url = new URL(gets[0]?.path ?? '', server.origin)
    expect(url.pathname).toBe('/common/discovery/instance')
    expect(url.searchParams.get('api-version')).toBe('1.1')
    expect(url.searchParams.get('authorization_endpoint')).toBe(`${server.origin}/${tenantId}/oauth2/v2.0/authorize`)
    expect(server.requests.filter((recorded) => recorded.method === 'POST')).toHaveLength(2)
  })

  it('refuses a host that fails discovery with INVALID_AUTHORITY, sending no credential', async () => {
    server.handle((_recorded, response) =>
      json(response, 400, {
        error: 'invalid_instance',
        error_description: 'AADSTS50049: Unknown or invalid instance.',
        error_codes: [50049],
      }),
    )
    expect((await failure(engine({}, false).exchange(request))).code).toBe('INVALID_AUTHORITY')
    expect(server.requests.every((recorded) => recorded.method === 'GET')).toBe(true)
    expect(server.requests.some((recorded) => recorded.body.includes(secret))).toBe(false)
    // A failure is not remembered: the next request asks again, and passes once the host answers.
    server.handle((recorded, response) => (recorded.method === 'GET' ? discovery(response) : ok(response)))
    expect((await engine({}, false).exchange(request)).accessToken).toBe('ok')
  })

  it('reports a failing discovery endpoint as SERVER_ERROR (not an invalid authority), after retries', async () => {
    server.handle((_recorded, response) => json(response, 503, { error: 'temporarily_unavailable' }))
    expect((await failure(engine({}, false).exchange(request))).code).toBe('SERVER_ERROR')
    expect(server.requests.map((recorded) => recorded.method)).toEqual(['GET', 'GET', 'GET'])
  })

  it('skips discovery with disableInstanceDiscovery', async () => {
    server.handle((recorded, response) => {
      if (recorded.method === 'GET') response.writeHead(404).end()
      else ok(response)
    })
    await engine({}, true).exchange(request)
    expect(server.requests.map((recorded) => recorded.method)).toEqual(['POST'])
  })

  it('trusts known Entra hosts without a request', async () => {
    const seen: string[] = []
    const fetch: typeof globalThis.fetch = (input) => {
      seen.push(input instanceof Request ? input.url : input.toString())
      return Promise.resolve(new Response(JSON.stringify(tokenBody({ access_token: 'cloud' })), { status: 200 }))
    }
    for (const host of [
      'login.microsoftonline.com',
      'login.microsoftonline.us',
      'login.chinacloudapi.cn',
      'login.partner.microsoftonline.cn',
    ]) {
      const cloud = createJoseEngine()({
        clientId,
        credential: { kind: 'secret', secret },
        authorityHost: `https://${host}`,
        fetch,
      })
      expect((await cloud.exchange(request)).accessToken).toBe('cloud')
    }
    expect(seen.every((url) => url.endsWith(`/${tenantId}/oauth2/v2.0/token`))).toBe(true)
    expect(seen).toHaveLength(4)
  })
})
