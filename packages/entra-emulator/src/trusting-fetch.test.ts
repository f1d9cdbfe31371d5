import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createMsalNetworkClient, createTrustingFetch } from './trusting-fetch.ts'

let base = ''
const server = createServer((req, res) => {
  let body = ''
  req.on('data', (c: Buffer) => (body += c.toString()))
  req.on('end', () => {
    if (req.url === '/slow') return void setTimeout(() => res.end('{}'), 2000)
    if (req.url === '/empty') return void res.writeHead(204).end()
    if (req.url === '/text') return void res.writeHead(200, { 'content-type': 'text/plain' }).end('hello')
    res.writeHead(201, { 'content-type': 'application/json', 'x-multi': ['a', 'b'] })
    res.end(
      JSON.stringify({
        method: req.method,
        body,
        type: req.headers['content-type'] ?? null,
        custom: req.headers['x-custom'] ?? null,
      }),
    )
  })
})

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
afterAll(async () => {
  server.closeAllConnections()
  await new Promise((resolve) => server.close(resolve))
})

// The HTTPS path (with the emulator CA) is exercised by every test under test/; these cover the fetch contract.
describe('createTrustingFetch', () => {
  const f = createTrustingFetch({ ca: '' })

  it('returns a real Response with status, headers and body; sends form bodies', async () => {
    const res = await f(`${base}/echo`, {
      method: 'POST',
      body: new URLSearchParams({ a: '1 2' }),
      headers: { 'x-custom': 'v' },
    })
    expect(res).toBeInstanceOf(Response)
    expect(res.status).toBe(201)
    expect(res.headers.get('x-multi')).toBe('a, b')
    expect(await res.json()).toEqual({
      method: 'POST',
      body: 'a=1+2',
      type: 'application/x-www-form-urlencoded;charset=UTF-8',
      custom: 'v',
    })
  })

  it('accepts a Request object and handles 204', async () => {
    const res = await f(new Request(`${base}/echo`, { method: 'PUT', body: 'x' }))
    expect(((await res.json()) as { method: string; body: string }).body).toBe('x')
    expect((await f(`${base}/empty`)).status).toBe(204)
  })

  it('aborts with the signal', async () => {
    await expect(f(`${base}/slow`, { signal: AbortSignal.timeout(50) })).rejects.toThrow()
  })
})

describe('createMsalNetworkClient', () => {
  it('parses JSON bodies and rejects non-JSON ones', async () => {
    const client = createMsalNetworkClient(createTrustingFetch({ ca: '' }))
    const ok = await client.sendPostRequestAsync<{ body: string }>(`${base}/echo`, {
      body: 'k=v',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    })
    expect(ok.status).toBe(201)
    expect(ok.body.body).toBe('k=v')
    expect(ok.headers['content-type']).toBe('application/json')
    await expect(client.sendGetRequestAsync(`${base}/text`)).rejects.toThrow(/not JSON/)
  })
})
