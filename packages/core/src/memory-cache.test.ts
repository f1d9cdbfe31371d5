import { describe, expect, it } from 'vitest'
import {
  createMemoryTokenCache,
  defaultCacheMaxBytes,
  estimateEntryBytes,
  getDefaultTokenCache,
} from './memory-cache.ts'

const token = (id: string, expiresAt = Number.MAX_SAFE_INTEGER) => ({ accessToken: id, tokenType: 'Bearer', expiresAt })

describe('createMemoryTokenCache', () => {
  it('bounds the bytes held as well as the entries, evicting the least recently used', () => {
    const big = (id: string) => ({ ...token(id), accessToken: id.repeat(1_000) })
    const entryBytes = estimateEntryBytes('a', big('a'))
    expect(entryBytes).toBe(400 + 1 + 1_000 + 'Bearer'.length)
    const cache = createMemoryTokenCache({ maxEntries: 100, maxBytes: entryBytes * 2 })
    cache.set('a', big('a'), 60_000)
    cache.set('b', big('b'), 60_000)
    expect(cache.bytes).toBe(entryBytes * 2)
    cache.set('c', big('c'), 60_000)
    expect(cache.size).toBe(2)
    expect(cache.bytes).toBe(entryBytes * 2)
    expect(cache.get('a')).toBeUndefined()
    // Replacing, deleting and clearing keep the count exact.
    cache.set('c', big('c'), 60_000)
    expect(cache.bytes).toBe(entryBytes * 2)
    cache.delete('b')
    expect(cache.bytes).toBe(entryBytes)
    cache.clear()
    expect(cache.bytes).toBe(0)
    // An entry larger than the whole budget is not kept.
    cache.set('huge', { ...token('h'), accessToken: 'h'.repeat(entryBytes * 3) }, 60_000)
    expect(cache.size).toBe(0)
    expect(cache.bytes).toBe(0)
  })

  it('counts an expired entry out when it is dropped, and refuses a bad maxBytes', () => {
    let time = 0
    const cache = createMemoryTokenCache({ now: () => time })
    expect(cache.maxBytes).toBe(defaultCacheMaxBytes)
    cache.set('a', token('a'), 1_000)
    time = 1_000
    expect(cache.get('a')).toBeUndefined()
    expect(cache.bytes).toBe(0)
    for (const maxBytes of [0, -1, 1.5, Number.NaN, Infinity]) {
      expect(() => createMemoryTokenCache({ maxBytes }), String(maxBytes)).toThrow(/maxBytes/)
    }
  })

  it('evicts the least recently used entry beyond maxEntries', () => {
    const cache = createMemoryTokenCache({ maxEntries: 3 })
    cache.set('a', token('a'), 60_000)
    cache.set('b', token('b'), 60_000)
    cache.set('c', token('c'), 60_000)
    expect(cache.get('a')?.accessToken).toBe('a') // a is now the most recent
    cache.set('d', token('d'), 60_000)
    expect(cache.size).toBe(3)
    expect(cache.get('b')).toBeUndefined()
    expect(cache.get('a')?.accessToken).toBe('a')
    expect(cache.get('d')?.accessToken).toBe('d')
  })

  it('drops entries when their TTL passes, and prefers evicting expired ones', () => {
    let time = 0
    const cache = createMemoryTokenCache({ maxEntries: 2, now: () => time })
    cache.set('short', token('short'), 1_000)
    cache.set('long', token('long'), 10_000)
    time = 1_000
    expect(cache.get('short')).toBeUndefined()
    expect(cache.size).toBe(1)
    cache.set('x', token('x'), 500)
    cache.set('y', token('y'), 10_000) // over the bound: evicts the oldest
    expect(cache.size).toBe(2)
    time = 2_000
    cache.set('z', token('z'), 10_000) // x has expired: it goes before the live 'y'
    expect(cache.get('y')?.accessToken).toBe('y')
    expect(cache.get('z')?.accessToken).toBe('z')
  })

  it('ignores non-positive TTLs and supports delete and clear', () => {
    const cache = createMemoryTokenCache()
    cache.set('a', token('a'), 0)
    expect(cache.get('a')).toBeUndefined()
    cache.set('b', token('b'), 1000)
    cache.delete('b')
    expect(cache.get('b')).toBeUndefined()
    cache.set('c', token('c'), 1000)
    cache.clear()
    expect(cache.size).toBe(0)
  })

  it('stays bounded under many writes', () => {
    const cache = createMemoryTokenCache({ maxEntries: 1000 })
    for (let i = 0; i < 20_000; i++) cache.set(`k${i}`, token(`t${i}`), 60_000)
    expect(cache.size).toBe(1000)
    expect(cache.get('k19999')?.accessToken).toBe('t19999')
    expect(cache.get('k0')).toBeUndefined()
  })

  it('refuses a bad bound and shares one default instance', () => {
    expect(() => createMemoryTokenCache({ maxEntries: 0 })).toThrow(TypeError)
    expect(getDefaultTokenCache()).toBe(getDefaultTokenCache())
    expect(getDefaultTokenCache().maxEntries).toBe(50_000)
  })
})
