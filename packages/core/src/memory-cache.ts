/**
 * A bounded in-memory LRU for tokens. Every operation is O(1) and synchronous, so a hit costs no await; expired
 * entries are dropped when read and evicted first by recency when the bound is reached.
 *
 * @module
 */
import type { CachedToken, TokenCache } from './cache.ts'

/** Options for {@link createMemoryTokenCache}. */
export interface MemoryTokenCacheOptions {
  /** The most entries held; the least recently used goes first. Default 10,000. */
  readonly maxEntries?: number
  /** The clock, for tests. Default `Date.now`. */
  readonly now?: () => number
}

/** A {@link TokenCache} whose operations answer synchronously. */
export interface MemoryTokenCache extends TokenCache {
  get(key: string): CachedToken | undefined
  set(key: string, value: CachedToken, ttlMs: number): void
  delete(key: string): void
  /** How many entries are held (expired ones included until read or evicted). */
  readonly size: number
  readonly maxEntries: number
  clear(): void
  /** A snapshot of the cache's counters (the `stats()` convention every package follows). */
  stats(): MemoryTokenCacheStats
}

/** What {@link MemoryTokenCache.stats} reports. */
export interface MemoryTokenCacheStats {
  /** Entries held now (expired ones included until read or evicted). */
  readonly size: number
  readonly maxEntries: number
}

interface Slot {
  readonly value: CachedToken
  readonly staleAt: number
  /** The insertion sequence when this slot was last placed at the recent end. */
  seq: number
}

/**
 * Creates a bounded LRU token cache.
 *
 * @example
 * ```ts
 * const cache = createMemoryTokenCache({ maxEntries: 50_000 })
 * const provider = createTokenProvider({ engine, cache })
 * ```
 */
export function createMemoryTokenCache(options: MemoryTokenCacheOptions = {}): MemoryTokenCache {
  const maxEntries = options.maxEntries ?? 10_000
  if (!Number.isInteger(maxEntries) || maxEntries < 1) {
    throw new TypeError('maxEntries must be a positive integer.')
  }
  const now = options.now ?? Date.now
  // A Map iterates in insertion order: re-inserting on a hit keeps the least recently used first. A hit on a
  // slot in the recent half is not moved (it cannot be evicted before maxEntries / 2 more inserts), which
  // saves most reorderings on hot keys while keeping eviction close to LRU.
  const slots = new Map<string, Slot>()
  const promoteDistance = Math.max(1, maxEntries >>> 1)
  let seq = 0

  return {
    maxEntries,
    get size() {
      return slots.size
    },
    get(key) {
      const slot = slots.get(key)
      if (slot === undefined) return undefined
      if (slot.staleAt <= now()) {
        slots.delete(key)
        return undefined
      }
      if (seq - slot.seq > promoteDistance) {
        slots.delete(key)
        slot.seq = ++seq
        slots.set(key, slot)
      }
      return slot.value
    },
    set(key, value, ttlMs) {
      slots.delete(key)
      if (!(ttlMs > 0)) return
      slots.set(key, { value, staleAt: now() + ttlMs, seq: ++seq })
      if (slots.size > maxEntries) evict()
    },
    delete(key) {
      slots.delete(key)
    },
    stats() {
      return { size: slots.size, maxEntries }
    },
    clear() {
      slots.clear()
    },
  }

  function evict(): void {
    const time = now()
    let expired = 0
    // Prefer dropping expired entries near the old end before evicting live ones.
    for (const [key, slot] of slots) {
      if (slots.size <= maxEntries || expired > 32) break
      if (slot.staleAt <= time) {
        slots.delete(key)
        expired++
      }
    }
    for (const key of slots.keys()) {
      if (slots.size <= maxEntries) break
      slots.delete(key)
    }
  }
}

let shared: MemoryTokenCache | undefined

/**
 * The process-wide default cache that every credential shares unless given its own: bounded to 50,000 entries.
 *
 * @example
 * ```ts
 * const provider = createTokenProvider({ engine, cache: getDefaultTokenCache() })
 * ```
 */
export function getDefaultTokenCache(): MemoryTokenCache {
  shared ??= createMemoryTokenCache({ maxEntries: 50_000 })
  return shared
}
