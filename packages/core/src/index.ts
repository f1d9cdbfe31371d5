/**
 * `@onbehalf/core`: the On-Behalf-Of contract for users of the packages: the engine and cache interfaces, the
 * token provider (cache + single-flight + proactive refresh), cache keys, errors and a bounded LRU. Zero runtime
 * dependencies; Web-standard globals only (plus `node:crypto` on Node for a synchronous SHA-256).
 *
 * Engine authors find the protocol logic both engines share (bounded body reads, retries, token-answer
 * reading, fingerprints, argument rules) in `@onbehalf/core/engine`.
 *
 * @module
 */
export type {
  ClientCredential,
  EngineConfig,
  EngineFactory,
  ExchangeRequest,
  OboEngine,
  RefreshRequest,
  TokenRequestBase,
  TokenResult,
} from './engine.ts'
export type { CachedToken, MaybePromise, TokenCache, TokenCacheContext } from './cache.ts'
export {
  createMemoryTokenCache,
  defaultCacheMaxBytes,
  estimateEntryBytes,
  getDefaultTokenCache,
} from './memory-cache.ts'
export type { MemoryTokenCache, MemoryTokenCacheOptions, MemoryTokenCacheStats } from './memory-cache.ts'
export { createTokenProvider } from './token-provider.ts'
export type {
  AbortSignalLike,
  TokenEvent,
  TokenEventType,
  TokenProvider,
  TokenProviderOptions,
  TokenProviderRequest,
  TokenProviderStats,
} from './token-provider.ts'
export { deriveCacheKey } from './cache-key.ts'
export type { CacheKeyParts } from './cache-key.ts'
export { AzureAuthorityHosts } from './authority.ts'
export { OAuthError, OboError, renderClaimsChallenge } from './errors.ts'
export type { OAuthErrorBody, OAuthErrorOptions, OboErrorCode, OboErrorOptions } from './errors.ts'
export { InvalidResponseError } from './protocol/invalid-response-error.ts'
