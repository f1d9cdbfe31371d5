/**
 * `@onbehalf/core/engine`: what engine authors share, so both engines (and any third one) read answers, retry,
 * validate arguments and fingerprint credentials the same way. Users of the packages do not need it: the main
 * entry holds the contract.
 *
 * @example
 * ```ts
 * import { assertClientId, engineAuthorityHost, engineFingerprint } from '@onbehalf/core/engine'
 * ```
 * @module
 */
export { assertTenantId, resolveTenant } from './tenant.ts'
export type { ResolveTenantOptions } from './tenant.ts'
export { normalizeAuthorityHost } from './authority.ts'
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
export { oauthErrorFromBody, optional } from './errors.ts'
export { sha256Base64Url, sha256Hex } from './hash.ts'
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
export type { NetworkErrorTarget } from './protocol/network-error-hint.ts'
export { parseJsonObject } from './protocol/parse-json-object.ts'
export { readBoundedBody } from './protocol/read-bounded-body.ts'
export { parseRetryAfterMs } from './protocol/retry-after.ts'
export { backoffMs, defaultRetryPolicy, isRetryableStatus, retryTransient } from './protocol/retry-policy.ts'
export type { RetryableAnswer, RetryPolicy, RetryTransientOptions } from './protocol/retry-policy.ts'
export { checkTokenAnswer, parseSeconds, tokenResultFromBody } from './protocol/token-answer.ts'
export type { TokenAnswer, TokenResultOptions } from './protocol/token-answer.ts'
