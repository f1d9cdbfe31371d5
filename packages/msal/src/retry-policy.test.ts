import { describe, expect, it } from 'vitest'
import { backoffMs, defaultRetryPolicy, isRetryableStatus, parseRetryAfterMs } from './retry-policy.ts'

describe('retry policy', () => {
  it('retries 429 and 5xx only', () => {
    expect([429, 500, 502, 503, 504].every(isRetryableStatus)).toBe(true)
    expect([200, 400, 401, 403, 404].some(isRetryableStatus)).toBe(false)
  })

  it('reads Retry-After as seconds or an HTTP date', () => {
    const now = Date.UTC(2026, 0, 1)
    expect(parseRetryAfterMs('7', now)).toBe(7000)
    expect(parseRetryAfterMs(new Date(now + 3000).toUTCString(), now)).toBe(3000)
    expect(parseRetryAfterMs('soon', now)).toBeUndefined()
    expect(parseRetryAfterMs(undefined, now)).toBeUndefined()
  })

  it('honours Retry-After as given, else backs off with capped full jitter', () => {
    expect(backoffMs(defaultRetryPolicy, 1, 60_000)).toBe(60_000)
    for (let attempt = 1; attempt <= 10; attempt += 1) {
      const wait = backoffMs(defaultRetryPolicy, attempt, undefined)
      expect(wait).toBeGreaterThanOrEqual(0)
      expect(wait).toBeLessThanOrEqual(Math.min(defaultRetryPolicy.maxDelayMs, defaultRetryPolicy.baseDelayMs * 2 ** (attempt - 1)))
    }
  })
})
