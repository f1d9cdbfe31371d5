/**
 * The shapes of one comparison run: what each scenario measures per contender, and the results file.
 *
 * @module
 */
import type { Summary } from './stats.ts'

/** The contenders, all driven in the same run against the same emulator. */
export type ContenderId = 'ours-jose' | 'ours-msal' | 'msal-node' | 'azure-identity'

/** Every contender, in report order. */
export const contenderIds: readonly ContenderId[] = ['ours-jose', 'ours-msal', 'msal-node', 'azure-identity']

/** How each contender is named in tables and charts. */
export const contenderLabels: Readonly<Record<ContenderId, string>> = {
  'ours-jose': 'onbehalf (jose engine)',
  'ours-msal': 'onbehalf (msal engine)',
  'msal-node': 'msal-node CCA (shared)',
  'azure-identity': '@azure/identity OBO credential',
}

/** How each contender's middle tier is named in the protected-API scenario. */
export const protectedTierLabels: Readonly<Record<ContenderId, string>> = {
  'ours-jose': '@onbehalf/server (jose engine)',
  'ours-msal': '@onbehalf/server (msal engine)',
  'msal-node': 'msal-node',
  'azure-identity': 'hand-written: jose + @azure/identity',
}

/** The scenarios; each runs in its own process per contender. */
export type ScenarioId = 'cache-hits' | 'per-request' | 'herd' | 'cold' | 'memory' | 'protected-api'

/** Requests the emulator received, by endpoint kind. */
export interface RequestCounts {
  readonly total: number
  /** Requests to the token endpoint (any grant). */
  readonly token: number
  readonly byEndpoint: Readonly<Record<string, number>>
}

/** A size a contender was not run at, and why. */
export interface Skipped {
  readonly users: number
  readonly skipped: string
}

/** Cache-hit latency at one number of cached users. Times in microseconds. */
export interface HitPoint {
  readonly users: number
  /** Users filled through real token exchanges with the emulator. */
  readonly realUsers: number
  /** Users whose entries were written through the contender's public cache API (see the method notes). */
  readonly prefilledUsers: number
  readonly fillMs: number
  readonly hitUs: Summary
  /**
   * The floor of a hit, measured in the same process and loop, interleaved with the hits: SHA-256 of the same
   * assertion (`node:crypto`) and a lookup in a map holding every cached user's hash.
   */
  readonly floorUs?: Summary
  /** Token requests the emulator received while hits were measured (must be 0). */
  readonly tokenRequestsDuringHits: number
  /** Hits that returned another token than the one cached for that user (must be 0). */
  readonly wrongTokens: number
}

/** Scenario 1 for one contender. */
export interface CacheHitResult {
  readonly points: readonly (HitPoint | Skipped)[]
}

/** Scenario 2: a new credential per call for a returning user. */
export interface PerRequestResult {
  readonly calls: number
  readonly requests: RequestCounts
  /** Per call, milliseconds. */
  readonly latencyMs: Summary
  /** How the contender was called. */
  readonly pattern: string
}

/** Scenario 3: concurrent cold calls for one user. */
export interface HerdResult {
  readonly concurrency: number
  readonly requests: RequestCounts
  /** From the first call until every call settled. */
  readonly totalMs: number
  readonly failed: number
  /** Distinct error messages of failed calls (at most 3, shortened). */
  readonly errors: readonly string[]
  readonly distinctTokens: number
}

/** Scenario 4: the first call of a fresh process (median over runs). */
export interface ColdResult {
  readonly runs: number
  readonly firstCallMs: readonly number[]
  readonly medianMs: number
  readonly requests: RequestCounts
}

/** Heap retained per cached user at one size. */
export interface MemoryPoint {
  readonly users: number
  readonly heapUsedBytes: number
  readonly bytesPerUser: number
  /** Characters of the cached token strings per user (access + refresh token), for the overhead bar. */
  readonly tokenBytesPerUser: number
}

/** Scenario 5 for one contender. */
export interface MemoryResult {
  readonly baselineHeapBytes: number
  readonly points: readonly (MemoryPoint | Skipped)[]
}

/**
 * Scenario 6: a protected API's work per request for a returning caller: validate the incoming access token
 * (already verified once) and get an OBO token that is already cached. Times in microseconds.
 */
export interface ProtectedApiResult {
  /** How the middle tier is written (the library call or the hand-written code). */
  readonly pattern: string
  /** Distinct callers (real emulator users), each seen once before measuring. */
  readonly users: number
  /** The whole request: validation and OBO token. */
  readonly requestUs: Summary
  /** The validation part (bearer header to validated claims). */
  readonly validateUs: Summary
  /** The OBO token part. */
  readonly tokenUs: Summary
  /** What the emulator received while measuring (token requests must be 0 for a cache hit). */
  readonly requestsDuringMeasure: RequestCounts
  /** Requests whose OBO token was for another user than the caller (must be 0). */
  readonly wrongUsers: number
}

/** A scenario a contender does not take part in, and why. */
export interface NotApplicable {
  readonly notApplicable: string
}

/** A pass/fail bar computed within the run. */
export interface Bar {
  readonly name: string
  readonly value: string
  readonly threshold: string
  readonly pass: boolean
}

/** The machine the run took place on. */
export interface MachineInfo {
  readonly cpuModel: string
  readonly cores: number
  readonly memoryGiB: number
  readonly os: string
  readonly node: string
  /** 1-minute load average when the run started (other work on the machine skews timings). */
  readonly loadAverageAtStart: number
}

/** Everything one run produced: written as `results/latest.json`. */
export interface ComparisonResults {
  readonly schemaVersion: 1
  readonly date: string
  readonly durationMs: number
  readonly machine: MachineInfo
  readonly versions: Readonly<Record<string, string>>
  readonly settings: Readonly<Record<string, unknown>>
  readonly cacheHits: Readonly<Record<ContenderId, CacheHitResult | NotApplicable>>
  readonly perRequest: Readonly<Record<ContenderId, PerRequestResult | NotApplicable>>
  readonly herd: Readonly<Record<ContenderId, HerdResult | NotApplicable>>
  readonly cold: Readonly<Record<ContenderId, ColdResult | NotApplicable>>
  readonly memory: Readonly<Record<ContenderId, MemoryResult | NotApplicable>>
  /** Absent in results written before the scenario existed. */
  readonly protectedApi?: Readonly<Partial<Record<ContenderId, ProtectedApiResult | NotApplicable>>>
  readonly bars: readonly Bar[]
}

/**
 * `true` when a scenario result says the contender did not take part.
 *
 * @example
 * ```ts
 * if (!isNotApplicable(r)) use(r.points)
 * ```
 */
export function isNotApplicable(value: unknown): value is NotApplicable {
  return typeof value === 'object' && value !== null && 'notApplicable' in value
}

/**
 * `true` for a size that was skipped.
 *
 * @example
 * ```ts
 * points.filter((p) => !isSkipped(p))
 * ```
 */
export function isSkipped(value: HitPoint | MemoryPoint | Skipped): value is Skipped {
  return 'skipped' in value
}
