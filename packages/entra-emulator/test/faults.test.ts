import { ConfidentialClientApplication } from '@azure/msal-node'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { startEmulator } from '../src/index.ts'
import type { EntraEmulator } from '../src/index.ts'
import { entraError, oboForm, postToken } from './helpers.ts'

let emu: EntraEmulator
let dice: number[] = []

beforeAll(async () => {
  emu = await startEmulator({ random: () => dice.shift() ?? 0.99 })
})
afterAll(async () => {
  await emu.close()
})
afterEach(() => {
  emu.faults.clear()
  dice = []
})

const post = (): ReturnType<typeof postToken> => postToken(emu, oboForm(emu))

async function raw(): Promise<Response> {
  return emu.fetch(emu.tokenEndpoint(), { method: 'POST', body: oboForm(emu) })
}

describe('faults', () => {
  it('adds latency and still answers', async () => {
    emu.faults.inject({ kind: 'latency', latencyMs: 300, times: 1 })
    const started = performance.now()
    const answer = await post()
    expect(answer.status).toBe(200)
    expect(performance.now() - started).toBeGreaterThanOrEqual(290)
    expect(emu.requests.at(-1)?.faults).toHaveLength(1)
  })

  it('answers 429 with Retry-After, JSON or plain text, then recovers after `times`', async () => {
    const fault = emu.faults.inject({ kind: 'throttle', retryAfterSeconds: 7, times: 2 })
    const first = await post()
    expect(first.status).toBe(429)
    expect(first.headers.get('retry-after')).toBe('7')
    expect(first.body['error']).toBe('temporarily_unavailable')
    expect(first.body['error_codes']).toEqual([90055])
    expect((await post()).status).toBe(429)
    expect((await post()).status).toBe(200)
    expect(fault.fired).toBe(2)
    expect(fault.active).toBe(false)
    emu.faults.inject({ kind: 'throttle', body: 'text', times: 1 })
    const text = await raw()
    expect(text.status).toBe(429)
    expect(text.headers.get('retry-after')).toBe('60')
    expect(await text.text()).toBe('Too Many Requests')
  })

  it('answers 500 and 503 in Entra shape', async () => {
    emu.faults.inject({ kind: 'server-error', times: 1 })
    emu.faults.inject({ kind: 'server-error', status: 503, retryAfterSeconds: 3, times: 1 })
    const first = await post()
    expect(first.status).toBe(500)
    expect(first.body['error']).toBe('server_error')
    const second = await post()
    expect(second.status).toBe(503)
    expect(second.body['error']).toBe('temporarily_unavailable')
    expect(second.headers.get('retry-after')).toBe('3')
  })

  it('drops the connection', async () => {
    emu.faults.inject({ kind: 'drop', times: 1 })
    await expect(raw()).rejects.toThrow(TypeError)
    expect(emu.requests.at(-1)?.status).toBe(0)
    expect((await post()).status).toBe(200)
  })

  it('sends a non-JSON body, which MSAL reports as a parse failure', async () => {
    emu.faults.inject({ kind: 'malformed', status: 502 })
    const res = await raw()
    expect(res.status).toBe(502)
    expect(res.headers.get('content-type')).toContain('text/html')
    await expect(res.clone().json()).rejects.toThrow()
    const cca = new ConfidentialClientApplication({
      auth: {
        clientId: emu.defaults.middleTier.clientId,
        authority: emu.authority,
        knownAuthorities: [emu.host],
        clientSecret: emu.defaults.middleTier.clientSecret,
      },
      system: { networkClient: emu.networkClient },
    })
    await expect(
      cca.acquireTokenOnBehalfOf({
        oboAssertion: emu.issueUserToken({ user: emu.defaults.users.plain }),
        scopes: [emu.defaults.downstream.scopes[0] ?? ''],
      }),
    ).rejects.toThrow()
  })

  it('injects a custom Entra error (e.g. 50076 for any user)', async () => {
    emu.faults.inject({ kind: 'error', error: 'invalid_grant', errorCode: 50196, message: 'LoopDetected', times: 1 })
    expect(entraError(await post())).toMatchObject({ error: 'invalid_grant', codes: [50196] })
  })

  it('fires by probability', async () => {
    emu.faults.inject({ kind: 'server-error', probability: 0.5 })
    dice = [0.2, 0.7, 0.49, 0.5]
    const statuses = []
    for (let i = 0; i < 4; i++) statuses.push((await post()).status)
    expect(statuses).toEqual([500, 200, 500, 200])
  })

  it('matches on endpoint, grant type and client', async () => {
    emu.faults.inject({ kind: 'server-error', match: { endpoint: 'jwks' } })
    emu.faults.inject({ kind: 'server-error', match: { grantType: 'client_credentials' } })
    emu.faults.inject({ kind: 'server-error', match: { clientId: emu.defaults.daemon.clientId, endpoint: 'any' } })
    expect((await emu.fetch(emu.jwksUri())).status).toBe(500)
    expect((await emu.fetch(emu.openIdConfigurationUrl())).status).toBe(200)
    expect((await post()).status).toBe(200)
    const cc = await postToken(
      emu,
      new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: emu.defaults.middleTier.clientId,
        client_secret: emu.defaults.middleTier.clientSecret,
        scope: emu.defaults.downstream.defaultScope,
      }),
    )
    expect(cc.status).toBe(500)
  })

  it('can be removed, listed, and installed at start', async () => {
    const fault = emu.faults.inject({ kind: 'server-error' })
    expect(emu.faults.list()).toHaveLength(1)
    fault.remove()
    expect(emu.faults.list()).toHaveLength(0)
    expect((await post()).status).toBe(200)
    expect(() => emu.faults.inject({ kind: 'server-error', probability: 2 })).toThrow(TypeError)
    const faulty = await startEmulator({ faults: [{ kind: 'throttle', times: 1 }] })
    try {
      expect((await postToken(faulty, oboForm(faulty))).status).toBe(429)
      expect((await postToken(faulty, oboForm(faulty))).status).toBe(200)
    } finally {
      await faulty.close()
    }
  })
})

describe('fault control over HTTP (/test/faults)', () => {
  const control = (method: string, body?: unknown): Promise<Response> =>
    emu.fetch(`${emu.authorityHost}/test/faults`, {
      method,
      headers: { 'content-type': 'application/json' },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    })

  it('installs, lists and clears faults; is itself exempt from faults', async () => {
    const created = await control('POST', { kind: 'drop', match: { endpoint: 'any' }, times: 5 })
    expect(created.status).toBe(201)
    expect(((await created.json()) as { id: number }).id).toBeGreaterThan(0)
    await expect(raw()).rejects.toThrow(TypeError)
    const listed = (await (await control('GET')).json()) as { faults: { fired: number }[] }
    expect(listed.faults).toHaveLength(1)
    expect(listed.faults[0]?.fired).toBe(1)
    expect((await control('DELETE')).status).toBe(200)
    expect((await post()).status).toBe(200)
  })

  it('rejects malformed fault specs with 400', async () => {
    for (const bad of [
      { kind: 'nope' },
      { kind: 'latency' },
      { kind: 'error', error: 'x' },
      { kind: 'drop', times: 'many' },
      { kind: 'drop', probability: 3 },
      [1],
    ]) {
      expect((await control('POST', bad)).status).toBe(400)
    }
    const notJson = await emu.fetch(`${emu.authorityHost}/test/faults`, { method: 'POST', body: '{' })
    expect(notJson.status).toBe(400)
    expect(emu.faults.list()).toHaveLength(0)
  })
})
