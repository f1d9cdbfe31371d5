/**
 * Scaling benchmark (issue 6): cold-exchange and cache-hit cost with the msal engine (behind core's token
 * provider and memory cache, the cache of record) at 1, 1,000 and 10,000 users served, beside plain
 * msal-node's hit and miss cost at the same sizes, in the same run.
 *
 * The token endpoint is an in-process Entra double answering instantly (access token, client_info, id_token),
 * so the numbers are the libraries' own CPU cost, which is what grows with users; network and the IdP's
 * signing are the same for both and are left out. Plain msal-node is filled to N users by cloning one real
 * cache record N times (filling it through N real calls costs O(N²): about 6 minutes at 10,000 users).
 *
 * Run: `cd packages/msal && npx tsx --conditions=@onbehalf/source bench/scaling.ts`. Exits 1 when the msal
 * engine's cost at 10,000 users exceeds twice its cost at 1 user.
 */
import { createHash, randomUUID } from 'node:crypto'
import { performance } from 'node:perf_hooks'
import { ConfidentialClientApplication, type INetworkModule, type NetworkResponse } from '@azure/msal-node'
import { createMemoryTokenCache, createTokenProvider } from '@onbehalf/core'
import { createMsalEngine } from '../src/index.ts'

const host = 'https://login.microsoftonline.com'
const tenantId = '72f988bf-86f1-41af-91ab-2d7cd011db47'
const clientId = '11111111-2222-3333-4444-555555555555'
const scopes = ['api://downstream/.default']
const sizes = [1, 1_000, 10_000]

const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url')

/** A user assertion shaped like an Entra access token (~1.3 KB); the double does not verify signatures. */
function userAssertion(oid: string): string {
  const payload = {
    aud: clientId,
    iss: `https://login.microsoftonline.com/${tenantId}/v2.0`,
    tid: tenantId,
    oid,
    sub: oid,
    scp: 'access_as_user',
    pad: 'x'.repeat(900),
  }
  return `${b64({ alg: 'RS256', typ: 'JWT' })}.${b64(payload)}.${'s'.repeat(342)}`
}

function oidOf(form: string): string {
  const assertion = new URLSearchParams(form).get('assertion') ?? ''
  return (JSON.parse(Buffer.from(assertion.split('.')[1] ?? '', 'base64url').toString()) as { oid: string }).oid
}

function tokenBody(oid: string): Record<string, unknown> {
  return {
    token_type: 'Bearer',
    expires_in: 3599,
    ext_expires_in: 3599,
    scope: scopes.join(' '),
    access_token: `${b64({ alg: 'RS256' })}.${b64({ oid, tid: tenantId, aud: 'api://downstream', pad: 'y'.repeat(600) })}.sig`,
    refresh_token: `rt-${oid}`,
    id_token: `${b64({ alg: 'none' })}.${b64({ oid, sub: oid, tid: tenantId, aud: clientId, iss: `https://login.microsoftonline.com/${tenantId}/v2.0` })}.`,
    client_info: b64({ uid: oid, utid: tenantId }),
  }
}

const doubleFetch: typeof globalThis.fetch = (_input, init) =>
  Promise.resolve(
    new Response(JSON.stringify(tokenBody(oidOf(typeof init?.body === 'string' ? init.body : ''))), {
      status: 200,
      headers: { 'content-type': 'application/json' },
    }),
  )

const doubleNetwork: INetworkModule = {
  sendGetRequestAsync: <T>() => Promise.reject<NetworkResponse<T>>(new Error(`unexpected GET`)),
  sendPostRequestAsync: <T>(_url: string, options?: { body?: string }) =>
    Promise.resolve({ status: 200, headers: {}, body: tokenBody(oidOf(options?.body ?? '')) as T }),
}

async function averageMs(count: number, work: (index: number) => Promise<unknown>): Promise<number> {
  const started = performance.now()
  for (let index = 0; index < count; index += 1) await work(index)
  return (performance.now() - started) / count
}

interface Row {
  readonly users: number
  readonly engineColdMs: number
  readonly engineHitMs: number
  readonly msalNodeColdMs: number
  readonly msalNodeHitMs: number
}

async function measureEngine(
  secret: string,
  checkpoints: readonly number[],
): Promise<Pick<Row, 'engineColdMs' | 'engineHitMs'>[]> {
  const engine = createMsalEngine()({
    clientId,
    credential: { kind: 'secret', secret },
    authorityHost: host,
    fetch: doubleFetch,
  })
  const provider = createTokenProvider({
    engine,
    cache: createMemoryTokenCache({ maxEntries: 50_000, maxBytes: 50_000 * 8_192 }),
  })
  const served: string[] = []
  const serve = async (): Promise<void> => {
    const assertion = userAssertion(randomUUID())
    await provider.getToken({ tenantId, userAssertion: assertion, scopes })
    served.push(assertion)
  }
  const results: Pick<Row, 'engineColdMs' | 'engineHitMs'>[] = []
  for (const size of checkpoints) {
    while (served.length < size) await serve()
    // Each measured cold call serves a new user, then is dropped from the list: the count stays `size`.
    const engineColdMs = await averageMs(500, () => serve().then(() => served.pop()))
    const engineHitMs = await averageMs(20_000, (index) =>
      provider.getToken({ tenantId, userAssertion: served[(index * 7919) % served.length] ?? '', scopes }),
    )
    results.push({ engineColdMs, engineHitMs })
  }
  await provider.close()
  return results
}

/** msal-node with `count` users in its cache: one real record, cloned per user. */
async function filledMsalNode(count: number): Promise<{ cca: ConfidentialClientApplication; probe: string }> {
  const cca = new ConfidentialClientApplication({
    auth: { clientId, clientSecret: 'bench-secret', authority: `${host}/${tenantId}` },
    system: { networkClient: doubleNetwork },
  })
  const probeOid = randomUUID()
  const probe = userAssertion(probeOid)
  await cca.acquireTokenOnBehalfOf({ oboAssertion: probe, scopes, authority: `${host}/${tenantId}` })
  const record = cca.getTokenCache().serialize()
  const hash = createHash('sha256').update(probe).digest('base64url')
  const merged: Record<string, Record<string, unknown>> = JSON.parse(record) as Record<string, Record<string, unknown>>
  for (let index = 1; index < count; index += 1) {
    const oid = randomUUID()
    const clone = JSON.parse(
      record.split(probeOid).join(oid).split(hash).join(createHash('sha256').update(oid).digest('base64url')),
    ) as Record<string, Record<string, unknown>>
    for (const [section, entries] of Object.entries(clone)) Object.assign((merged[section] ??= {}), entries)
  }
  cca.getTokenCache().deserialize(JSON.stringify(merged))
  return { cca, probe }
}

async function measureMsalNode(
  size: number,
  calls = size >= 10_000 ? 10 : 100,
): Promise<Pick<Row, 'msalNodeColdMs' | 'msalNodeHitMs'>> {
  const { cca, probe } = await filledMsalNode(size)
  const authority = `${host}/${tenantId}`
  const msalNodeHitMs = await averageMs(calls, () =>
    cca.acquireTokenOnBehalfOf({ oboAssertion: probe, scopes, authority }),
  )
  const msalNodeColdMs = await averageMs(calls, () =>
    cca.acquireTokenOnBehalfOf({ oboAssertion: userAssertion(randomUUID()), scopes, authority }),
  )
  return { msalNodeColdMs, msalNodeHitMs }
}

// Warm-up on separate instances (another client secret, so another engine, provider and cache), so the JIT
// is warm before the first checkpoint and the measured instances start with no user served.
await measureEngine('warm-up-secret', [300])
await measureMsalNode(1, 300)
const engineRows = await measureEngine('bench-secret', sizes)
const rows: Row[] = []
for (const [index, users] of sizes.entries()) {
  const engine = engineRows[index]
  if (engine === undefined) continue
  rows.push({ users, ...engine, ...(await measureMsalNode(users)) })
}
const format = (ms: number): string => (ms < 0.1 ? `${(ms * 1000).toFixed(1)} µs` : `${ms.toFixed(2)} ms`)
console.log('users served | msal engine cold | msal engine hit | plain msal-node miss | plain msal-node hit')
for (const row of rows) {
  console.log(
    `${String(row.users).padStart(12)} | ${format(row.engineColdMs).padStart(16)} | ${format(row.engineHitMs).padStart(15)} | ${format(row.msalNodeColdMs).padStart(20)} | ${format(row.msalNodeHitMs).padStart(19)}`,
  )
}
const first = rows[0]
const last = rows.at(-1)
if (first !== undefined && last !== undefined) {
  const coldRatio = last.engineColdMs / first.engineColdMs
  const hitRatio = last.engineHitMs / first.engineHitMs
  console.log(
    `msal engine, ${last.users} vs ${first.users} users: cold ×${coldRatio.toFixed(2)}, hit ×${hitRatio.toFixed(2)} (bar: ≤ ×2)`,
  )
  console.log(
    `plain msal-node hit, ${last.users} vs ${first.users} users: ×${(last.msalNodeHitMs / first.msalNodeHitMs).toFixed(1)}`,
  )
  if (coldRatio > 2 || hitRatio > 2) process.exitCode = 1
}
