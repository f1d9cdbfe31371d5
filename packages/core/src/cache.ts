/**
 * The token cache contract. A memory cache answers synchronously (so a hit costs no await); a distributed
 * cache answers with promises. Callers accept both.
 *
 * @module
 */

/** A value that may be returned directly or through a promise. */
export type MaybePromise<T> = T | Promise<T>

/** What the token provider stores per cache key. Times are epoch milliseconds. */
export interface CachedToken {
  readonly accessToken: string
  readonly tokenType: string
  readonly expiresAt: number
  /** When to refresh proactively (the server's `refresh_in`), if it said so. */
  readonly refreshAt?: number
  readonly refreshToken?: string
  /**
   * When the user assertion behind this entry was first exchanged (epoch milliseconds). Redemptions of the
   * refresh token after the assertion expired are allowed only within a window counted from this moment; a
   * redemption carries it over unchanged, so the window never slides.
   */
  readonly firstExchangedAt?: number
}

/**
 * Whom an entry belongs to, passed by the token provider with every cache call. A memory cache ignores it; a
 * distributed cache may derive per-user keys from the assertion (to seal entries so that its store and its
 * configured keys alone reveal nothing) or index entries by user. It must never store, log or send the
 * assertion itself.
 */
export interface TokenCacheContext {
  readonly tenantId: string
  /** The user's incoming access token, exactly as the caller passed it. */
  readonly userAssertion: string
}

/**
 * A key-value store for tokens. Keys are opaque hashes produced by {@link deriveCacheKey}; they never hold an
 * assertion or a secret.
 *
 * @example
 * ```ts
 * const cache: TokenCache = createMemoryTokenCache({ maxEntries: 50_000 })
 * cache.set(key, token, token.expiresAt - Date.now())
 * const hit = cache.get(key)
 * ```
 */
export interface TokenCache {
  /** The entry for `key`, or `undefined` when absent or expired. Must not throw for a missing key. */
  get(key: string, context?: TokenCacheContext): MaybePromise<CachedToken | undefined>
  /**
   * Stores `value` for `ttlMs` milliseconds. The provider passes the access token's remaining lifetime, or
   * longer when the entry holds a refresh token that may still be redeemed (until `firstExchangedAt` plus the
   * provider's redemption window): keep such an entry for `ttlMs` even after `expiresAt`. Expired access
   * tokens are never served as hits.
   */
  set(key: string, value: CachedToken, ttlMs: number, context?: TokenCacheContext): MaybePromise<void>
  delete(key: string, context?: TokenCacheContext): MaybePromise<void>
}
