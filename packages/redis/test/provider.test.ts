/**
 * The cache in its real setting: core's token provider + the jose engine + the Entra emulator over HTTPS, and
 * a real redis-server, shared by two processes, stopped by its pid mid-run and started again.
 */
import { spawn } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { createTokenProvider, deriveCacheKey } from '@onbehalf/core'
import type { TokenProvider } from '@onbehalf/core'
import { OnBehalfOfCredential } from '@onbehalf/azure'
import { startEmulator } from '@onbehalf/entra-emulator'
import type { EntraEmulator } from '@onbehalf/entra-emulator'
import { createJoseEngine } from '@onbehalf/jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createRedisTokenCache } from '../src/index.ts'
import type { RedisCacheEvent, RedisTokenCache } from '../src/index.ts'
import { clientKinds, connectIoredis, inspector } from '@onbehalf/test-kit/redis-clients'
import type { TestClient } from '@onbehalf/test-kit/redis-clients'
import type { InstanceConfig, InstanceReport } from './fixtures/instance.ts'
import { startRedisServer } from '@onbehalf/test-kit/redis-server'
import type { RedisServer } from '@onbehalf/test-kit/redis-server'

const keyId = 'it-1'
const keyBytes = randomBytes(32)
const keys = [{ id: keyId, key: new Uint8Array(keyBytes) }]
const instanceScript = fileURLToPath(new URL('./fixtures/instance.ts', import.meta.url))

let emu: EntraEmulator
let server: RedisServer
let nonce = 0

beforeAll(async () => {
  ;[emu, server] = await Promise.all([startEmulator(), startRedisServer()])
})
afterAll(async () => {
  await Promise.all([emu.close(), server.stop()])
})

function scopes(): string[] {
  return [emu.defaults.downstream.defaultScope]
}

/** A fresh user assertion: a new cache key every time. */
function assertion(): string {
  return emu.issueUserToken({ user: emu.defaults.users.plain, extraClaims: { test_nonce: ++nonce } })
}

function tokenRequests(): number {
  return emu.requests.filter((request) => request.endpoint === 'token').length
}

function provider(cache: RedisTokenCache): TokenProvider {
  const engine = createJoseEngine()({
    clientId: emu.defaults.middleTier.clientId,
    credential: { kind: 'secret', secret: emu.defaults.middleTier.clientSecret },
    authorityHost: emu.authorityHost,
    disableInstanceDiscovery: true,
    fetch: emu.fetch,
  })
  return createTokenProvider({ engine, cache })
}

function runInstance(config: InstanceConfig): Promise<InstanceReport> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--conditions=@onbehalf/source', '--import', 'tsx', instanceScript], {
      env: { ...process.env, ONBEHALF_INSTANCE_CONFIG: JSON.stringify(config) },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')))
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')))
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000)
    child.once('error', reject)
    child.once('exit', (code) => {
      clearTimeout(timer)
      if (code !== 0) reject(new Error(`instance process exited with ${code}:\n${stderr}`))
      else resolve(JSON.parse(stdout.trim()) as InstanceReport)
    })
  })
}

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex')

describe.each(clientKinds)('with the token provider and %s', (kind, connect) => {
  let client: TestClient

  beforeAll(async () => {
    client = await connect(server.port)
  })
  afterAll(async () => {
    await client.close()
  })

  it('two processes share Redis: the second instance gets an L2 hit and makes no token request', async () => {
    const userAssertion = assertion()
    const keyPrefix = `it:${kind}:`
    const before = tokenRequests()
    const report = await runInstance({
      redisPort: server.port,
      client: kind,
      authorityHost: emu.authorityHost,
      caCertificate: emu.caCertificate,
      tenantId: emu.tenantId,
      clientId: emu.defaults.middleTier.clientId,
      clientSecret: emu.defaults.middleTier.clientSecret,
      userAssertion,
      scopes: scopes(),
      keyId,
      keyBase64: keyBytes.toString('base64'),
      keyPrefix,
    })
    expect(report).toMatchObject({ engineCalls: 1, writes: 1 })
    expect(report.pid).not.toBe(process.pid)
    expect(tokenRequests()).toBe(before + 1)

    const cache = createRedisTokenCache({ redis: client.client, keys, keyPrefix, timeoutMs: 2_000 })
    const here = provider(cache)
    try {
      const token = await here.getToken({ tenantId: emu.tenantId, userAssertion, scopes: scopes() })
      expect(sha256(token.accessToken)).toBe(report.tokenSha256)
      expect(token.expiresAt).toBe(report.expiresAt)
      expect(tokenRequests()).toBe(before + 1)
      expect(here.stats()).toMatchObject({ hits: 1, misses: 0, engineCalls: 0 })
      expect(cache.stats()).toMatchObject({ l2Hits: 1, l1Hits: 0 })
    } finally {
      await here.close()
    }
  })

  it('Redis stopped by its pid mid-run: no getToken fails; after a restart L2 hits resume in the same cache', async () => {
    const events: RedisCacheEvent[] = []
    const keyPrefix = `outage:${kind}:`
    const cache = createRedisTokenCache({
      redis: client.client,
      keys,
      keyPrefix,
      timeoutMs: 100,
      failureThreshold: 3,
      cooldownMs: 300,
      onEvent: (event) => events.push(event),
    })
    const instance = provider(cache)
    const known: string[] = []
    const failures: unknown[] = []
    let calls = 0

    async function round(): Promise<void> {
      // Each round: two new users (L1 miss → Redis → IdP) and two known ones (L1 hits).
      const assertions = [assertion(), assertion(), ...known.slice(-2)]
      await Promise.all(
        assertions.map(async (userAssertion) => {
          calls++
          try {
            await instance.getToken({ tenantId: emu.tenantId, userAssertion, scopes: scopes() })
          } catch (error) {
            failures.push(error)
          }
        }),
      )
      known.push(...assertions.slice(0, 2))
    }

    try {
      for (let i = 0; i < 5; i++) await round()
      const pid = server.pid
      // Stopped while this round's reads and writes are in flight.
      const stopped = (async () => {
        await new Promise((resolve) => setTimeout(resolve, 1))
        await server.stop('SIGKILL')
      })()
      for (let i = 0; i < 10; i++) await round()
      await stopped
      expect(() => process.kill(pid, 0)).toThrow()
      const during = cache.stats()
      expect(during.readFailures + during.writeFailures).toBeGreaterThan(0)
      expect(during.circuitOpens).toBeGreaterThanOrEqual(1)
      expect(events.some((event) => event.type === 'circuit' && event.state === 'open')).toBe(true)

      await server.restart()
      // Calls keep succeeding while the client reconnects and the breaker probes; then writes land again.
      const writesBefore = cache.stats().writes
      const deadline = Date.now() + 10_000
      while (!(cache.stats().circuit === 'closed' && cache.stats().writes > writesBefore)) {
        if (Date.now() > deadline) throw new Error('the cache did not reach the restarted Redis within 10 s')
        await round()
        await new Promise((resolve) => setTimeout(resolve, 50))
      }
      expect(failures).toEqual([])
      expect(calls).toBeGreaterThan(60)

      // Another instance (own client, own cache) stores a token; this cache, never restarted, reads it from L2.
      const other = await connect(server.port)
      const otherProvider = provider(createRedisTokenCache({ redis: other.client, keys, keyPrefix }))
      try {
        const userAssertion = assertion()
        const stored = await otherProvider.getToken({ tenantId: emu.tenantId, userAssertion, scopes: scopes() })
        const writeDeadline = Date.now() + 2_000
        while ((otherProvider.cache as RedisTokenCache).stats().writes === 0 && Date.now() < writeDeadline) {
          await new Promise((resolve) => setTimeout(resolve, 10))
        }
        const requestsBefore = tokenRequests()
        const l2HitsBefore = cache.stats().l2Hits
        const token = await instance.getToken({ tenantId: emu.tenantId, userAssertion, scopes: scopes() })
        expect(token.accessToken).toBe(stored.accessToken)
        expect(tokenRequests()).toBe(requestsBefore)
        expect(cache.stats().l2Hits).toBe(l2HitsBefore + 1)
      } finally {
        await otherProvider.close()
        await other.close()
      }
    } finally {
      await instance.close()
    }
  })
})

describe('with OnBehalfOfCredential', () => {
  it('per-request credentials on two instances share tokens through Redis', async () => {
    const client = await connectIoredis(server.port)
    // Two middle-tier instances: each its own cache (own L1), one Redis.
    const instanceA = createRedisTokenCache({ redis: client.client, keys, keyPrefix: 'cred:', timeoutMs: 2_000 })
    const instanceB = createRedisTokenCache({ redis: client.client, keys, keyPrefix: 'cred:', timeoutMs: 2_000 })
    const userAssertion = assertion()
    const credentialFor = (cache: RedisTokenCache): OnBehalfOfCredential =>
      new OnBehalfOfCredential(emu.tenantId, emu.defaults.middleTier.clientId, {
        userAssertion,
        clientSecret: emu.defaults.middleTier.clientSecret,
        authority: emu.authorityHost,
        disableInstanceDiscovery: true,
        fetch: emu.fetch,
        cache,
      })
    try {
      const before = tokenRequests()
      const first = await credentialFor(instanceA).getToken(scopes())
      expect(tokenRequests()).toBe(before + 1)
      const writeDeadline = Date.now() + 2_000
      while (instanceA.stats().writes === 0 && Date.now() < writeDeadline) {
        await new Promise((resolve) => setTimeout(resolve, 10))
      }
      const second = await credentialFor(instanceB).getToken(scopes())
      const third = await credentialFor(instanceA).getToken(scopes())
      expect(second.token).toBe(first.token)
      expect(third.token).toBe(first.token)
      expect(tokenRequests()).toBe(before + 1)
      expect(instanceB.stats()).toMatchObject({ l2Hits: 1 })
      expect(instanceA.stats()).toMatchObject({ l1Hits: 1, writes: 1 })
    } finally {
      await client.close()
    }
  })
})

describe.each(clientKinds)('cross-instance single-flight with %s', (kind, connect) => {
  let client: TestClient

  beforeAll(async () => {
    client = await connect(server.port)
  })
  afterAll(async () => {
    await client.close()
  })

  /** Two instances (own cache, own L1, own provider) miss the same token at once, 5 calls each. */
  async function burst(singleFlight: boolean, keyPrefix: string) {
    const options = {
      redis: client.client,
      keys,
      keyPrefix,
      timeoutMs: 1_000,
      singleFlight: singleFlight && { maxWaitMs: 5_000 },
    }
    const caches = [createRedisTokenCache(options), createRedisTokenCache(options)]
    const providers = caches.map((cache) => provider(cache))
    const userAssertion = assertion()
    // A slow IdP, so that both instances miss before either has written.
    const fault = emu.faults.inject({ kind: 'latency', latencyMs: 300, match: { endpoint: 'token' } })
    const before = tokenRequests()
    try {
      const tokens = await Promise.all(
        providers.flatMap((p) =>
          Array.from({ length: 5 }, () => p.getToken({ tenantId: emu.tenantId, userAssertion, scopes: scopes() })),
        ),
      )
      return { tokens, requests: tokenRequests() - before, stats: caches.map((cache) => cache.stats()) }
    } finally {
      fault.remove()
      await Promise.all(providers.map((p) => p.close()))
    }
  }

  it('without it, each instance asks the IdP', async () => {
    const { requests } = await burst(false, `nosf:${kind}:`)
    expect(requests).toBe(2)
  })

  it('with it, one instance asks the IdP and the other waits for its token', async () => {
    const { tokens, requests, stats } = await burst(true, `sf:${kind}:`)
    expect(requests).toBe(1)
    expect(new Set(tokens.map((token) => token.accessToken)).size).toBe(1)
    expect(stats.map((s) => s.singleFlightWaits).sort()).toEqual([0, 1])
    expect(stats.map((s) => s.singleFlightHits).sort()).toEqual([0, 1])
  })

  it('a waiter gives up after its budget when the lock holder never writes', async () => {
    const events: RedisCacheEvent[] = []
    const cache = createRedisTokenCache({
      redis: client.client,
      keys,
      keyPrefix: `sf-stuck:${kind}:`,
      singleFlight: { maxWaitMs: 200, pollMs: 20, lockTtlMs: 60_000 },
      onEvent: (event) => events.push(event),
    })
    const p = provider(cache)
    const userAssertion = assertion()
    const raw = inspector(server.port)
    try {
      // Hold this request's lock as an instance that died mid-request would.
      const key = deriveCacheKey({
        partition: p.engine.fingerprint,
        tenantId: emu.tenantId,
        scopes: scopes(),
        enableCae: false,
        userAssertion,
      })
      await raw.set(`${cache.keyName(key)}:lock`, '1', 'PX', 60_000)
      const before = tokenRequests()
      const startedAt = performance.now()
      const token = await p.getToken({ tenantId: emu.tenantId, userAssertion, scopes: scopes() })
      const elapsedMs = performance.now() - startedAt
      expect(token.accessToken.length).toBeGreaterThan(0)
      expect(tokenRequests()).toBe(before + 1)
      expect(cache.stats()).toMatchObject({ singleFlightWaits: 1, singleFlightHits: 0 })
      expect(events.map((event) => event.type)).toContain('single-flight-wait')
      // It waited its budget, then asked the IdP itself.
      expect(elapsedMs).toBeGreaterThanOrEqual(180)
    } finally {
      raw.disconnect()
      await p.close()
    }
  })
})
