// The emulator's security defaults (issue 13 item 7): test endpoints refuse other origins, the request log is
// bounded and redacted, a non-loopback bind is warned about. The CLI's CA file is covered in cli.test.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { exposureWarning, EXPOSED_WARNING_CODE } from '../src/emulator.ts'
import { startEmulator } from '../src/index.ts'
import type { EntraEmulator } from '../src/index.ts'
import { oboForm, postToken } from './helpers.ts'

let emu: EntraEmulator

beforeAll(async () => {
  emu = await startEmulator()
})
afterAll(async () => {
  await emu.close()
})

describe('test endpoints answer their own origin only', () => {
  const evil = 'https://evil.example'
  const userTokenUrl = (): string => `${emu.authorityHost}/${emu.tenantId}/test/user-token`

  it('refuses a cross-origin text/plain POST to /test/faults (what any web page can send) and installs nothing', async () => {
    emu.faults.clear()
    const res = await emu.fetch(`${emu.authorityHost}/test/faults`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain', origin: evil },
      body: JSON.stringify({ kind: 'drop', match: { endpoint: 'any' } }),
    })
    expect(res.status).toBe(403)
    expect(res.headers.get('access-control-allow-origin')).toBeNull()
    expect(((await res.json()) as { error: string }).error).toBe('forbidden')
    expect(emu.faults.list()).toHaveLength(0)
  })

  it('refuses cross-origin user-token, directory and preflight requests, by Origin or Sec-Fetch-Site', async () => {
    const attempts: [string, RequestInit][] = [
      [userTokenUrl(), { method: 'POST', headers: { origin: evil }, body: `user=${emu.defaults.users.plain.upn}` }],
      [userTokenUrl(), { method: 'POST', headers: { 'sec-fetch-site': 'cross-site' }, body: 'user=x' }],
      [userTokenUrl(), { method: 'POST', headers: { origin: 'null' }, body: 'user=x' }],
      [`${emu.authorityHost}/${emu.tenantId}/test/directory`, { headers: { origin: evil } }],
      [`${emu.authorityHost}/test/faults`, { method: 'OPTIONS', headers: { origin: evil } }],
    ]
    for (const [url, init] of attempts) {
      const res = await emu.fetch(url, init)
      expect(res.status, `${init.method ?? 'GET'} ${url}`).toBe(403)
      expect(res.headers.get('access-control-allow-origin')).toBeNull()
      await res.arrayBuffer()
    }
  })

  it('serves requests without an Origin (Node, curl) and from its own origin; a preflight gets no CORS grant', async () => {
    for (const headers of [{}, { origin: emu.authorityHost }, { 'sec-fetch-site': 'same-origin' }]) {
      const res = await emu.fetch(userTokenUrl(), {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ user: emu.defaults.users.plain.upn }),
      })
      expect(res.status).toBe(200)
      expect(res.headers.get('access-control-allow-origin')).toBeNull()
      await res.arrayBuffer()
    }
    const preflight = await emu.fetch(`${emu.authorityHost}/test/faults`, { method: 'OPTIONS' })
    expect(preflight.status).toBe(204)
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull()
  })

  it('keeps Entra CORS on the Entra endpoints (discovery, keys)', async () => {
    const res = await emu.fetch(emu.openIdConfigurationUrl(), { headers: { origin: evil } })
    expect(res.status).toBe(200)
    expect(res.headers.get('access-control-allow-origin')).toBe('*')
  })
})

describe('the request log', () => {
  it('redacts secrets, assertions, refresh tokens and Authorization by default; JWTs keep header and claims', async () => {
    emu.clearRequests()
    const assertion = emu.issueUserToken({ user: emu.defaults.users.plain })
    const secret = emu.defaults.middleTier.clientSecret
    const first = await postToken(
      emu,
      oboForm(emu, { assertion, scope: `${emu.defaults.downstream.scopes[0]} offline_access` }),
    )
    expect(first.status).toBe(200)
    const refreshToken = String(first.body['refresh_token'])
    const basic = Buffer.from(`${emu.defaults.middleTier.clientId}:${secret}`).toString('base64')
    const refreshed = await postToken(
      emu,
      new URLSearchParams({
        grant_type: 'refresh_token',
        refresh_token: refreshToken,
        scope: emu.defaults.downstream.scopes[0] ?? '',
      }),
      { headers: { authorization: `Basic ${basic}` } },
    )
    expect(refreshed.status).toBe(200)
    const [obo, refresh] = emu.requests.filter((r) => r.endpoint === 'token')
    expect(obo?.form['client_secret']).toBe('[redacted]')
    expect(obo?.form['assertion']).toBe(`${assertion.split('.').slice(0, 2).join('.')}.[redacted]`)
    expect(obo?.form['requested_token_use']).toBe('on_behalf_of')
    expect(refresh?.form['refresh_token']).toBe('[redacted]')
    expect(refresh?.headers['authorization']).toBe('Basic [redacted]')
    // What the log still says about the request.
    expect(refresh?.clientId).toBe(emu.defaults.middleTier.clientId)
    expect(refresh?.grantType).toBe('refresh_token')
    const everything = JSON.stringify(emu.requests)
    for (const value of [secret, assertion, refreshToken, basic]) expect(everything).not.toContain(value)
  })

  it('records secrets as received with recordSecrets: true', async () => {
    await using raw = await startEmulator({ recordSecrets: true })
    const form = oboForm(raw)
    expect((await postToken(raw, form)).status).toBe(200)
    const recorded = raw.requests.find((r) => r.endpoint === 'token')
    expect(recorded?.form['client_secret']).toBe(raw.defaults.middleTier.clientSecret)
    expect(recorded?.form['assertion']).toBe(form.get('assertion'))
  })

  it('keeps the last 1,000 requests by default, and counts every one', async () => {
    await using fresh = await startEmulator()
    const sent = 1_010
    const get = async (i: number): Promise<void> => {
      await (await fresh.fetch(`${fresh.authorityHost}/error?n=${i}`)).arrayBuffer()
    }
    for (let i = 0; i < sent - 1; i += 101) {
      await Promise.all(Array.from({ length: Math.min(101, sent - 1 - i) }, (_, k) => get(i + k)))
    }
    await get(sent - 1)
    expect(fresh.requests).toHaveLength(1_000)
    expect(fresh.requests.at(-1)?.query['n']).toBe(String(sent - 1))
    expect(new Set(fresh.requests.map((r) => r.id)).size).toBe(1_000)
    expect(fresh.requests[0]?.id).toBe(sent - 1_000 + 1)
    expect(fresh.requestCounts()).toMatchObject({ total: sent, byEndpoint: { other: sent } })
  }, 300_000)

  it('keeps as many as maxRecordedRequests; counts survive clearRequests', async () => {
    await using small = await startEmulator({ maxRecordedRequests: 2 })
    for (let i = 0; i < 3; i++) expect((await postToken(small, oboForm(small))).status).toBe(200)
    expect(small.requests.map((r) => r.endpoint)).toEqual(['token', 'token'])
    small.clearRequests()
    expect(small.requests).toHaveLength(0)
    expect(small.requestCounts().byEndpoint.token).toBe(3)
    expect(small.requestCounts().byGrantType['urn:ietf:params:oauth:grant-type:jwt-bearer']).toBe(3)
  })
})

describe('listening beyond loopback', () => {
  it('is warned about for any non-loopback address, never for loopback', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]', '::ffff:127.0.0.1']) {
      expect(exposureWarning(host), host).toBeUndefined()
    }
    for (const host of ['0.0.0.0', '::', '192.168.1.20', 'my-laptop.local']) {
      expect(exposureWarning(host), host).toMatch(/beyond this machine.*127\.0\.0\.1/)
    }
  })

  it('startEmulator emits the warning before it binds', async () => {
    const warnings: Error[] = []
    const onWarning = (warning: Error): void => {
      warnings.push(warning)
    }
    process.on('warning', onWarning)
    try {
      // An invalid port: the emulator warns, then fails before it binds anything off loopback.
      await expect(startEmulator({ host: '0.0.0.0', port: 70_000 })).rejects.toThrow()
      await new Promise((resolve) => setImmediate(resolve))
    } finally {
      process.off('warning', onWarning)
    }
    const exposed = warnings.filter((w) => (w as Error & { code?: string }).code === EXPOSED_WARNING_CODE)
    expect(exposed).toHaveLength(1)
    expect(exposed[0]?.message).toContain('0.0.0.0')
  })
})
