/**
 * What `pnpm bench:fleet` measured (written to `benchmarks/results/fleet.json`), and its bars.
 *
 * @module
 */
import type { Summary } from '../stats.ts'

/** One cold burst: every instance asks for every user at once. */
export interface FleetBurst {
  /** Token requests the emulator received during the burst (all instances). */
  readonly tokenRequests: number
  /** `getToken` calls that failed (all instances). */
  readonly failed: number
  /** Token requests per instance, as each credential counted them. */
  readonly engineCallsPerInstance: readonly number[]
  /** Misses that waited for another instance's token, and how many of those got it. */
  readonly singleFlightWaits: number
  readonly singleFlightHits: number
  /** Redis reads that failed or timed out (each one a miss), and circuit openings, all instances. */
  readonly readFailures: number
  readonly circuitOpens: number
  readonly durationMs: number
}

/** A propagation measured several times. */
export interface FleetPropagation {
  readonly trials: number
  /** Milliseconds from the action on one instance until the last instance saw its effect. */
  readonly ms: Summary
}

export interface FleetBar {
  readonly name: string
  readonly value: string
  readonly threshold: string
  readonly pass: boolean
}

export interface FleetResults {
  readonly startedAt: string
  readonly durationMs: number
  readonly machine: {
    readonly cpuModel: string
    readonly cores: number
    readonly node: string
    readonly redis: string
    /** The 1-minute load average when the run started (the machine may be shared). */
    readonly loadAverageAtStart: number
  }
  readonly instances: number
  readonly users: number
  readonly settings: Readonly<Record<string, string | number>>
  readonly withLock: FleetBurst
  readonly withoutLock: FleetBurst
  /** `getToken` on an instance whose L1 is empty, for entries other instances wrote. */
  readonly l2Hit: {
    readonly reads: number
    readonly failed: number
    readonly tokenRequests: number
    readonly ms: Summary
  }
  readonly evictUser: FleetPropagation
  readonly claimsReplacement: FleetPropagation
  readonly bars: readonly FleetBar[]
}

/** The bars of SPEC §7 ("scale") this run checks. */
export function fleetBars(results: Omit<FleetResults, 'bars'>): FleetBar[] {
  const { users, instances } = results
  return [
    {
      name: `fleet: ${instances} processes × one cold burst of ${users.toLocaleString('en-US')} users, cross-instance lock on`,
      value: `${results.withLock.tokenRequests} token requests`,
      threshold: `exactly ${users.toLocaleString('en-US')}`,
      pass: results.withLock.tokenRequests === users,
    },
    {
      name: 'fleet: failed getToken in both bursts and the L2 reads',
      value: String(results.withLock.failed + results.withoutLock.failed + results.l2Hit.failed),
      threshold: '0',
      pass: results.withLock.failed + results.withoutLock.failed + results.l2Hit.failed === 0,
    },
    {
      name: `fleet: evictUser on one instance → a miss on all ${instances} (worst of ${results.evictUser.trials})`,
      value: `${results.evictUser.ms.max.toFixed(1)} ms`,
      threshold: '≤ 1,000 ms',
      pass: results.evictUser.ms.max <= 1_000,
    },
  ]
}
