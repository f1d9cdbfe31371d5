/**
 * One middle-tier instance of `pnpm bench:fleet`, run as its own process: `createOnBehalfOf` credentials over
 * an `@onbehalf/redis` cache (ioredis, with a pub/sub subscriber) on the shared Redis. Obeys the parent's
 * commands (see `protocol.ts`) and reports counts and timings, never a token.
 *
 * @module
 */
import { createHash } from 'node:crypto'
import { createOnBehalfOf } from '@onbehalf/azure'
import type { OnBehalfOf } from '@onbehalf/azure'
import type { CachedToken, TokenCache, TokenCacheContext } from '@onbehalf/core'
import { createJoseEngine } from '@onbehalf/jose'
import { createRedisTokenCache } from '@onbehalf/redis'
import type { RedisTokenCache } from '@onbehalf/redis'
import { connectIoredis } from '@onbehalf/test-kit/redis-clients'
import type { TestClient } from '@onbehalf/test-kit/redis-clients'
import { fleetCacheSettings, fleetConfigVariable, fleetHttpSettings, wallClockMs } from './protocol.ts'
import type {
  AlignReply,
  BurstReply,
  CacheSpec,
  FleetCommand,
  FleetInstanceConfig,
  FleetReply,
  FleetRequest,
  ReadReply,
  ReplaceReply,
  SeenMessage,
  WatchReply,
} from './protocol.ts'

const config = JSON.parse(process.env[fleetConfigVariable] ?? 'null') as FleetInstanceConfig | null
if (config === null || process.send === undefined) throw new Error('run by bench:fleet (fork, with its config)')
const send = process.send.bind(process)

/**
 * The instance's Redis cache as the credential sees it, plus what the benchmark needs to watch it: the core key
 * and context of every assertion it looked up, and when each key was last handed to `set`.
 */
interface Instance {
  readonly cache: RedisTokenCache
  readonly obo: OnBehalfOf
  readonly lookups: Map<string, { readonly key: string; readonly context: TokenCacheContext }>
  readonly setAt: Map<string, number>
  readonly clients: readonly TestClient[]
}

const instances = new Map<string, Instance>()
const engine = createJoseEngine({ timeoutMs: fleetHttpSettings.engineTimeoutMs })
const pooledFetch = pooled(globalThis.fetch, fleetHttpSettings.connections)
const keyBytes = new Uint8Array(Buffer.from(config.keyBase64, 'base64'))

async function open(spec: CacheSpec): Promise<void> {
  const [commands, subscriber] = await Promise.all([
    connectIoredis(config!.redisPort),
    connectIoredis(config!.redisPort, { subscriber: true }),
  ])
  const cache = createRedisTokenCache({
    redis: commands.client,
    subscriber: subscriber.client,
    keys: [{ id: 'fleet-1', key: keyBytes }],
    keyPrefix: spec.keyPrefix,
    timeoutMs: fleetCacheSettings.timeoutMs,
    failureThreshold: fleetCacheSettings.failureThreshold,
    maxPendingCommands: fleetCacheSettings.maxPendingCommands,
    ...(spec.lock ? { singleFlight: fleetCacheSettings.singleFlight } : {}),
  })
  if (!(await cache.listening)) throw new Error('the invalidation subscription failed')
  const lookups = new Map<string, { key: string; context: TokenCacheContext }>()
  const setAt = new Map<string, number>()
  const recording: TokenCache = {
    get(key, context) {
      if (context !== undefined) lookups.set(context.userAssertion, { key, context })
      return cache.get(key, context)
    },
    set(key, value, ttlMs, context) {
      setAt.set(key, wallClockMs())
      return cache.set(key, value, ttlMs, context)
    },
    delete: (key, context) => cache.delete(key, context),
  }
  const obo = createOnBehalfOf({
    tenantId: config!.tenantId,
    clientId: config!.clientId,
    clientSecret: config!.clientSecret,
    authority: config!.authorityHost,
    disableInstanceDiscovery: true,
    cache: recording,
    engine,
    fetch: pooledFetch,
  })
  instances.set(spec.name, { cache, obo, lookups, setAt, clients: [commands, subscriber] })
}

function instance(name: string): Instance {
  const found = instances.get(name)
  if (found === undefined) throw new Error(`no cache named ${name}`)
  return found
}

/** A cache-only lookup: this instance's L1, else Redis. Never asks the IdP. */
async function lookup(target: Instance, assertion: string): Promise<CachedToken | undefined> {
  const seen = target.lookups.get(assertion)
  if (seen === undefined) throw new Error('this instance never looked this assertion up')
  return target.cache.get(seen.key, seen.context)
}

async function burst(name: string, assertions: readonly string[]): Promise<BurstReply> {
  const target = instance(name)
  const engineBefore = target.obo.stats()?.engineCalls ?? 0
  const outcomes = await Promise.allSettled(
    assertions.map((assertion) => target.obo.credentialFor(assertion).getToken(config!.scope)),
  )
  // The provider does not wait for the cache write: let this instance's writes land before reporting.
  await settleWrites(target.cache)
  const errors = outcomes.flatMap((outcome) =>
    outcome.status === 'rejected' ? [String((outcome.reason as Error)?.message ?? outcome.reason)] : [],
  )
  const wrote = assertions.flatMap((assertion, index) => {
    const seen = target.lookups.get(assertion)
    return seen !== undefined && target.setAt.has(seen.key) ? [index] : []
  })
  const stats = target.cache.stats()
  return {
    failed: errors.length,
    errors: errors.slice(0, 3),
    engineCalls: (target.obo.stats()?.engineCalls ?? 0) - engineBefore,
    wrote,
    singleFlightWaits: stats.singleFlightWaits,
    singleFlightHits: stats.singleFlightHits,
    l2Hits: stats.l2Hits,
    readFailures: stats.readFailures,
    circuitOpens: stats.circuitOpens,
  }
}

async function settleWrites(cache: RedisTokenCache): Promise<void> {
  for (let stable = 0, last = -1; stable < 5;) {
    const { writes, writeFailures, pendingCommands } = cache.stats()
    const now = writes + writeFailures
    stable = now === last && pendingCommands === 0 ? stable + 1 : 0
    last = now
    await sleep(20)
  }
}

async function read(name: string, assertions: readonly string[]): Promise<ReadReply> {
  const target = instance(name)
  const engineBefore = target.obo.stats()?.engineCalls ?? 0
  const latenciesMs: number[] = []
  let failed = 0
  for (const assertion of assertions) {
    const startedAt = performance.now()
    try {
      await target.obo.credentialFor(assertion).getToken(config!.scope)
      latenciesMs.push(performance.now() - startedAt)
    } catch {
      failed++
    }
  }
  const stats = target.cache.stats()
  return {
    latenciesMs,
    failed,
    engineCalls: (target.obo.stats()?.engineCalls ?? 0) - engineBefore,
    l1Hits: stats.l1Hits,
    l2Hits: stats.l2Hits,
  }
}

async function align(name: string, assertion: string): Promise<AlignReply> {
  const target = instance(name)
  const engineBefore = target.obo.stats()?.engineCalls ?? 0
  const { token } = await target.obo.credentialFor(assertion).getToken(config!.scope)
  await settleWrites(target.cache)
  return {
    engineCalls: (target.obo.stats()?.engineCalls ?? 0) - engineBefore,
    fingerprint: createHash('sha256').update(token).digest('base64url').slice(0, 12),
  }
}

async function watch(name: string, assertion: string, until: 'gone' | 'changed'): Promise<WatchReply> {
  const target = instance(name)
  const first = await lookup(target, assertion)
  if (first === undefined) return { present: false }
  void (async () => {
    // Every millisecond: an L1 hit costs microseconds; once L1 dropped the entry, each look is one Redis GET.
    for (;;) {
      const current = await lookup(target, assertion)
      if (
        until === 'gone' ? current === undefined : current !== undefined && current.accessToken !== first.accessToken
      ) {
        const message: SeenMessage = { seen: assertion, atMs: wallClockMs() }
        send(message)
        return
      }
      await sleep(1)
    }
  })()
  return { present: true }
}

async function replace(name: string, assertion: string, claims: string): Promise<ReplaceReply> {
  const target = instance(name)
  const seen = target.lookups.get(assertion)
  if (seen === undefined) throw new Error('this instance never looked this assertion up')
  target.setAt.delete(seen.key)
  await target.obo.credentialFor(assertion).getToken(config!.scope, { claims })
  return { setAtMs: target.setAt.get(seen.key) }
}

async function run(command: FleetCommand): Promise<unknown> {
  switch (command.op) {
    case 'open':
      return open(command.cache)
    case 'burst':
      return burst(command.cache, command.assertions)
    case 'read':
      return read(command.cache, command.assertions)
    case 'align':
      return align(command.cache, command.assertion)
    case 'watch':
      return watch(command.cache, command.assertion, command.until)
    case 'evict': {
      const startedAtMs = wallClockMs()
      const result = await instance(command.cache).cache.evictUser({ tenantId: command.tenantId, oid: command.oid })
      return { startedAtMs, ...result }
    }
    case 'replace':
      return replace(command.cache, command.assertion, command.claims)
    case 'close':
      for (const { clients } of instances.values()) await Promise.all(clients.map((client) => client.close()))
      setImmediate(() => process.exit(0))
      return undefined
  }
}

process.on('message', (request: FleetRequest) => {
  run(request).then(
    (result) => send({ id: request.id, ok: true, result } satisfies FleetReply),
    (error: unknown) =>
      send({
        id: request.id,
        ok: false,
        error: error instanceof Error ? error.message : String(error),
      } satisfies FleetReply),
  )
})

/** `fetch` with at most `size` requests in flight; the others wait their turn in order. */
function pooled(inner: typeof globalThis.fetch, size: number): typeof globalThis.fetch {
  let active = 0
  const queue: (() => void)[] = []
  return async (input, init) => {
    if (active >= size) await new Promise<void>((resolve) => queue.push(resolve))
    active++
    try {
      return await inner(input, init)
    } finally {
      active--
      queue.shift()?.()
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
