/**
 * A consecutive-failure circuit breaker. It owns no timer: the cool-down is checked when the next command
 * asks, so an idle process costs nothing and nothing keeps the event loop alive.
 *
 * @module
 */

/** `closed`: commands go to Redis. `open`: they are skipped. `half-open`: one probe is in flight. */
export type CircuitState = 'closed' | 'open' | 'half-open'

/** Options for {@link createCircuitBreaker}. */
export interface CircuitBreakerOptions {
  /** Consecutive failures that open the circuit. */
  readonly failureThreshold: number
  /** How long the circuit stays open before one probe is let through. */
  readonly cooldownMs: number
  readonly now: () => number
  /** Called on every state change. */
  readonly onChange?: (state: CircuitState) => void
}

/** The breaker's interface: ask before each command, report its outcome after. */
export interface CircuitBreaker {
  readonly state: CircuitState
  /** Whether a command may go to Redis now. In `half-open`, only the first asker (the probe) gets `true`. */
  allow(): boolean
  success(): void
  failure(): void
}

/**
 * Creates a circuit breaker.
 *
 * @example
 * ```ts
 * const breaker = createCircuitBreaker({ failureThreshold: 5, cooldownMs: 5_000, now: Date.now })
 * if (breaker.allow()) run().then(() => breaker.success(), () => breaker.failure())
 * ```
 */
export function createCircuitBreaker(options: CircuitBreakerOptions): CircuitBreaker {
  const { failureThreshold, cooldownMs, now, onChange } = options
  let state: CircuitState = 'closed'
  let failures = 0
  let openedAt = 0

  function move(next: CircuitState): void {
    if (state === next) return
    state = next
    onChange?.(next)
  }

  return {
    get state() {
      return state
    },
    allow() {
      if (state === 'closed') return true
      if (state === 'open' && now() - openedAt >= cooldownMs) {
        move('half-open')
        return true
      }
      return false
    },
    success() {
      failures = 0
      move('closed')
    },
    failure() {
      failures++
      if (state === 'half-open' || (state === 'closed' && failures >= failureThreshold)) {
        openedAt = now()
        move('open')
      }
    },
  }
}
