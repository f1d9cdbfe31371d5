import { describe, expect, it } from 'vitest'
import { createCircuitBreaker } from './circuit-breaker.ts'
import type { CircuitState } from './circuit-breaker.ts'

function setup(): {
  clock: { time: number }
  changes: CircuitState[]
  breaker: ReturnType<typeof createCircuitBreaker>
} {
  const clock = { time: 1_000 }
  const changes: CircuitState[] = []
  const breaker = createCircuitBreaker({
    failureThreshold: 3,
    cooldownMs: 500,
    now: () => clock.time,
    onChange: (state) => changes.push(state),
  })
  return { clock, changes, breaker }
}

describe('createCircuitBreaker', () => {
  it('opens after N consecutive failures, and a success resets the count', () => {
    const { breaker, changes } = setup()
    breaker.failure()
    breaker.failure()
    breaker.success()
    breaker.failure()
    breaker.failure()
    expect(breaker.state).toBe('closed')
    expect(breaker.allow()).toBe(true)
    breaker.failure()
    expect(breaker.state).toBe('open')
    expect(breaker.allow()).toBe(false)
    expect(changes).toEqual(['open'])
  })

  it('lets exactly one probe through after the cool-down; success closes it', () => {
    const { breaker, clock, changes } = setup()
    for (let i = 0; i < 3; i++) breaker.failure()
    clock.time += 499
    expect(breaker.allow()).toBe(false)
    clock.time += 1
    expect(breaker.allow()).toBe(true)
    expect(breaker.state).toBe('half-open')
    expect(breaker.allow()).toBe(false)
    breaker.success()
    expect(breaker.state).toBe('closed')
    expect(breaker.allow()).toBe(true)
    expect(changes).toEqual(['open', 'half-open', 'closed'])
  })

  it('a failed probe opens it again for a full cool-down', () => {
    const { breaker, clock } = setup()
    for (let i = 0; i < 3; i++) breaker.failure()
    clock.time += 500
    expect(breaker.allow()).toBe(true)
    breaker.failure()
    expect(breaker.state).toBe('open')
    clock.time += 499
    expect(breaker.allow()).toBe(false)
    clock.time += 1
    expect(breaker.allow()).toBe(true)
  })
})
