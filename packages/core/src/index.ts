/**
 * `@onbehalf/core`: the On-Behalf-Of contract (engine and cache interfaces), the token provider (cache +
 * single-flight + proactive refresh), cache keys, the shared argument rules, errors and a bounded LRU.
 * Zero runtime dependencies; Web-standard globals only (plus `node:crypto` on Node for a synchronous SHA-256).
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
export type { CachedToken, MaybePromise, TokenCache } from './cache.ts'
export { createMemoryTokenCache, getDefaultTokenCache } from './memory-cache.ts'
export type { MemoryTokenCache, MemoryTokenCacheOptions } from './memory-cache.ts'
export { createTokenProvider } from './token-provider.ts'
export type {
  TokenEvent,
  TokenEventType,
  TokenProvider,
  TokenProviderOptions,
  TokenProviderRequest,
  TokenProviderStats,
} from './token-provider.ts'
export { deriveCacheKey } from './cache-key.ts'
export type { CacheKeyParts } from './cache-key.ts'
export { assertTenantId, resolveTenant } from './tenant.ts'
export type { ResolveTenantOptions } from './tenant.ts'
export { AzureAuthorityHosts, normalizeAuthorityHost } from './authority.ts'
export {
  clearAuthorityValidationMemo,
  createAuthorityValidator,
  instanceDiscoveryOrigin,
  knownAuthorityHosts,
} from './authority-validation.ts'
export type { AuthorityValidator, AuthorityValidatorOptions, DiscoveryAnswer } from './authority-validation.ts'
export { normalizeScopes, scopeKey } from './scopes.ts'
export { caeClaims, mergeClaims } from './claims.ts'
export { decodeJwtPayload, jwtExpiresAt } from './jwt.ts'
export { OAuthError, OboError, oauthErrorFromBody, optional, renderClaimsChallenge } from './errors.ts'
export type { OAuthErrorBody, OAuthErrorOptions, OboErrorCode, OboErrorOptions } from './errors.ts'
export { sha256Base64Url, sha256Hex } from './hash.ts'
