import { describe, expect, it } from 'vitest'
import { createFaultInjector } from './faults.ts'

describe('createFaultInjector', () => {
  it('fires a counted fault exactly `times` times', () => {
    const faults = createFaultInjector({ random: () => 0 })
    const f = faults.inject({ kind: 'drop', times: 2 })
    const picks = [1, 2, 3].map(() => faults.select({ endpoint: 'token' }).answer?.kind)
    expect(picks).toEqual(['drop', 'drop', undefined])
    expect(f.fired).toBe(2)
  })

  it('sums latencies and keeps the first answering fault', () => {
    const faults = createFaultInjector({ random: () => 0 })
    faults.inject({ kind: 'latency', latencyMs: 10 })
    faults.inject({ kind: 'throttle', times: 1 })
    faults.inject({ kind: 'latency', latencyMs: 5 })
    const second = faults.inject({ kind: 'server-error' })
    const picked = faults.select({ endpoint: 'token' })
    expect(picked.latencyMs).toBe(15)
    expect(picked.answer?.kind).toBe('throttle')
    expect(second.fired).toBe(0) // not consumed when an earlier fault answered
    expect(faults.select({ endpoint: 'token' }).answer?.kind).toBe('server-error')
  })

  it('defaults to the token endpoint and honours match fields', () => {
    const faults = createFaultInjector({ random: () => 0 })
    faults.inject({ kind: 'drop' })
    expect(faults.select({ endpoint: 'jwks' }).answer).toBeUndefined()
    faults.clear()
    faults.inject({ kind: 'drop', match: { tenant: 'T', clientId: 'ABC' } })
    expect(faults.select({ endpoint: 'token', tenant: 't', clientId: 'abc' }).answer?.kind).toBe('drop')
    expect(faults.select({ endpoint: 'token', tenant: 'x', clientId: 'abc' }).answer).toBeUndefined()
  })

  it('validates its input', () => {
    const faults = createFaultInjector({ random: Math.random })
    expect(() => faults.inject({ kind: 'drop', times: -1 })).toThrow(TypeError)
    expect(() => faults.inject({ kind: 'drop', probability: 1.5 })).toThrow(TypeError)
    expect(() => faults.inject({ kind: 'latency', latencyMs: -1 })).toThrow(TypeError)
  })
})
