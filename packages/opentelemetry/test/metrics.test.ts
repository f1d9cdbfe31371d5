/**
 * The metric catalog and the token-request span with the real OpenTelemetry SDK, against the Entra emulator
 * over HTTPS and a real redis-server: a hit, a miss, an L2 hit, a refresh, a throttle, an Entra error, a
 * Redis outage, span parenting, and a canary scan of every exported attribute.
 */
import { randomBytes } from 'node:crypto'
import { createTracingClient } from '@azure/core-tracing'
import { OnBehalfOfCredential } from '@onbehalf/azure'
import { createMemoryTokenCache, createTokenProvider, type EngineFactory, type TokenCache } from '@onbehalf/core'
import { startEmulator, type EntraEmulator } from '@onbehalf/entra-emulator'
import { createJoseEngine } from '@onbehalf/jose'
import { createRedisTokenCache } from '@onbehalf/redis'
import { trace } from '@opentelemetry/api'
import type { MetricData } from '@opentelemetry/sdk-metrics'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { connectIoredis, type TestClient } from '@onbehalf/test-kit/redis-clients'
import { startRedisServer, type RedisServer } from '@onbehalf/test-kit/redis-server'
import {
  attributeNames as a,
  metricNames as m,
  registerOnBehalfOfMetrics,
  type OnBehalfOfMetrics,
} from '../src/index.ts'
import {
  createMetricsHarness,
  createTracingHarness,
  points,
  sum,
  type MetricsHarness,
  type TracingHarness,
} from './otel-harness.ts'

let emu: EntraEmulator
let harness: MetricsHarness
let tracing: TracingHarness
let registration: OnBehalfOfMetrics
let scope: string
let resource: string
const issued: string[] = []

beforeAll(async () => {
  emu = await startEmulator()
  scope = emu.defaults.downstream.defaultScope
  resource = scope.slice(0, scope.lastIndexOf('/'))
  tracing = createTracingHarness()
}, 60_000)
afterAll(async () => {
  await emu.close()
})
beforeEach(() => {
  emu.faults.clear()
  // A fresh SDK per test: every count below starts at zero.
  registration?.unregister()
  harness = createMetricsHarness()
  registration = registerOnBehalfOfMetrics({ meterProvider: harness.meterProvider })
  tracing.exporter.reset()
})

const noRetryEngine: EngineFactory = createJoseEngine({ maxRetries: 0 })

function assertionFor(user = emu.defaults.users.plain, extra: { mfa?: boolean } = {}): string {
  const assertion = emu.issueUserToken({ user, ...extra })
  issued.push(assertion)
  return assertion
}

function credential(
  userAssertion: string,
  cache: TokenCache,
  engine: EngineFactory = noRetryEngine,
): OnBehalfOfCredential {
  return new OnBehalfOfCredential(emu.tenantId, emu.defaults.middleTier.clientId, {
    userAssertion,
    clientSecret: emu.defaults.middleTier.clientSecret,
    authority: emu.authorityHost,
    fetch: emu.fetch,
    cache,
    engine,
  })
}

const exported: MetricData[][] = []
async function collect(): Promise<MetricData[]> {
  const metrics = await harness.collect()
  exported.push(metrics)
  return metrics
}

describe('metric catalog', () => {
  it('a miss then a hit: acquisitions by outcome and source, one token request in seconds', async () => {
    const cache = createMemoryTokenCache()
    const assertion = assertionFor()
    const first = await credential(assertion, cache).getToken(scope)
    await credential(assertion, cache).getToken(scope)
    const metrics = await collect()

    const acquisitions = metrics.find((metric) => metric.descriptor.name === m.acquisitions)
    expect(acquisitions?.descriptor.unit).toBe('{acquisition}')
    const common = { [a.engine]: 'jose', [a.tenantId]: emu.tenantId, [a.resource]: resource }
    expect(
      sum(metrics, m.acquisitions, { ...common, [a.cacheOutcome]: 'miss', [a.tokenSource]: 'identity_provider' }),
    ).toBe(1)
    expect(sum(metrics, m.acquisitions, { ...common, [a.cacheOutcome]: 'hit', [a.tokenSource]: 'l1' })).toBe(1)

    const duration = metrics.find((metric) => metric.descriptor.name === m.tokenRequestDuration)
    expect(duration?.descriptor.unit).toBe('s')
    const [point] = points(metrics, m.tokenRequestDuration)
    expect(points(metrics, m.tokenRequestDuration)).toHaveLength(1)
    expect(point?.attributes).toEqual({
      ...common,
      [a.reason]: 'no_cached_token',
      [a.grant]: 'on_behalf_of',
      [a.outcome]: 'success',
    })
    const histogram = point?.value as { count: number; sum: number }
    expect(histogram.count).toBe(1)
    // Seconds, not milliseconds: a loopback request is well under a minute.
    expect(histogram.sum).toBeGreaterThan(0)
    expect(histogram.sum).toBeLessThan(60)
    // The flight ended: nothing in flight.
    expect(sum(metrics, m.activeTokenRequests)).toBe(0)
    expect(first.token).not.toBe('')
  })

  it('a proactive refresh, and a refresh that fails while the cached token is still valid', async () => {
    let clock = Date.now()
    const provider = createTokenProvider({
      engine: noRetryEngine({
        clientId: emu.defaults.middleTier.clientId,
        credential: { kind: 'secret', secret: emu.defaults.middleTier.clientSecret },
        authorityHost: emu.authorityHost,
        fetch: emu.fetch,
      }),
      cache: createMemoryTokenCache({ now: () => clock }),
      now: () => clock,
    })
    const request = { tenantId: emu.tenantId, userAssertion: assertionFor(), scopes: [scope] }
    const token = await provider.getToken(request)
    // Four minutes before expiry: due for proactive refresh (five minutes ahead).
    clock = token.expiresAt - 240_000
    await provider.getToken(request)
    // Thirty-one seconds later the next attempt is allowed (the new token is due as well); Entra fails it.
    clock += 31_000
    emu.faults.inject({ kind: 'server-error', times: 1 })
    await expect(provider.getToken(request)).resolves.toMatchObject({ tokenType: 'Bearer' })
    const metrics = await collect()

    expect(sum(metrics, m.acquisitions, { [a.cacheOutcome]: 'refresh', [a.tokenSource]: 'identity_provider' })).toBe(2)
    const reasons = points(metrics, m.tokenRequestDuration).map((point) => point.attributes[a.reason])
    expect(reasons).toContain('proactive_refresh')
    expect(sum(metrics, m.refreshFailures, { [a.errorType]: 'SERVER_ERROR', [a.tenantId]: emu.tenantId })).toBe(1)
    expect(metrics.find((metric) => metric.descriptor.name === m.refreshFailures)?.descriptor.unit).toBe('{failure}')
  })

  it('a throttle: the 429 from Entra, then the caller blocked by its Retry-After', async () => {
    const cache = createMemoryTokenCache()
    const assertion = assertionFor()
    emu.faults.inject({ kind: 'throttle', retryAfterSeconds: 30, times: 1 })
    await expect(credential(assertion, cache).getToken(scope)).rejects.toMatchObject({ code: 'THROTTLED' })
    await expect(credential(assertion, cache).getToken(scope)).rejects.toMatchObject({ code: 'THROTTLED' })
    const metrics = await collect()

    expect(sum(metrics, m.throttles, { [a.throttleOrigin]: 'identity_provider', [a.resource]: resource })).toBe(1)
    expect(sum(metrics, m.throttles, { [a.throttleOrigin]: 'retry_after' })).toBe(1)
    expect(sum(metrics, m.acquisitions, { [a.cacheOutcome]: 'throttled' })).toBe(1)
    const failed = points(metrics, m.tokenRequestDuration).find((point) => point.attributes[a.outcome] === 'failure')
    expect(failed?.attributes).toMatchObject({ [a.errorType]: 'THROTTLED', [a.httpStatus]: 429 })
  })

  it('an Entra error: the AADSTS code and our code on the token request', async () => {
    const cache = createMemoryTokenCache()
    // The MFA user without MFA in the assertion: Entra answers AADSTS50076 with a claims challenge.
    await expect(credential(assertionFor(emu.defaults.users.mfa), cache).getToken(scope)).rejects.toMatchObject({
      code: 'INTERACTION_REQUIRED',
    })
    const metrics = await collect()
    const [point] = points(metrics, m.tokenRequestDuration)
    expect(point?.attributes).toMatchObject({
      [a.outcome]: 'failure',
      [a.errorType]: 'INTERACTION_REQUIRED',
      [a.stsErrorCode]: 'AADSTS50076',
      [a.httpStatus]: 400,
    })
  })
})

describe('with a real Redis (L2)', () => {
  let server: RedisServer
  let client: TestClient
  const keys = [{ id: 'k1', key: new Uint8Array(randomBytes(32)) }]

  beforeAll(async () => {
    server = await startRedisServer()
    client = await connectIoredis(server.port)
  })
  afterAll(async () => {
    await client.close()
    if (server.running) await server.stop()
  })

  it('an L2 hit: a second instance (its own L1) is served from Redis', async () => {
    const assertion = assertionFor()
    const instanceA = createRedisTokenCache({ redis: client.client, keys })
    await credential(assertion, instanceA).getToken(scope)
    // The write to Redis is not awaited by the caller: a fresh instance (empty L1) reads until Redis has it.
    let l2Hits = 0
    for (let attempt = 0; attempt < 50 && l2Hits === 0; attempt++) {
      const instanceB = createRedisTokenCache({ redis: client.client, keys })
      await credential(assertion, instanceB).getToken(scope)
      l2Hits = instanceB.stats().l2Hits
      if (l2Hits === 0) await new Promise((resolve) => setTimeout(resolve, 100))
    }
    expect(l2Hits).toBe(1)
    const metrics = await collect()
    expect(sum(metrics, m.acquisitions, { [a.cacheOutcome]: 'hit', [a.tokenSource]: 'l2' })).toBeGreaterThanOrEqual(1)
  })

  it('a Redis outage: getToken keeps working; L2 errors and the open breaker are reported', async () => {
    const cache = createRedisTokenCache({
      redis: client.client,
      keys,
      timeoutMs: 250,
      failureThreshold: 2,
      cooldownMs: 60_000,
    })
    await server.stop()
    for (let i = 0; i < 3; i++) {
      await expect(credential(assertionFor(), cache).getToken(scope)).resolves.toMatchObject({ tokenType: 'Bearer' })
    }
    const metrics = await collect()
    expect(
      sum(metrics, m.cacheErrors, { [a.cacheSystem]: 'redis', [a.cacheOperation]: 'read' }),
    ).toBeGreaterThanOrEqual(2)
    expect(metrics.find((metric) => metric.descriptor.name === m.cacheErrors)?.descriptor.unit).toBe('{error}')
    const [state] = points(metrics, m.cacheCircuitState)
    expect(state?.attributes).toEqual({ [a.cacheSystem]: 'redis' })
    expect(state?.value).toBe(2)
  })
})

describe('tracing through @azure/core-tracing', () => {
  it("one span per token request, a child of the Azure SDK caller's span; a hit opens none", async () => {
    const cache = createMemoryTokenCache()
    const assertion = assertionFor()
    // What an Azure SDK client does: its operation span, whose context goes to getToken as tracingOptions.
    const sdkClient = createTracingClient({ namespace: 'Microsoft.Test', packageName: 'test-sdk-client' })
    let callerSpanId = ''
    await sdkClient.withSpan('TestClient.operation', { tracingOptions: {} }, async (updatedOptions) => {
      callerSpanId =
        trace
          .getSpan((updatedOptions.tracingOptions as { tracingContext?: never }).tracingContext as never)
          ?.spanContext().spanId ?? ''
      await credential(assertion, cache).getToken(scope, updatedOptions)
      await credential(assertion, cache).getToken(scope, updatedOptions)
    })
    const spans = tracing.exporter.getFinishedSpans()
    const tokenSpans = spans.filter((span) => span.name === 'OnBehalfOfCredential.getToken')
    expect(tokenSpans).toHaveLength(1)
    expect(callerSpanId).not.toBe('')
    expect(tokenSpans[0]?.parentSpanContext?.spanId).toBe(callerSpanId)
    expect(tokenSpans[0]?.attributes['onbehalf.tenant_id']).toBe(emu.tenantId)
  })
})

describe('canary', () => {
  it('no exported attribute holds a secret, an assertion, a token or a user identifier', async () => {
    const cache = createMemoryTokenCache()
    const token = await credential(assertionFor(emu.defaults.users.plain), cache).getToken(scope)
    await credential(assertionFor(emu.defaults.users.mfa), cache)
      .getToken(scope)
      .catch(() => undefined)
    await collect()
    const users = Object.values(emu.defaults.users) as unknown as Record<string, unknown>[]
    const canaries = [
      emu.defaults.middleTier.clientSecret,
      token.token,
      ...issued,
      ...users
        .flatMap((user) => [user['oid'], user['upn'], user['name']])
        .filter((v): v is string => typeof v === 'string'),
    ]
    expect(canaries.length).toBeGreaterThan(5)
    const values: string[] = []
    for (const metrics of exported) {
      for (const metric of metrics) {
        for (const point of metric.dataPoints) values.push(...Object.values(point.attributes).map(String))
      }
    }
    for (const span of tracing.exporter.getFinishedSpans()) {
      values.push(span.name, ...Object.values(span.attributes).map(String))
    }
    expect(values.length).toBeGreaterThan(20)
    for (const value of values) {
      for (const canary of canaries) {
        expect(value.includes(canary), `an attribute holds a canary: ${value.slice(0, 12)}…`).toBe(false)
      }
    }
  })
})
