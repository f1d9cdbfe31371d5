import { describe, expect, it } from 'vitest'
import { parseRetryAfterMs } from './retry-after.ts'

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
