/**
 * The per-user index behind `evictUser`: which entries belong to a user, stored under a keyed hash (HMAC) of
 * the user's tenant and object ID, never the IDs themselves. The HMAC key is derived from each configured key,
 * so a rotation keeps finding entries indexed under the previous key.
 *
 * @module
 */
import { Buffer } from 'node:buffer'
import { createHmac, hkdfSync } from 'node:crypto'
import { decodeJwtPayload } from '@onbehalf/core/engine'
import type { TokenCacheContext } from '@onbehalf/core'
import type { CacheEncryptionKey } from './codec.ts'

/** A user, as Entra names them: home tenant ID and object ID. */
export interface CachedUser {
  readonly tenantId: string
  readonly oid: string
}

/** Index tags for users. */
export interface UserIndex {
  /** The tag new entries of this context's user are indexed under, or `undefined` (no `oid` in the assertion). */
  tagOf(context: TokenCacheContext): string | undefined
  /** Every tag a user's entries may be indexed under: one per configured key, the current key's first. */
  tagsFor(user: CachedUser): readonly string[]
}

/**
 * Creates the index tagger over validated keys.
 *
 * @example
 * ```ts
 * const index = createUserIndex(keys)
 * const tag = index.tagOf({ tenantId, userAssertion }) // 'Zq3…' (22 base64url characters) or undefined
 * ```
 */
export function createUserIndex(keys: readonly CacheEncryptionKey[]): UserIndex {
  const macKeys = keys.map((entry) =>
    Buffer.from(hkdfSync('sha256', entry.key, Buffer.alloc(0), `onbehalf/redis user index v1 ${entry.id}`, 32)),
  )
  const tag = (macKey: Buffer, user: CachedUser): string =>
    createHmac('sha256', macKey)
      .update(`${user.tenantId.toLowerCase()}\n${user.oid.toLowerCase()}`)
      .digest()
      .subarray(0, 16)
      .toString('base64url')
  return {
    tagOf(context) {
      const payload = decodeJwtPayload(context.userAssertion)
      const oid = payload?.['oid']
      if (typeof oid !== 'string' || oid === '') return undefined
      // The user's home tenant is the assertion's `tid`; the request's tenant when the token has none.
      const tid = payload?.['tid']
      const tenantId = typeof tid === 'string' && tid !== '' ? tid : context.tenantId
      return tag(macKeys[0] as Buffer, { tenantId, oid })
    },
    tagsFor(user) {
      return macKeys.map((macKey) => tag(macKey, user))
    },
  }
}
