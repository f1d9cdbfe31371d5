/**
 * `@onbehalf/core`: the On-Behalf-Of contract (engine and cache interfaces), the token provider (cache +
 * single-flight + proactive refresh), cache keys, the shared argument rules, errors, a bounded LRU, and the
 * protocol logic both engines share (bounded body reads, retries, token-answer reading, fingerprints).
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
// For engine authors: the protocol logic both engines share.
export { abortableDelay, abortedError, raceAbort } from './protocol/caller-abort.ts'
export { callClientAssertion } from './protocol/client-assertion-callback.ts'
export {
  assertAssertionCallback,
  assertClientId,
  assertClientSecret,
  engineAuthorityHost,
} from './protocol/engine-config.ts'
export {
  callbackIdentity,
  certificateIdentity,
  engineFingerprint,
  secretIdentity,
} from './protocol/engine-fingerprint.ts'
export type { EngineFingerprintParts } from './protocol/engine-fingerprint.ts'
export { assertRefreshToken, assertTokenRequest, assertUserAssertion } from './protocol/engine-request.ts'
export { fetchAttempt } from './protocol/fetch-attempt.ts'
export type { FetchAttemptRequest, FetchedAnswer } from './protocol/fetch-attempt.ts'
export { InvalidResponseError } from './protocol/invalid-response-error.ts'
export { parseJsonObject } from './protocol/parse-json-object.ts'
export { readBoundedBody } from './protocol/read-bounded-body.ts'
export { parseRetryAfterMs } from './protocol/retry-after.ts'
export { backoffMs, defaultRetryPolicy, isRetryableStatus, retryTransient } from './protocol/retry-policy.ts'
export type { RetryableAnswer, RetryPolicy, RetryTransientOptions } from './protocol/retry-policy.ts'
export { checkTokenAnswer, parseSeconds, tokenResultFromBody } from './protocol/token-answer.ts'
export type { TokenAnswer, TokenResultOptions } from './protocol/token-answer.ts'
