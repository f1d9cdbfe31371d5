import { describe, expect, it } from 'vitest'
import { DEFAULT_TOKEN_LIFETIMES, refreshInFor } from './token-lifetimes.ts'

describe('refreshInFor', () => {
  it("'auto' sends half the lifetime from 2 hours up, as Entra does", () => {
    expect(refreshInFor(DEFAULT_TOKEN_LIFETIMES, 3600)).toBeUndefined()
    expect(refreshInFor(DEFAULT_TOKEN_LIFETIMES, 7200)).toBe(3600)
    expect(refreshInFor(DEFAULT_TOKEN_LIFETIMES, 86_400)).toBe(43_200)
  })

  it('a number is capped at the lifetime; off sends nothing', () => {
    expect(refreshInFor({ ...DEFAULT_TOKEN_LIFETIMES, refreshIn: 60 }, 3600)).toBe(60)
    expect(refreshInFor({ ...DEFAULT_TOKEN_LIFETIMES, refreshIn: 6000 }, 3600)).toBe(3600)
    expect(refreshInFor({ ...DEFAULT_TOKEN_LIFETIMES, refreshIn: 'off' }, 86_400)).toBeUndefined()
  })
})
