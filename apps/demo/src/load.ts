/**
 * `pnpm --filter @onbehalf/demo load`: what On-Behalf-Of costs the middle tier on a cache hit. Runs autocannon
 * against `GET /api/documents` twice in the same process and run: once with the real per-request
 * `OnBehalfOfCredential` (every request a cache hit), once with the OBO step replaced by a static token
 * (everything else identical: caller-token validation, Azure SDK pipeline, downstream call).
 *
 * @module
 */
import autocannon from 'autocannon'
import { OnBehalfOfCredential } from '@onbehalf/azure'
import { callDocuments, signIn } from './demo-client.ts'
import { loopback } from './listen.ts'
import { createMiddleTier } from './middle-tier.ts'
import { startDemoStack } from './stack.ts'

const seconds = Number(process.env['LOAD_SECONDS'] ?? 3)
const rounds = Number(process.env['LOAD_ROUNDS'] ?? 3)
const connections = Number(process.env['LOAD_CONNECTIONS'] ?? 10)

const stack = await startDemoStack()
try {
  const userToken = await signIn(stack.url, 'plain')
  const warm = await callDocuments(stack.url, userToken)
  if (warm.status !== 200) throw new Error(`warm-up call answered HTTP ${String(warm.status)}`)

  // The baseline: the same middle tier, handed one OBO token obtained up front.
  const { log: _log, credential: config, ...base } = stack.middleTierOptions
  const oboToken = await new OnBehalfOfCredential(config.tenantId, config.clientId, {
    userAssertion: userToken,
    ...(config.clientSecret === undefined ? {} : { clientSecret: config.clientSecret }),
    authority: config.authorityHost,
    ...(config.fetch === undefined ? {} : { fetch: config.fetch }),
    disableInstanceDiscovery: config.disableInstanceDiscovery ?? false,
    cache: stack.cache,
  }).getToken([...stack.identity.downstream.scopes], { enableCae: true })
  const staticTier = createMiddleTier({
    ...base,
    credential: config,
    createCredential: () => ({ getToken: () => Promise.resolve(oboToken) }),
  })
  await staticTier.app.listen({ host: loopback, port: 0 })
  const staticUrl = `http://${loopback}:${String((staticTier.app.server.address() as { port: number }).port)}`

  const run = async (url: string): Promise<autocannon.Result> =>
    await autocannon({
      url: `${url}/api/documents`,
      connections,
      duration: seconds,
      headers: { authorization: `Bearer ${userToken}` },
    })

  console.log(
    `load: ${String(connections)} connections, ${String(rounds)} alternating rounds of ${String(seconds)} s per variant, same process, memory cache, jose engine`,
  )
  // Warm both (JIT, connection pools), then measure alternately.
  await autocannon({
    url: `${stack.url}/api/documents`,
    connections,
    duration: 2,
    headers: { authorization: `Bearer ${userToken}` },
  })
  await autocannon({
    url: `${staticUrl}/api/documents`,
    connections,
    duration: 2,
    headers: { authorization: `Bearer ${userToken}` },
  })
  // Alternating rounds spread machine noise (other processes, GC) over both variants.
  const staticResults: autocannon.Result[] = []
  const oboResults: autocannon.Result[] = []
  for (let round = 0; round < rounds; round++) {
    staticResults.push(await run(staticUrl))
    oboResults.push(await run(stack.url))
  }
  await staticTier.app.close()

  const mean = (values: number[]): number => values.reduce((a, b) => a + b, 0) / values.length
  const summary = (name: string, results: autocannon.Result[]): { rps: number; line: string } => {
    const rps = mean(results.map((r) => r.requests.average))
    const p50 = mean(results.map((r) => r.latency.p50))
    const p99 = mean(results.map((r) => r.latency.p99))
    const bad = results.reduce((n, r) => n + r.non2xx + r.errors, 0)
    const perRound = results.map((r) => r.requests.average.toFixed(0)).join(' / ')
    return {
      rps,
      line: `${name.padEnd(28)} ${rps.toFixed(0).padStart(6)} req/s (rounds ${perRound})   p50 ${p50.toFixed(1)} ms   p99 ${p99.toFixed(1)} ms   failed ${String(bad)}`,
    }
  }
  const staticSummary = summary('static token (no OBO)', staticResults)
  const oboSummary = summary('OnBehalfOfCredential (hit)', oboResults)
  console.log(staticSummary.line)
  console.log(oboSummary.line)
  const perRequestUs = (1 / oboSummary.rps - 1 / staticSummary.rps) * connections * 1e6
  const stats = stack.middleTier.stats()
  console.log(
    `OBO on a cache hit: ${((1 - oboSummary.rps / staticSummary.rps) * 100).toFixed(1)} % of throughput, ≈ ${perRequestUs.toFixed(0)} µs per request (negative = below the noise); cache hits ${String(stats.cache.hits)}, misses ${String(stats.cache.misses)}`,
  )
  if ([...staticResults, ...oboResults].some((r) => r.non2xx > 0 || r.errors > 0)) process.exitCode = 1
} finally {
  await stack.close()
}
