/**
 * A bounded in-memory LRU for tokens. Every operation is O(1) and synchronous, so a hit costs no await; expired
 * entries are dropped when read and evicted first by recency when a bound (entries or bytes) is reached.
 *
 * @module
 */
import type { CachedToken, TokenCache } from './cache.ts'

/** Options for {@link createMemoryTokenCache}. */
export interface MemoryTokenCacheOptions {
  /** The most entries held; the least recently used goes first. Default 10,000. */
  readonly maxEntries?: number
  /**
   * The most bytes held, as estimated by {@link estimateEntryBytes} (the strings' lengths plus a fixed
   * per-entry overhead); the least recently used go first. Tokens are 1.5–3 KB, so entries alone do not bound
   * memory. Default 64 MiB ({@link defaultCacheMaxBytes}).
   */
  readonly maxBytes?: number
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
  /** The estimated bytes held (see {@link estimateEntryBytes}). */
  readonly bytes: number
  readonly maxBytes: number
  clear(): void
  /** A snapshot of the cache's counters (the `stats()` convention every package follows). */
  stats(): MemoryTokenCacheStats
}

/** What {@link MemoryTokenCache.stats} reports. */
export interface MemoryTokenCacheStats {
  /** Entries held now (expired ones included until read or evicted). */
  readonly size: number
  readonly maxEntries: number
  /** The estimated bytes held (see {@link estimateEntryBytes}). */
  readonly bytes: number
  readonly maxBytes: number
}

/** How many of the oldest entries an eviction looks at for expired ones before evicting live ones. */
const evictionWindow = 32

/** Bytes counted per entry beyond its strings' characters (see {@link estimateEntryBytes}). */
const entryOverheadBytes = 400

interface Slot {
  readonly value: CachedToken
  readonly staleAt: number
  readonly bytes: number
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
  const maxBytes = options.maxBytes ?? defaultCacheMaxBytes
  if (!Number.isSafeInteger(maxBytes) || maxBytes < 1) {
    throw new TypeError('maxBytes must be a positive integer (bytes), e.g. 64 * 1024 * 1024.')
  }
  const now = options.now ?? Date.now
  // A Map iterates in insertion order: re-inserting on a hit keeps the least recently used first. A hit on a
  // slot in the recent half is not moved (it cannot be evicted before maxEntries / 2 more inserts), which
  // saves most reorderings on hot keys while keeping eviction close to LRU.
  const slots = new Map<string, Slot>()
  const promoteDistance = Math.max(1, maxEntries >>> 1)
  let seq = 0
  let bytes = 0

  function drop(key: string, slot: Slot): void {
    slots.delete(key)
    bytes -= slot.bytes
  }

  return {
    maxEntries,
    maxBytes,
    get size() {
      return slots.size
    },
    get bytes() {
      return bytes
    },
    get(key) {
      const slot = slots.get(key)
      if (slot === undefined) return undefined
      if (slot.staleAt <= now()) {
        drop(key, slot)
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
      const previous = slots.get(key)
      if (previous !== undefined) drop(key, previous)
      if (!(ttlMs > 0)) return
      const entryBytes = estimateEntryBytes(key, value)
      // An entry larger than the whole budget is not kept (it would evict everything else and then itself).
      if (entryBytes > maxBytes) return
      slots.set(key, { value, staleAt: now() + ttlMs, bytes: entryBytes, seq: ++seq })
      bytes += entryBytes
      if (slots.size > maxEntries || bytes > maxBytes) evict()
    },
    delete(key) {
      const slot = slots.get(key)
      if (slot !== undefined) drop(key, slot)
    },
    stats() {
      return { size: slots.size, maxEntries, bytes, maxBytes }
    },
    clear() {
      slots.clear()
      bytes = 0
    },
  }

  function over(): boolean {
    return slots.size > maxEntries || bytes > maxBytes
  }

  function evict(): void {
    const time = now()
    let looked = 0
    // Prefer dropping expired entries near the old end before evicting live ones; look at a bounded window
    // only, so an eviction stays O(1) when nothing there has expired.
    for (const [key, slot] of slots) {
      if (!over() || ++looked > evictionWindow) break
      if (slot.staleAt <= time) drop(key, slot)
    }
    for (const [key, slot] of slots) {
      if (!over()) break
      drop(key, slot)
    }
  }
}

/** The default byte budget of a memory cache: 64 MiB, about 20,000 tokens of 3 KB with their refresh tokens. */
export const defaultCacheMaxBytes = 64 * 1024 * 1024

/**
 * What one entry is counted as against `maxBytes`: the characters of its key and strings (tokens are ASCII:
 * one byte each in V8) plus a fixed 400 bytes for the Map slot, the entry objects and the string headers
 * (measured with `--expose-gc`: see `test/memory-budget.test.ts`).
 *
 * @example
 * ```ts
 * estimateEntryBytes(key, token) // e.g. 2,043 for a 1,600-character access token
 * ```
 */
export function estimateEntryBytes(key: string, value: CachedToken): number {
  return (
    entryOverheadBytes +
    key.length +
    value.accessToken.length +
    value.tokenType.length +
    (value.refreshToken === undefined ? 0 : value.refreshToken.length)
  )
}

let shared: MemoryTokenCache | undefined

/**
 * The process-wide default cache that every credential shares unless given its own: bounded to 50,000 entries
 * and {@link defaultCacheMaxBytes} (64 MiB), whichever is reached first.
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
