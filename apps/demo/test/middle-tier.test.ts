import { request as httpsRequest } from 'node:https'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { callDocuments, caeEvent, decodeChallengeClaims, signIn } from '../src/demo-client.ts'
import { startDemoStack, type DemoStack } from '../src/stack.ts'

const jwtShape = /eyJ[\w-]{8,}\.[\w-]{8,}\.[\w-]{8,}/

let stack: DemoStack
const logLines: string[] = []

beforeAll(async () => {
  stack = await startDemoStack({ log: (line) => logLines.push(line) })
})
afterAll(async () => {
  await stack.close()
})

function emulator(): NonNullable<DemoStack['identity']['emulator']> {
  const emu = stack.identity.emulator
  if (emu === undefined) throw new Error('the stack runs without the emulator')
  return emu
}

const oboRequests = (): number =>
  emulator().requestCounts().byGrantType['urn:ietf:params:oauth:grant-type:jwt-bearer'] ?? 0

const oid = (id: string): string => {
  const user = stack.identity.users.find((u) => u.id === id)
  if (user === undefined) throw new Error(`no user ${id}`)
  return user.oid
}

/** GET on the downstream API directly, trusting nothing but its own certificate. */
function getDownstream(token: string): Promise<{ status: number; wwwAuthenticate: string | undefined; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      `${stack.downstream.url}/documents`,
      { ca: stack.downstreamCertificatePem, headers: { authorization: `Bearer ${token}` } },
      (res) => {
        let body = ''
        res.setEncoding('utf8')
        res.on('data', (chunk: string) => (body += chunk))
        res.on('end', () => {
          const header = res.headers['www-authenticate']
          resolve({ status: res.statusCode ?? 0, wwwAuthenticate: Array.isArray(header) ? header[0] : header, body })
        })
      },
    )
    req.on('error', reject)
    req.end()
  })
}

describe('plain user', () => {
  it('exchanges once, then serves the same caller token from the shared cache', async () => {
    const token = await signIn(stack.url, 'plain')
    const before = oboRequests()
    const first = await callDocuments(stack.url, token)
    const second = await callDocuments(stack.url, token)

    expect(first.status).toBe(200)
    expect(first.body.chain?.cache).toBe('miss')
    expect(second.status).toBe(200)
    expect(second.body.chain?.cache).toBe('hit')
    expect(oboRequests() - before).toBe(1)
    expect(second.body.downstream?.body).toEqual(first.body.downstream?.body)
  })

  it('shows the chain: caller claims for the middle tier, OBO claims for the downstream, per-user answer', async () => {
    const { identity } = stack
    const result = await callDocuments(stack.url, await signIn(stack.url, 'plain'))
    const chain = result.body.chain!

    expect(chain.caller?.['aud']).toBe(identity.middleTier.clientId)
    expect(chain.caller?.['scp']).toContain('access_as_user')
    expect(chain.obo?.['azp']).toBe(identity.middleTier.clientId)
    expect(identity.downstream.audiences).toContain(chain.obo?.['aud'])
    expect(String(chain.obo?.['scp']).split(' ')).toContain(identity.downstream.scope)
    expect(chain.obo?.['oid']).toBe(oid('plain'))
    expect(chain.obo?.['xms_cc']).toEqual(['cp1'])
    expect(result.body.downstream?.body).toMatchObject({ user: { oid: oid('plain') } })
    expect(chain.timings.totalMs).toBeGreaterThan(0)
  })

  it('answers different users with different documents', async () => {
    const plain = await callDocuments(stack.url, await signIn(stack.url, 'plain'))
    const mfa = await callDocuments(stack.url, await signIn(stack.url, 'mfa', emulator().mfaClaimsChallenge))
    expect(plain.status).toBe(200)
    expect(mfa.status).toBe(200)
    expect(plain.body.downstream?.body).not.toEqual(mfa.body.downstream?.body)
  })

  it('makes one token request for concurrent calls with a new token, and reports the waits as coalesced', async () => {
    const token = await signIn(stack.url, 'plain')
    const before = oboRequests()
    const results = await Promise.all(Array.from({ length: 8 }, () => callDocuments(stack.url, token)))
    const outcomes = results.map((r) => r.body.chain?.cache)

    expect(results.map((r) => r.status)).toEqual(Array(8).fill(200))
    expect(oboRequests() - before).toBe(1)
    expect(outcomes.filter((o) => o === 'miss')).toHaveLength(1)
    expect(outcomes.every((o) => o === 'miss' || o === 'coalesced' || o === 'hit')).toBe(true)
  })
})

describe('claims challenges', () => {
  it('relays the MFA challenge as a standard 401, and the satisfied claims make the retry succeed', async () => {
    const first = await callDocuments(stack.url, await signIn(stack.url, 'mfa'))
    expect(first.status).toBe(401)
    expect(first.wwwAuthenticate).toMatch(/^Bearer /)
    expect(first.wwwAuthenticate).toContain('error="insufficient_claims"')
    expect(first.body).toMatchObject({ source: 'entra', error: 'insufficient_claims', aadsts: [50076] })
    const claims = decodeChallengeClaims(first.wwwAuthenticate)
    expect(claims).toBe(emulator().mfaClaimsChallenge)
    expect(first.body.claims).toEqual(JSON.parse(claims!))

    const retry = await callDocuments(stack.url, await signIn(stack.url, 'mfa', claims))
    expect(retry.status).toBe(200)
    expect(retry.body.chain?.caller?.['amr']).toContain('mfa')
    expect(retry.body.downstream?.body).toMatchObject({ user: { oid: oid('mfa') } })
  })

  it('relays a missing consent as a 401 consent error with AADSTS65001', async () => {
    const result = await callDocuments(stack.url, await signIn(stack.url, 'consent'))
    expect(result.status).toBe(401)
    expect(result.body).toMatchObject({ source: 'entra', error: 'consent_required', aadsts: [65001] })
    expect(result.wwwAuthenticate).toMatch(/^Bearer .*error="interaction_required"/)
    expect(result.body.downstream).toBeUndefined()
  })

  it('answers a downstream CAE challenge once with a fresh token carrying the claims, then caches it', async () => {
    const token = await signIn(stack.url, 'plain')
    const warm = await callDocuments(stack.url, token)
    expect(warm.status).toBe(200)
    await caeEvent(stack.url, oid('plain'))
    const before = oboRequests()

    const result = await callDocuments(stack.url, token)
    const chain = result.body.chain!
    expect(result.status).toBe(200)
    expect(chain.attempts.map((a) => a.status)).toEqual([401, 200])
    expect(chain.attempts[0]?.challenged).toBe(true)
    expect(chain.attempts[0]?.tokenId).toBe(warm.body.chain?.obo?.['uti'])
    expect(chain.attempts[1]?.tokenId).not.toBe(chain.attempts[0]?.tokenId)
    expect(chain.caeRetried).toBe(true)
    expect(chain.cacheEvents.map((e) => e.type)).toContain('claims-bypass')
    const claimsRequest = emulator()
      .requests.filter((r) => r.endpoint === 'token')
      .at(-1)?.form['claims']
    expect(JSON.parse(claimsRequest ?? '{}')).toMatchObject({
      access_token: { nbf: { essential: true }, xms_cc: { values: ['cp1'] } },
    })
    expect(oboRequests() - before).toBe(1)

    const after = await callDocuments(stack.url, token)
    expect(after.body.chain?.attempts.map((a) => a.status)).toEqual([200])
    expect(after.body.chain?.cache).toBe('hit')
  })
})

describe('identity provider unreachable', () => {
  it('answers 502 identity_provider_unreachable, naming the host and the offline way out', async () => {
    const fault = emulator().faults.inject({
      kind: 'drop',
      match: { endpoint: 'token', grantType: 'urn:ietf:params:oauth:grant-type:jwt-bearer' },
    })
    try {
      const result = await callDocuments(stack.url, await signIn(stack.url, 'plain'))
      expect(result.status).toBe(502)
      expect(result.body.error).toBe('identity_provider_unreachable')
      const { message } = result.body as { message?: string }
      expect(message).toContain(`could not reach ${new URL(stack.identity.authorityHost).host}`)
      expect(message).toContain('pnpm demo')
      expect(message).not.toMatch(jwtShape)
      expect(fault.fired).toBeGreaterThan(0)
    } finally {
      fault.remove()
    }
  })
})

describe('caller token validation (middle tier)', () => {
  it('refuses a request without a bearer token with 401 invalid_token', async () => {
    const result = await callDocuments(stack.url, undefined)
    expect(result.status).toBe(401)
    expect(result.wwwAuthenticate).toMatch(/^Bearer error="invalid_token"/)
  })

  it('refuses a token for another audience', async () => {
    const token = emulator().issueUserToken({
      user: emulator().defaults.users.plain,
      audience: emulator().defaults.downstream.clientId,
    })
    const result = await callDocuments(stack.url, token)
    expect(result.status).toBe(401)
    expect(result.body.error).toBe('invalid_token')
  })

  it('refuses an expired token', async () => {
    const token = emulator().issueUserToken({
      user: emulator().defaults.users.plain,
      issuedAt: Math.floor(Date.now() / 1000) - 7200,
      lifetimeSeconds: 600,
    })
    const result = await callDocuments(stack.url, token)
    expect(result.status).toBe(401)
    expect(result.body.error).toBe('invalid_token')
  })

  it('refuses a token with a tampered payload (signature)', async () => {
    const [header, payload, signature] = (await signIn(stack.url, 'plain')).split('.') as [string, string, string]
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>
    const forged = Buffer.from(JSON.stringify({ ...claims, oid: oid('mfa') })).toString('base64url')
    const result = await callDocuments(stack.url, `${header}.${forged}.${signature}`)
    expect(result.status).toBe(401)
    expect(result.body.error).toBe('invalid_token')
  })

  it('refuses an app-only token with 403 insufficient_scope (the route needs a user)', async () => {
    const token = emulator().issueUserToken({ appOnly: true, audience: stack.identity.middleTier.clientId })
    const result = await callDocuments(stack.url, token)
    expect(result.status).toBe(403)
    expect(result.wwwAuthenticate).toMatch(/^Bearer error="insufficient_scope", scope="access_as_user"/)
  })
})

describe('downstream API validation', () => {
  const downstreamToken = async (options: { clientId?: string; scopes?: string[] }): Promise<string> =>
    emulator().issueUserToken({
      user: emulator().defaults.users.plain,
      audience: emulator().defaults.downstream.clientId,
      clientId: options.clientId ?? stack.identity.middleTier.clientId,
      ...(options.scopes === undefined ? {} : { scopes: options.scopes }),
    })

  it('accepts a token for itself issued to the middle tier', async () => {
    const result = await getDownstream(await downstreamToken({ scopes: ['Documents.Read'] }))
    expect(result.status).toBe(200)
  })

  it('refuses a token issued to another client (azp)', async () => {
    const result = await getDownstream(await downstreamToken({ clientId: emulator().defaults.frontEnd.clientId }))
    expect(result.status).toBe(401)
    expect(result.wwwAuthenticate).toContain('error="invalid_token"')
  })

  it('refuses a token without the route scope with 403 insufficient_scope', async () => {
    const result = await getDownstream(await downstreamToken({ scopes: ['Documents.ReadWrite'] }))
    expect(result.status).toBe(403)
    expect(result.wwwAuthenticate).toContain('error="insufficient_scope"')
  })

  it('refuses the middle tier token itself (audience)', async () => {
    const result = await getDownstream(await signIn(stack.url, 'plain'))
    expect(result.status).toBe(401)
  })
})

describe('reporting', () => {
  it('reports cache counters, Server-Timing, and never returns or logs a raw token', async () => {
    const token = await signIn(stack.url, 'plain')
    await callDocuments(stack.url, token)
    const response = await fetch(`${stack.url}/api/documents`, { headers: { authorization: `Bearer ${token}` } })
    const text = await response.text()
    expect(response.headers.get('server-timing')).toMatch(/validate;dur=[\d.]+, obo;dur=[\d.]+, downstream;dur=[\d.]+/)
    expect(text).not.toMatch(jwtShape)

    const stats = (await (await fetch(`${stack.url}/api/stats`)).json()) as {
      requests: number
      cache: { hits: number; misses: number }
    }
    expect(stats.requests).toBeGreaterThan(0)
    expect(stats.cache.hits).toBeGreaterThan(0)
    expect(stats.cache.misses).toBeGreaterThan(0)
    expect(logLines.length).toBeGreaterThan(0)
    expect(logLines.join('\n')).not.toMatch(jwtShape)
  })

  it('never includes a token in challenge or error answers', async () => {
    const mfa = await fetch(`${stack.url}/api/documents`, {
      headers: { authorization: `Bearer ${await signIn(stack.url, 'mfa')}` },
    })
    const consent = await fetch(`${stack.url}/api/documents`, {
      headers: { authorization: `Bearer ${await signIn(stack.url, 'consent')}` },
    })
    expect(await mfa.text()).not.toMatch(jwtShape)
    expect(await consent.text()).not.toMatch(jwtShape)
  })
})
