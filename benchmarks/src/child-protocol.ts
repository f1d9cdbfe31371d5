/**
 * The protocol between the parent (which runs the emulator) and one scenario process: the child's spec comes
 * in an environment variable, questions and the result travel over the IPC channel.
 *
 * @module
 */
import type { ContenderId, RequestCounts, ScenarioId } from './results.ts'

/** How to reach the emulator and the middle-tier app it registered. Holds the app's (emulated) secret. */
export interface EmulatorAccess {
  /** `https://127.0.0.1:<port>` */
  readonly authorityHost: string
  /** `127.0.0.1:<port>`, for msal-node's `knownAuthorities`. */
  readonly host: string
  readonly tenantId: string
  readonly clientId: string
  readonly clientSecret: string
  /** The downstream scope every contender asks for. */
  readonly scope: string
  /** The issuer (`iss`) of the tenant's v2.0 access tokens, which the user assertions are. */
  readonly issuer: string
  /** The tenant's JWKS URL (signing keys of those tokens). */
  readonly jwksUri: string
}

/** Everything a scenario process needs. */
export interface ChildSpec {
  readonly scenario: ScenarioId
  readonly contender: ContenderId
  readonly emulator: EmulatorAccess
  readonly params: Readonly<Record<string, number | readonly number[]>>
}

/** The environment variable that carries the {@link ChildSpec} as JSON. */
export const childSpecVariable = 'ONBEHALF_BENCH_CHILD'

/** A question from a child. */
export type ChildQuestion =
  /** The first `count` user assertions of the shared pool (real users of the emulator). */
  | { readonly id: number; readonly type: 'users'; readonly count: number }
  /** The emulator's request counters now. */
  | { readonly id: number; readonly type: 'counts' }

/** The parent's answer to a {@link ChildQuestion}. */
export interface ParentAnswer {
  readonly id: number
  readonly users?: readonly string[]
  readonly counts?: RequestCounts
  readonly error?: string
}

/** The child's last message. */
export type ChildOutcome =
  { readonly type: 'result'; readonly result: unknown } | { readonly type: 'failed'; readonly message: string }

/**
 * The difference between two counter snapshots.
 *
 * @example
 * ```ts
 * const used = countsBetween(before, after) // { total, token, byEndpoint }
 * ```
 */
export function countsBetween(before: RequestCounts, after: RequestCounts): RequestCounts {
  const byEndpoint: Record<string, number> = {}
  for (const [kind, n] of Object.entries(after.byEndpoint)) {
    const d = n - (before.byEndpoint[kind] ?? 0)
    if (d !== 0) byEndpoint[kind] = d
  }
  return { total: after.total - before.total, token: after.token - before.token, byEndpoint }
}
