/**
 * What a comparison run measures and how hard: the full run behind `pnpm bench:compare`, and a tiny one for
 * the harness's own test.
 *
 * @module
 */
import type { ContenderId, ScenarioId } from './results.ts'

/** The knobs of a run. */
export interface ComparisonSettings {
  /** Scenario 1: numbers of cached users, ascending. */
  readonly sizes: readonly number[]
  /** Scenario 1: at most this many users are real (minted by and exchanged with the emulator). */
  readonly realUsers: number
  /** Scenario 1: skip a size when one lookup projects (linearly from the previous size) above this (ms). */
  readonly hitCapMs: number
  /** Scenario 1: measuring time per size (ms). */
  readonly hitBudgetMs: number
  readonly hitMaxSamples: number
  readonly hitMinSamples: number
  readonly hitWarmupMs: number
  /** Scenario 2: calls for the returning user. */
  readonly perRequestCalls: number
  /** Scenario 3: concurrent cold calls for one user. */
  readonly herdConcurrency: number
  /** Scenario 4: fresh processes per contender. */
  readonly coldRuns: number
  /** Scenario 5: numbers of cached users. */
  readonly memorySizes: readonly number[]
  /** Scenario 5: msal-node is measured up to this many users (see the report for why). */
  readonly msalMemoryMaxUsers: number
  /** Users per pre-fill call. */
  readonly prefillBatch: number
  /** Scenario 6: distinct callers of the protected API (real emulator users). */
  readonly protectedApiUsers: number
  /** Scenario 6: measuring time per contender (ms); samples bounded as in scenario 1. */
  readonly protectedApiBudgetMs: number
  /** `maxEntries` of onbehalf's memory cache (above the largest size, so nothing is evicted). */
  readonly maxEntries: number
  /** The size of the "vs msal-node" bar. */
  readonly barUsers: number
  /** Emulators (and scenario processes) running side by side; 1 for figures, more only for the smoke test. */
  readonly lanes: number
  readonly childTimeoutMs: number
  readonly contenders: readonly ContenderId[]
  readonly scenarios: readonly ScenarioId[]
}

/**
 * The full run (designed to finish in under 10 minutes on 2 cores).
 *
 * @example
 * ```ts
 * await runComparison(fullSettings)
 * ```
 */
export const fullSettings: ComparisonSettings = {
  sizes: [1, 100, 1_000, 4_000, 10_000, 100_000],
  realUsers: 1_000,
  hitCapMs: 250,
  hitBudgetMs: 2_000,
  hitMaxSamples: 20_000,
  hitMinSamples: 15,
  hitWarmupMs: 1_000,
  perRequestCalls: 1_000,
  herdConcurrency: 1_000,
  coldRuns: 3,
  memorySizes: [10_000, 100_000],
  msalMemoryMaxUsers: 10_000,
  prefillBatch: 5_000,
  protectedApiUsers: 1_000,
  protectedApiBudgetMs: 3_000,
  maxEntries: 250_000,
  barUsers: 4_000,
  lanes: 1,
  childTimeoutMs: 900_000,
  contenders: ['ours-jose', 'ours-msal', 'msal-node', 'azure-identity'],
  scenarios: ['cold', 'per-request', 'herd', 'cache-hits', 'memory', 'protected-api'],
}

/**
 * A tiny run that proves the harness end to end in seconds (figures are meaningless).
 *
 * @example
 * ```ts
 * await runComparison(quickSettings)
 * ```
 */
export const quickSettings: ComparisonSettings = {
  ...fullSettings,
  sizes: [1, 10],
  realUsers: 5,
  hitBudgetMs: 50,
  hitMaxSamples: 200,
  hitMinSamples: 5,
  hitWarmupMs: 20,
  perRequestCalls: 100,
  herdConcurrency: 50,
  coldRuns: 1,
  memorySizes: [50, 200],
  msalMemoryMaxUsers: 50,
  prefillBatch: 100,
  protectedApiUsers: 5,
  protectedApiBudgetMs: 50,
  maxEntries: 1_000,
  barUsers: 10,
  lanes: 3,
  childTimeoutMs: 60_000,
}
