/**
 * Tokens already verified, remembered until their expiry, so a returning caller costs a SHA-256 and a map
 * lookup instead of an RSA verify. Keyed by the token's hash (never the token), bounded: when full, the
 * oldest entry goes first.
 *
 * @module
 */

/** One remembered verification. */
export interface VerifiedEntry<T> {
  readonly value: T
  /** Epoch ms after which the entry no longer counts (the token's `exp` plus the allowed skew). */
  readonly validUntilMs: number
}

/** A bounded map from token hash to verification result. */
export interface VerifiedTokens<T> {
  get(hash: string, nowMs: number): T | undefined
  set(hash: string, value: T, validUntilMs: number): void
  readonly size: number
}

/**
 * Creates the store; `maxEntries` 0 disables it.
 *
 * @example
 * ```ts
 * const verified = createVerifiedTokens<Claims>(10_000)
 * verified.set(sha256Base64Url(token), claims, exp * 1000)
 * ```
 */
export function createVerifiedTokens<T>(maxEntries: number): VerifiedTokens<T> {
  const entries = new Map<string, VerifiedEntry<T>>()
  return {
    get(hash, nowMs) {
      const entry = entries.get(hash)
      if (entry === undefined) return undefined
      if (entry.validUntilMs <= nowMs) {
        entries.delete(hash)
        return undefined
      }
      return entry.value
    },
    set(hash, value, validUntilMs) {
      if (maxEntries === 0) return
      entries.delete(hash)
      while (entries.size >= maxEntries) {
        const oldest = entries.keys().next()
        if (oldest.done === true) break
        entries.delete(oldest.value)
      }
      entries.set(hash, { value, validUntilMs })
    },
    get size() {
      return entries.size
    },
  }
}
