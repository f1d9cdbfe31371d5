/**
 * The protocol between `pnpm bench:fleet` (the parent: Redis, the emulator, the clock of the run) and its four
 * instance processes: commands go down the IPC channel, each answered by one reply with the same `id`.
 *
 * @module
 */

/** How an instance reaches Redis and the emulator. Holds the (emulated) app secret. */
export interface FleetInstanceConfig {
  readonly redisPort: number
  readonly authorityHost: string
  readonly tenantId: string
  readonly clientId: string
  readonly clientSecret: string
  readonly scope: string
  /** The cache encryption key, base64 (every instance shares it). */
  readonly keyBase64: string
}

/** Which cache of the instance a command uses: each has its own key prefix (own Redis entries) and L1. */
export interface CacheSpec {
  readonly name: string
  readonly keyPrefix: string
  /** Cross-instance single-flight on or off. */
  readonly lock: boolean
}

export type FleetCommand =
  /** Creates the named cache (and its credential factory) and waits until its invalidation subscription is up. */
  | { readonly op: 'open'; readonly cache: CacheSpec }
  /** Every assertion's `getToken` at once; reply {@link BurstReply}. */
  | { readonly op: 'burst'; readonly cache: string; readonly assertions: readonly string[] }
  /** One `getToken` after another, each timed, through a cache with an empty L1; reply {@link ReadReply}. */
  | { readonly op: 'read'; readonly cache: string; readonly assertions: readonly string[] }
  /**
   * Polls this instance's cache (cache-only lookups, never the IdP) for `assertion` until its entry is gone
   * (`until: 'gone'`) or holds another token than now (`until: 'changed'`); replies at once with
   * {@link WatchReply}, then sends a {@link SeenMessage} when it happens.
   */
  | {
      readonly op: 'watch'
      readonly cache: string
      readonly assertion: string
      readonly until: 'gone' | 'changed'
    }
  /**
   * One `getToken` for `assertion` (an L1 hit, an L2 read, or a token request when the instance has nothing it
   * accepts), then waits for this instance's writes to land; reply {@link AlignReply}.
   */
  | { readonly op: 'align'; readonly cache: string; readonly assertion: string }
  /** `evictUser` on this instance; reply {@link EvictReply}. */
  | { readonly op: 'evict'; readonly cache: string; readonly tenantId: string; readonly oid: string }
  /** A `getToken` with a claims request, which replaces the cached token; reply {@link ReplaceReply}. */
  | { readonly op: 'replace'; readonly cache: string; readonly assertion: string; readonly claims: string }
  | { readonly op: 'close' }

/** A command as sent: with the id its reply carries. */
export type FleetRequest = FleetCommand & { readonly id: number }

/** What a burst did on one instance. */
export interface BurstReply {
  readonly failed: number
  /** Up to three error messages (never a token). */
  readonly errors: readonly string[]
  /** Token requests this instance's credential made. */
  readonly engineCalls: number
  /** Indexes (into the burst's assertions) of the entries this instance wrote to Redis. */
  readonly wrote: readonly number[]
  readonly singleFlightWaits: number
  readonly singleFlightHits: number
  readonly l2Hits: number
  /** Redis reads that failed, timed out or were skipped (each one a miss), and how often the circuit opened. */
  readonly readFailures: number
  readonly circuitOpens: number
}

/** Timed reads. */
export interface ReadReply {
  /** Milliseconds per `getToken`, in order. */
  readonly latenciesMs: readonly number[]
  readonly failed: number
  readonly engineCalls: number
  readonly l1Hits: number
  readonly l2Hits: number
}

/** What an `align` did. */
export interface AlignReply {
  /** Token requests it made (0: the instance already held a token it accepts). */
  readonly engineCalls: number
  /** A short SHA-256 fingerprint of the token it got, to compare instances without sending a token. */
  readonly fingerprint: string
}

export interface WatchReply {
  /** Whether the entry was in this instance's cache when the watch began (it must be, to measure anything). */
  readonly present: boolean
}

/** Sent (without a request id) when a watched entry is gone or changed. */
export interface SeenMessage {
  readonly seen: string
  /** Wall-clock time, in milliseconds with sub-millisecond precision (`performance.timeOrigin + now()`). */
  readonly atMs: number
}

export interface EvictReply {
  /** When `evictUser` was called. */
  readonly startedAtMs: number
  readonly entries: number
  readonly complete: boolean
}

export interface ReplaceReply {
  /** When the provider handed the new token to the cache (`set`), or `undefined` if it never did. */
  readonly setAtMs: number | undefined
}

/** A reply: `id` of the request, and its result or an error message. */
export type FleetReply =
  | { readonly id: number; readonly ok: true; readonly result: unknown }
  | { readonly id: number; readonly ok: false; readonly error: string }

/**
 * The instances' cache settings. A cold burst puts a thousand reads, locks and writes in flight at once per
 * process on a shared, loaded machine: the defaults (100 ms, 5 failures open the circuit, 1,000 pending) are for
 * steady traffic and would turn the burst's own queueing into misses. A waiting instance gives up after `maxWaitMs` and asks the IdP itself: in
 * a cold burst the lock holder's requests queue behind a thousand others, so the wait covers the whole burst.
 */
export const fleetCacheSettings = {
  timeoutMs: 10_000,
  failureThreshold: 1_000,
  maxPendingCommands: 20_000,
  singleFlight: { maxWaitMs: 900_000, lockTtlMs: 900_000 },
} as const

/**
 * The instances' HTTP settings: at most `connections` token requests in flight per process (a connection pool,
 * as a production HTTP agent has; a thousand simultaneous TLS handshakes per process only time out), and an
 * engine deadline that covers a request's wait in that pool behind the rest of the burst.
 */
export const fleetHttpSettings = { connections: 16, engineTimeoutMs: 900_000 } as const

/** The environment variable that carries the {@link FleetInstanceConfig} as JSON. */
export const fleetConfigVariable = 'ONBEHALF_FLEET_CONFIG'

/** Wall-clock milliseconds with sub-millisecond precision, comparable across processes of one machine. */
export function wallClockMs(): number {
  return performance.timeOrigin + performance.now()
}
