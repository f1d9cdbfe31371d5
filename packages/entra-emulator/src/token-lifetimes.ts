/**
 * Token lifetimes, all in seconds.
 * @example
 * ```ts
 * emu.setTokenLifetimes({ accessTokenSeconds: 5, refreshIn: 'off' })
 * ```
 */
export interface TokenLifetimes {
  /** Access tokens from the token endpoint. Default 3600 (Entra picks 60–90 minutes at random). */
  readonly accessTokenSeconds: number
  /** Access tokens for clients that declared `cp1` (CAE). Default 86400 (Entra: 20–28 hours). */
  readonly caeAccessTokenSeconds: number
  /** User tokens minted for test users (`issueUserToken`, `POST /{tenant}/test/user-token`). Default 3600. */
  readonly userTokenSeconds: number
  /** Refresh tokens. Default 90 days. */
  readonly refreshTokenSeconds: number
  /**
   * The `refresh_in` response field: a number of seconds, `'auto'` (half the lifetime when the lifetime
   * is at least 2 hours, as Entra does), or `'off'`. Default `'auto'`.
   */
  readonly refreshIn: number | 'auto' | 'off'
  /** `ext_expires_in` minus `expires_in`. Default 0 (the field equals `expires_in`). */
  readonly extendedSeconds: number
}

/**
 * The default {@link TokenLifetimes}.
 * @example
 * ```ts
 * DEFAULT_TOKEN_LIFETIMES.accessTokenSeconds // 3600
 * ```
 */
export const DEFAULT_TOKEN_LIFETIMES: TokenLifetimes = {
  accessTokenSeconds: 3600,
  caeAccessTokenSeconds: 86_400,
  userTokenSeconds: 3600,
  refreshTokenSeconds: 90 * 86_400,
  refreshIn: 'auto',
  extendedSeconds: 0,
}

/**
 * The `refresh_in` value for a token lifetime, or `undefined` when none is sent.
 *
 * @example
 * ```ts
 * refreshInFor({ ...DEFAULT_TOKEN_LIFETIMES }, 86400) // 43200
 * ```
 */
export function refreshInFor(lifetimes: TokenLifetimes, expiresInSeconds: number): number | undefined {
  if (lifetimes.refreshIn === 'off') return undefined
  if (lifetimes.refreshIn === 'auto') return expiresInSeconds >= 7200 ? Math.floor(expiresInSeconds / 2) : undefined
  return Math.min(lifetimes.refreshIn, expiresInSeconds)
}
