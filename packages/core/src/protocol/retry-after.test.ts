import { describe, expect, it } from 'vitest'
import { clampRetryAfterMs, maxRetryAfterMs, parseRetryAfterMs } from './retry-after.ts'

describe('parseRetryAfterMs', () => {
  const now = Date.UTC(2026, 0, 1)

  it('reads delta seconds', () => {
    expect(parseRetryAfterMs('7', now)).toBe(7000)
    expect(parseRetryAfterMs(' 0 ', now)).toBe(0)
  })

  it('reads an HTTP date relative to now, never negative', () => {
    expect(parseRetryAfterMs(new Date(now + 3000).toUTCString(), now)).toBe(3000)
    expect(parseRetryAfterMs(new Date(now - 3000).toUTCString(), now)).toBe(0)
  })

  it('caps delta seconds at 1 hour, however many digits', () => {
    expect(maxRetryAfterMs).toBe(3_600_000)
    expect(parseRetryAfterMs('3600', now)).toBe(3_600_000)
    expect(parseRetryAfterMs('3601', now)).toBe(3_600_000)
    expect(parseRetryAfterMs('9'.repeat(400), now)).toBe(3_600_000)
  })

  it('caps an HTTP date at 1 hour, year 9999 included', () => {
    expect(parseRetryAfterMs(new Date(now + 7_200_000).toUTCString(), now)).toBe(3_600_000)
    expect(parseRetryAfterMs('Fri, 31 Dec 9999 23:59:59 GMT', now)).toBe(3_600_000)
  })

  it('clamps any retryAfterMs to [0, 1 hour]; NaN means "use the default"', () => {
    expect(clampRetryAfterMs(Number.POSITIVE_INFINITY)).toBe(3_600_000)
    expect(clampRetryAfterMs(-5)).toBe(0)
    expect(clampRetryAfterMs(1234)).toBe(1234)
    expect(clampRetryAfterMs(Number.NaN)).toBeUndefined()
    expect(clampRetryAfterMs(undefined)).toBeUndefined()
  })

  it('is undefined when absent or unreadable', () => {
    expect(parseRetryAfterMs(null, now)).toBeUndefined()
    expect(parseRetryAfterMs(undefined, now)).toBeUndefined()
    expect(parseRetryAfterMs('soon', now)).toBeUndefined()
  })

  it('counts from the current time by default', () => {
    const ms = parseRetryAfterMs(new Date(Date.now() + 60_000).toUTCString())
    expect(ms).toBeGreaterThan(55_000)
    expect(ms).toBeLessThanOrEqual(60_000)
  })
})
