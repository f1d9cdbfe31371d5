/**
 * The fleet benchmark as a function (`bench:fleet` runs it at full size, its test at a tiny one): Redis and the
 * emulator in this process, the instances in their own (see `instance.ts`), and the measurements of SPEC §7's
 * scale bar.
 *
 * @module
 */
import { execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { cpus, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { startEmulator } from '@onbehalf/entra-emulator'
import { redisServerBinary, startRedisServer } from '@onbehalf/test-kit/redis-server'
import { summarize } from '../stats.ts'
import { startFleetProcess } from './fleet-process.ts'
import type { FleetProcess } from './fleet-process.ts'
import { fleetCacheSettings, fleetHttpSettings } from './protocol.ts'
import type { AlignReply, BurstReply, EvictReply, ReadReply, ReplaceReply, WatchReply } from './protocol.ts'
import { fleetBars } from './results.ts'
import type { FleetBurst, FleetPropagation, FleetResults } from './results.ts'

/** Size of a run. */
export interface FleetOptions {
  /** Users in the cold burst (each instance asks for every one). */
  readonly users: number
  /** Users evicted, and users whose token is replaced, one at a time. At most `users / 2`. */
  readonly trials: number
  /** Instance processes. Default 4. */
  readonly instances?: number
  readonly onProgress?: (line: string) => void
}

/**
 * Runs the fleet benchmark and returns its figures and bars.
 *
 * @example
 * ```ts
 * const results = await runFleet({ users: 1_000, trials: 20, onProgress: console.log })
 * results.withLock.tokenRequests // 1000
 * ```
 */
export async function runFleet(options: FleetOptions): Promise<FleetResults> {
  const userCount = options.users
  const trials = options.trials
  const instanceCount = options.instances ?? 4
  if (!(trials * 2 <= userCount)) throw new RangeError('trials must be at most users / 2')
  const log = options.onProgress ?? (() => undefined)
  const startedAt = new Date()
  const loadAverageAtStart = Math.round((loadavg()[0] ?? 0) * 100) / 100
  const runStart = performance.now()
  const dir = await mkdtemp(join(tmpdir(), 'onbehalf-fleet-'))
  const redis = await startRedisServer()
  const emu = await startEmulator({ maxRecordedRequests: 0 })
  const caFile = join(dir, 'ca.pem')
  await writeFile(caFile, emu.caCertificate)
  const tokenRequests = (): number => emu.requestCounts().byEndpoint['token'] ?? 0
  const users = Array.from({ length: userCount }, () => emu.addUser())
  /** Fresh assertions for every user: each phase has its own cache keys. */
  let phase = 0
  const mint = (): string[] => {
    phase++
    return users.map((user) => emu.issueUserToken({ user, extraClaims: { fleet_phase: phase } }))
  }

  const processes: FleetProcess[] = []
  try {
    const config = {
      redisPort: redis.port,
      authorityHost: emu.authorityHost,
      tenantId: emu.tenantId,
      clientId: emu.defaults.middleTier.clientId,
      clientSecret: emu.defaults.middleTier.clientSecret,
      scope: emu.defaults.downstream.defaultScope,
      keyBase64: randomBytes(32).toString('base64'),
    }
    for (let i = 0; i < instanceCount; i++) processes.push(startFleetProcess(config, caFile))
    log(`bench:fleet: ${instanceCount} processes (pids ${processes.map((p) => p.pid).join(', ')}), ${userCount} users`)

    const openEverywhere = (name: string, lock: boolean): Promise<unknown[]> =>
      Promise.all(processes.map((p) => p.ask({ op: 'open', cache: { name, keyPrefix: `fleet:${name}:`, lock } })))

    async function burst(
      name: string,
      assertions: readonly string[],
    ): Promise<{ burst: FleetBurst; replies: BurstReply[] }> {
      const before = tokenRequests()
      const began = performance.now()
      const replies = await Promise.all(
        processes.map((p) => p.ask<BurstReply>({ op: 'burst', cache: name, assertions })),
      )
      const durationMs = performance.now() - began
      for (const reply of replies) for (const error of reply.errors) log(`  failed getToken: ${error}`)
      return {
        replies,
        burst: {
          tokenRequests: tokenRequests() - before,
          failed: replies.reduce((sum, r) => sum + r.failed, 0),
          engineCallsPerInstance: replies.map((r) => r.engineCalls),
          singleFlightWaits: replies.reduce((sum, r) => sum + r.singleFlightWaits, 0),
          singleFlightHits: replies.reduce((sum, r) => sum + r.singleFlightHits, 0),
          readFailures: replies.reduce((sum, r) => sum + r.readFailures, 0),
          circuitOpens: replies.reduce((sum, r) => sum + r.circuitOpens, 0),
          durationMs,
        },
      }
    }

    // 1. One cold burst through every process at once, with the cross-instance lock.
    await openEverywhere('lock', true)
    const lockAssertions = mint()
    const withLock = await burst('lock', lockAssertions)
    log(
      `with the lock:    ${withLock.burst.tokenRequests} token requests (${withLock.burst.engineCallsPerInstance.join(' + ')}), ${withLock.burst.failed} failed, ${withLock.burst.durationMs.toFixed(0)} ms`,
    )

    // 2. The same, lock off (new keys, new caches).
    await openEverywhere('nolock', false)
    const noLockAssertions = mint()
    const withoutLock = await burst('nolock', noLockAssertions)
    log(
      `without the lock: ${withoutLock.burst.tokenRequests} token requests (${withoutLock.burst.engineCallsPerInstance.join(' + ')}), ${withoutLock.burst.failed} failed, ${withoutLock.burst.durationMs.toFixed(0)} ms`,
    )

    /**
     * Brings every instance to hold the same token for `assertion` before a propagation trial. After a lock-off
     * burst that is not given: the instances wrote the same entry concurrently, each write dropped the others'
     * L1 copies, and an instance whose own write was newer than the one Redis kept refuses Redis's as a rollback
     * (a miss). One instance at a time, `getToken` settles it (a refused entry is fetched again and written with a
     * newer version, which the others then accept); a pass with no token request and one token means done.
     */
    async function alignEverywhere(name: string, assertion: string): Promise<void> {
      for (let pass = 0; pass < 10; pass++) {
        const replies: AlignReply[] = []
        for (const p of processes) replies.push(await p.ask<AlignReply>({ op: 'align', cache: name, assertion }))
        const calls = replies.reduce((sum, reply) => sum + reply.engineCalls, 0)
        if (calls === 0 && new Set(replies.map((reply) => reply.fingerprint)).size === 1) return
      }
      throw new Error('the instances did not agree on one cached token in 10 passes')
    }

    // 3. L2 hits: a new cache (empty L1) in the process that wrote the fewest entries reads those the others wrote.
    const readerIndex = withLock.replies.reduce(
      (best, reply, index) => (reply.wrote.length < (withLock.replies[best]?.wrote.length ?? Infinity) ? index : best),
      0,
    )
    const reader = processes[readerIndex] as FleetProcess
    const ownWrites = new Set(withLock.replies[readerIndex]?.wrote ?? [])
    const othersWrote = lockAssertions.filter((_, index) => !ownWrites.has(index))
    await reader.ask({ op: 'open', cache: { name: 'reader', keyPrefix: 'fleet:lock:', lock: true } })
    const requestsBeforeReads = tokenRequests()
    const reads = await reader.ask<ReadReply>({ op: 'read', cache: 'reader', assertions: othersWrote })
    const l2Hit = {
      reads: othersWrote.length,
      failed: reads.failed,
      tokenRequests: tokenRequests() - requestsBeforeReads,
      ms: summarize(reads.latenciesMs),
    }
    log(
      `L2 hits:          process ${readerIndex + 1}, ${reads.l2Hits} of ${othersWrote.length} reads, p50 ${l2Hit.ms.median.toFixed(3)} ms, p99 ${l2Hit.ms.p99.toFixed(3)} ms, ${l2Hit.tokenRequests} token requests`,
    )

    // 4. evictUser on one instance → a miss on every instance (the lock-off caches: after alignment every process
    // holds the user's token, and a miss there is a plain miss, not a wait for a lock holder).
    const evictMs: number[] = []
    for (let trial = 0; trial < trials; trial++) {
      const index = trial
      const assertion = noLockAssertions[index] as string
      const user = users[index]!
      await alignEverywhere('nolock', assertion)
      const watches = await Promise.all(
        processes.map((p) => p.ask<WatchReply>({ op: 'watch', cache: 'nolock', assertion, until: 'gone' })),
      )
      if (watches.some((w) => !w.present)) throw new Error('a user to evict was not cached on every instance')
      const seen = Promise.all(processes.map((p) => p.seen(assertion)))
      const evictor = processes[trial % instanceCount] as FleetProcess
      const evicted = await evictor.ask<EvictReply>({
        op: 'evict',
        cache: 'nolock',
        tenantId: user.tenantId,
        oid: user.oid,
      })
      if (evicted.entries !== 1 || !evicted.complete) throw new Error(`evictUser removed ${evicted.entries} entries`)
      const last = Math.max(...(await seen).map((s) => s.atMs))
      evictMs.push(last - evicted.startedAtMs)
    }
    const evictUser: FleetPropagation = { trials, ms: summarize(evictMs) }
    log(
      `evictUser:        a miss on all ${instanceCount} after p50 ${evictUser.ms.median.toFixed(1)} ms, worst ${evictUser.ms.max.toFixed(1)} ms (${trials} users)`,
    )

    // 5. A claims replacement on one instance → every other instance's L1 serves the new token.
    const claims = '{"access_token":{"capolids":{"essential":true,"values":["fleet-step-up"]}}}'
    const replaceMs: number[] = []
    for (let trial = 0; trial < trials; trial++) {
      const assertion = noLockAssertions[trials + trial] as string
      const replacer = processes[trial % instanceCount] as FleetProcess
      const others = processes.filter((p) => p !== replacer)
      await alignEverywhere('nolock', assertion)
      const watches = await Promise.all(
        others.map((p) => p.ask<WatchReply>({ op: 'watch', cache: 'nolock', assertion, until: 'changed' })),
      )
      if (watches.some((w) => !w.present)) throw new Error('a user to replace was not cached on every instance')
      const seen = Promise.all(others.map((p) => p.seen(assertion)))
      const replaced = await replacer.ask<ReplaceReply>({ op: 'replace', cache: 'nolock', assertion, claims })
      if (replaced.setAtMs === undefined) throw new Error('the claims request did not replace the cached token')
      const last = Math.max(...(await seen).map((s) => s.atMs))
      replaceMs.push(last - replaced.setAtMs)
    }
    const claimsReplacement: FleetPropagation = { trials, ms: summarize(replaceMs) }
    log(
      `claims replaced:  the new token on all other L1s after p50 ${claimsReplacement.ms.median.toFixed(1)} ms, worst ${claimsReplacement.ms.max.toFixed(1)} ms (${trials} users)`,
    )

    const measured: Omit<FleetResults, 'bars'> = {
      startedAt: startedAt.toISOString(),
      durationMs: performance.now() - runStart,
      machine: {
        cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
        cores: cpus().length,
        node: process.version,
        loadAverageAtStart,
        redis: execFileSync(redisServerBinary, ['--version'], { encoding: 'utf8' }).match(/v=(\S+)/)?.[1] ?? 'unknown',
      },
      instances: instanceCount,
      users: userCount,
      settings: {
        client: 'ioredis, one command connection and one subscriber per cache',
        timeoutMs: fleetCacheSettings.timeoutMs,
        failureThreshold: fleetCacheSettings.failureThreshold,
        maxPendingCommands: fleetCacheSettings.maxPendingCommands,
        'singleFlight.maxWaitMs': fleetCacheSettings.singleFlight.maxWaitMs,
        'singleFlight.lockTtlMs': fleetCacheSettings.singleFlight.lockTtlMs,
        'token requests in flight per process': fleetHttpSettings.connections,
        'engine timeoutMs': fleetHttpSettings.engineTimeoutMs,
        'watch poll interval (ms)': 1,
      },
      withLock: withLock.burst,
      withoutLock: withoutLock.burst,
      l2Hit,
      evictUser,
      claimsReplacement,
    }
    const results: FleetResults = { ...measured, bars: fleetBars(measured) }
    return results
  } finally {
    await Promise.all(processes.map((p) => p.close()))
    await Promise.all([emu.close(), redis.stop()])
    await rm(dir, { recursive: true, force: true })
  }
}
