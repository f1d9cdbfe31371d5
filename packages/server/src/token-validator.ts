/**
 * Validates an Entra access token the way Microsoft.IdentityModel does for Microsoft.Identity.Web: RS256 with a
 * key from the tenant's JWKS, the v1 or v2 issuer (multi-tenant templates filled with `tid`, then the tenant
 * allow-list), the API's audience (client ID or App ID URI), `exp`/`nbf` with clock skew. A verified token is
 * remembered until its expiry, keyed by its hash, so a returning caller skips the RSA verify.
 *
 * @module
 */
import { sha256Base64Url } from '@onbehalf/core/engine'
import { decodeJwt, decodeProtectedHeader, jwtVerify, type JWTPayload } from 'jose'
import { invalidTokenError } from './api-auth-error.ts'
import { normalizeAudience, type ProtectedApiSettings } from './options.ts'
import type { SigningKeys } from './signing-keys.ts'
import { createVerifiedTokens } from './verified-tokens.ts'

/** The claims of a validated Entra access token (v1 or v2). */
export interface AccessTokenClaims extends JWTPayload {
  /** Tenant of the caller. */
  readonly tid: string
  /** `'1.0'` or `'2.0'`. */
  readonly ver?: string
  /** Delegated scopes, space-separated (user tokens). */
  readonly scp?: string
  /** App roles (app-only tokens, and users assigned roles). */
  readonly roles?: readonly string[]
  /** Object ID of the user (or of the calling app's service principal for app-only tokens). */
  readonly oid?: string
  /** `'app'` for app-only tokens (when the optional claim is configured). */
  readonly idtyp?: string
  /** Client app of a v2 token. */
  readonly azp?: string
  /** Client app of a v1 token. */
  readonly appid?: string
}

/** A validated token, with its scopes and roles split out. */
export interface ValidatedToken {
  readonly claims: Readonly<AccessTokenClaims>
  readonly tenantId: string
  /** `true` for an app-only token (`idtyp: app`, or `roles` without `scp`). */
  readonly appOnly: boolean
  readonly scopes: readonly string[]
  readonly roles: readonly string[]
  /** The token's `exp`, in epoch ms. */
  readonly expiresAtMs: number
}

/** Validates bearer tokens for one API. */
export interface TokenValidator {
  /** @throws ApiAuthError (401) when the token is not acceptable. */
  validate(token: string): Promise<ValidatedToken>
  readonly verifiedTokens: () => number
}

// Microsoft Graph's tokens are for Graph: an API can never validate them (they are not meant for it).
const graphAudiences = new Set(['00000003-0000-0000-c000-000000000000', 'https://graph.microsoft.com'])

const refuse = invalidTokenError

/**
 * Creates the validator.
 *
 * @example
 * ```ts
 * const validator = createTokenValidator(settings, createSigningKeys({ ... }))
 * const { claims } = await validator.validate(token)
 * ```
 */
export function createTokenValidator(settings: ProtectedApiSettings, keys: SigningKeys): TokenValidator {
  const verified = createVerifiedTokens<ValidatedToken>(settings.maxVerifiedTokens)
  const skewSeconds = settings.clockSkewSeconds

  const verify = async (token: string): Promise<ValidatedToken> => {
    // Cheap checks on the unverified token first: anything they refuse is refused without fetching keys,
    // and nothing is accepted until the signature has been verified below.
    let header: ReturnType<typeof decodeProtectedHeader>
    let unverified: JWTPayload
    try {
      header = decodeProtectedHeader(token)
      unverified = decodeJwt(token)
    } catch (error) {
      throw refuse('The bearer token is not a well-formed JWT.', 'INVALID_TOKEN', error)
    }
    if (header.alg !== 'RS256') {
      throw refuse('The token must be signed with RS256 by a key of the identity provider.')
    }
    if (typeof header.kid !== 'string' || header.kid === '') {
      throw refuse('The token header names no signing key (kid).')
    }
    checkAudience(unverified.aud, settings.audiences)
    const tenantId = unverified['tid']
    if (typeof tenantId !== 'string' || tenantId === '') throw refuse('The token has no tenant (tid) claim.')
    if (settings.allowedTenants !== undefined && !settings.allowedTenants.has(tenantId.toLowerCase())) {
      throw refuse("Users of the token's tenant may not call this API.", 'TENANT_NOT_ALLOWED')
    }
    const version = unverified['ver'] ?? '1.0'
    if (version !== '1.0' && version !== '2.0') throw refuse('The token version (ver) is not 1.0 or 2.0.')
    const expected = (await keys.issuer(version)).replace('{tenantid}', tenantId)
    if (unverified.iss !== expected) throw refuse('The token was not issued by the expected issuer.')
    const nowMs = settings.now()
    const nowSeconds = nowMs / 1000
    if (typeof unverified.exp !== 'number') throw refuse('The token has no expiry (exp).')
    if (unverified.exp + skewSeconds <= nowSeconds) throw refuse('The token has expired.', 'TOKEN_EXPIRED')
    if (typeof unverified.nbf === 'number' && unverified.nbf - skewSeconds > nowSeconds) {
      throw refuse('The token is not valid yet (nbf).', 'TOKEN_EXPIRED')
    }

    const key = await keys.key(header.kid)
    if (key === undefined) throw refuse('The token was not signed by a key of the identity provider.')
    let claims: AccessTokenClaims
    try {
      const result = await jwtVerify(token, key, {
        algorithms: ['RS256'],
        currentDate: new Date(nowMs),
        clockTolerance: skewSeconds,
        requiredClaims: ['exp'],
      })
      claims = result.payload as AccessTokenClaims
    } catch (error) {
      throw refuse('The token signature is invalid.', 'INVALID_TOKEN', error)
    }

    if (settings.allowedClientApps !== undefined) {
      const client = claims.azp ?? claims.appid
      if (typeof client !== 'string' || !settings.allowedClientApps.has(client.toLowerCase())) {
        throw refuse('The token was issued to a client app that may not call this API.')
      }
    }
    const scp = claims.scp
    const roles = Array.isArray(claims.roles) ? claims.roles.filter((r): r is string => typeof r === 'string') : []
    const appOnly = claims.idtyp === 'app' || (typeof scp !== 'string' && roles.length > 0)
    if (!appOnly && typeof scp !== 'string') {
      throw refuse('The token carries neither delegated scopes (scp) nor app roles (roles): it is not an access token.')
    }
    return {
      claims: Object.freeze(claims),
      tenantId: claims.tid,
      appOnly,
      scopes: appOnly || typeof scp !== 'string' ? [] : scp.split(' ').filter((s) => s !== ''),
      roles,
      expiresAtMs: (claims.exp ?? 0) * 1000,
    }
  }

  return {
    async validate(token) {
      const hash = sha256Base64Url(token)
      const nowMs = settings.now()
      const known = verified.get(hash, nowMs)
      if (known !== undefined) return known
      const result = await verify(token)
      verified.set(hash, result, result.expiresAtMs + skewSeconds * 1000)
      return result
    },
    verifiedTokens: () => verified.size,
  }
}

function checkAudience(aud: JWTPayload['aud'], accepted: ReadonlySet<string>): void {
  const audiences = (Array.isArray(aud) ? aud : [aud]).filter((a): a is string => typeof a === 'string')
  if (audiences.some((a) => accepted.has(normalizeAudience(a)))) return
  if (audiences.some((a) => graphAudiences.has(normalizeAudience(a)))) {
    throw refuse(
      "The token is for Microsoft Graph, not for this API: request a token for this API's scope (api://.../scope).",
    )
  }
  throw refuse('The token was issued for another audience, not for this API.')
}
