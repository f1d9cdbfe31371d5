/**
 * Runs Redis commands under the failure policy: a deadline per command, a bound on commands waiting at once,
 * and a circuit breaker. A command's outcome is a value, never a rejection, so a dead Redis is a miss.
 *
 * @module
 */
import { createCircuitBreaker } from './circuit-breaker.ts'
import type { CircuitState } from './circuit-breaker.ts'

/** Why a Redis command did not complete. */
export type RedisFailureReason =
  /** No answer within `timeoutMs`. */
  | 'timeout'
  /** The client rejected the command (disconnected with the offline queue off, a Redis error, …). */
  | 'error'
  /** The circuit is open: Redis was not asked. */
  | 'circuit-open'
  /** `maxPendingCommands` commands are already waiting on Redis: it was not asked. */
  | 'overloaded'
  /** Encryption failed. */
  | 'encrypt-failed'

/** The outcome of one command. */
export type CommandOutcome<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly reason: RedisFailureReason; readonly error?: unknown }

/** Options for {@link createCommandRunner}. */
export interface CommandRunnerOptions {
  readonly timeoutMs: number
  readonly failureThreshold: number
  readonly cooldownMs: number
  readonly maxPendingCommands: number
  readonly now: () => number
  /** Called when the circuit changes state. */
  readonly onCircuit: (state: CircuitState) => void
}

/** Runs commands; counts what the cache reports in its stats. */
export interface CommandRunner {
  /** Runs one command under the breaker, the pending bound and the deadline. Never rejects. */
  run<T>(send: () => Promise<T>): Promise<CommandOutcome<T>>
  readonly circuit: CircuitState
  /** Commands sent that have not settled yet (timed-out ones included until the client settles them). */
  readonly pendingCommands: number
  readonly timeouts: number
  /** Commands not sent because the circuit was open or too many were pending. */
  readonly skipped: number
  readonly circuitOpens: number
}

/**
 * Creates a command runner.
 *
 * @example
 * ```ts
 * const runner = createCommandRunner({ timeoutMs: 100, failureThreshold: 5, cooldownMs: 5_000,
 *   maxPendingCommands: 1_000, now: Date.now, onCircuit: () => {} })
 * const outcome = await runner.run(() => commands.get(name)) // { ok: true, value } or { ok: false, reason }
 * ```
 */
export function createCommandRunner(options: CommandRunnerOptions): CommandRunner {
  const { timeoutMs, maxPendingCommands } = options
  let pendingCommands = 0
  let timeouts = 0
  let skipped = 0
  let circuitOpens = 0
  const breaker = createCircuitBreaker({
    failureThreshold: options.failureThreshold,
    cooldownMs: options.cooldownMs,
    now: options.now,
    onChange(state) {
      if (state === 'open') circuitOpens++
      options.onCircuit(state)
    },
  })

  function run<T>(send: () => Promise<T>): Promise<CommandOutcome<T>> {
    if (pendingCommands >= maxPendingCommands) {
      skipped++
      return Promise.resolve({ ok: false, reason: 'overloaded' })
    }
    if (!breaker.allow()) {
      skipped++
      return Promise.resolve({ ok: false, reason: 'circuit-open' })
    }
    let command: Promise<T>
    try {
      command = send()
    } catch (error) {
      breaker.failure()
      return Promise.resolve({ ok: false, reason: 'error', error })
    }
    pendingCommands++
    return new Promise<CommandOutcome<T>>((resolve) => {
      let settled = false
      const timer = setTimeout(() => {
        settled = true
        timeouts++
        breaker.failure()
        resolve({ ok: false, reason: 'timeout' })
      }, timeoutMs)
      // A deadline must never keep the process alive on its own.
      if (typeof timer === 'object' && typeof timer.unref === 'function') timer.unref()
      command.then(
        (value) => {
          pendingCommands--
          if (settled) return
          clearTimeout(timer)
          breaker.success()
          resolve({ ok: true, value })
        },
        (error: unknown) => {
          pendingCommands--
          if (settled) return
          clearTimeout(timer)
          breaker.failure()
          resolve({ ok: false, reason: 'error', error })
        },
      )
    })
  }

  return {
    run,
    get circuit() {
      return breaker.state
    },
    get pendingCommands() {
      return pendingCommands
    },
    get timeouts() {
      return timeouts
    },
    get skipped() {
      return skipped
    },
    get circuitOpens() {
      return circuitOpens
    },
  }
}
