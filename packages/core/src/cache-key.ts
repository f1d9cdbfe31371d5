/**
 * Cache-key derivation. One SHA-256 over every field that makes tokens differ, so different users, tenants,
 * apps, credentials, scope sets or CAE modes never share an entry, and no key holds an assertion.
 *
 * @module
 */
import { sha256Base64Url } from './hash.ts'
import { scopeKey } from './scopes.ts'

/** The fields a cache key is derived from. */
export interface CacheKeyParts {
  /** The engine's fingerprint: authority host, client ID and client credential, already hashed. */
  readonly partition: string
  readonly tenantId: string
  readonly scopes: readonly string[]
  readonly enableCae: boolean
  /** The user's incoming access token; hashed here, never stored. */
  readonly userAssertion: string
}

/**
 * Derives the cache key for one token: 43 base64url characters of a SHA-256.
 *
 * @example
 * ```ts
 * const key = deriveCacheKey({ partition: engine.fingerprint, tenantId, scopes, enableCae: false, userAssertion })
 * ```
 */
export function deriveCacheKey(parts: CacheKeyParts): string {
  // Tenant and scopes carry their lengths, so no value can shift text into its neighbour even where a caller
  // skipped validation; the partition is fixed-size hex and the assertion goes last (the only long field).
  const tenant = parts.tenantId.toLowerCase()
  const scopes = scopeKey(parts.scopes)
  return sha256Base64Url(
    `obo1\n${parts.partition}\n${tenant.length}:${tenant}\n${scopes.length}:${scopes}\n${parts.enableCae ? 'cae' : 'std'}\n${parts.userAssertion}`,
  )
}
