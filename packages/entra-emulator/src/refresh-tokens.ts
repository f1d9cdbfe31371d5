import { opaqueId } from './ids.ts'

/**
 * What a refresh token stands for.
 * @example
 * ```ts
 * store.issue({ clientId, tenantId, userOid, amr: ['pwd'], expiresAt: now + 3600 })
 * ```
 */
export interface RefreshGrant {
  readonly clientId: string
  readonly tenantId: string
  readonly userOid: string
  /** Authentication methods of the original sign-in (carries MFA forward). */
  readonly amr: readonly string[] | undefined
  readonly expiresAt: number
}

/**
 * Opaque refresh tokens, kept in memory like Entra keeps them server-side.
 * @example
 * ```ts
 * store.find(refreshToken)?.userOid
 * ```
 */
export interface RefreshTokenStore {
  issue(grant: RefreshGrant): string
  find(token: string): RefreshGrant | undefined
  /** Makes every refresh token of a user invalid (revocation). */
  revokeUser(oid: string): number
}

/**
 * Creates an in-memory refresh-token store. Tokens are random strings shaped like Entra's (`1.A…`).
 *
 * @example
 * ```ts
 * const store = createRefreshTokenStore()
 * const rt = store.issue({ clientId, tenantId, userOid, amr: ['pwd'], expiresAt })
 * ```
 */
export function createRefreshTokenStore(): RefreshTokenStore {
  const grants = new Map<string, RefreshGrant>()
  return {
    issue(grant) {
      const token = `1.A${opaqueId(96)}`
      grants.set(token, grant)
      return token
    },
    find: (token) => grants.get(token),
    revokeUser(oid) {
      let count = 0
      for (const [token, grant] of grants) {
        if (grant.userOid === oid) {
          grants.delete(token)
          count++
        }
      }
      return count
    },
  }
}
