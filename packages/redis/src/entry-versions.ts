/**
 * The rollback guard: the newest write version of each entry this instance has written or accepted. Every
 * stored value carries its version inside its authenticated data, so a reader can tell an older ciphertext of
 * the same entry (say, the token from before a claims step-up, replayed into Redis) from the current one and
 * refuse it. Bounded: the oldest-touched entries are forgotten first.
 *
 * @module
 */

/** Versions per cache key. */
export interface EntryVersions {
  /** The version for a new write of `key`: after every version seen here, and never behind the clock. */
  next(key: string): number
  /** Records a version written or accepted (never lowers what is recorded). */
  saw(key: string, version: number): void
  /** Whether `version` is older than one already seen for `key`. */
  isRollback(key: string, version: number): boolean
  readonly size: number
}

/**
 * Creates the version record.
 *
 * @example
 * ```ts
 * const versions = createEntryVersions(10_000, Date.now)
 * const version = versions.next(key) // write with it, then versions.saw(key, version)
 * if (versions.isRollback(key, decoded.version)) return miss('rolled-back')
 * ```
 */
export function createEntryVersions(maxEntries: number, now: () => number): EntryVersions {
  const seen = new Map<string, number>()
  return {
    next(key) {
      const last = seen.get(key)
      return Math.max(Math.floor(now()), last === undefined ? 0 : last + 1)
    },
    saw(key, version) {
      const last = seen.get(key)
      if (last !== undefined && last >= version) return
      // Re-inserting keeps Map order = least recently advanced first.
      seen.delete(key)
      seen.set(key, version)
      if (seen.size > maxEntries) seen.delete(seen.keys().next().value as string)
    },
    isRollback(key, version) {
      const last = seen.get(key)
      return last !== undefined && version < last
    },
    get size() {
      return seen.size
    },
  }
}
