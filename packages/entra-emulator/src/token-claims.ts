import type { JWTPayload } from 'jose'
import type { EmulatorApp, EmulatorUser } from './directory.ts'
import { base64url, opaqueId } from './ids.ts'
import { pairwiseSubject } from './token-issuer.ts'

/**
 * Common inputs of the token payload builders.
 * @example
 * ```ts
 * delegatedAccessToken({ issuer, tenantId, issuedAt: now, lifetimeSeconds: 3600, ... })
 * ```
 */
export interface TokenTimes {
  readonly issuer: string
  readonly tenantId: string
  readonly issuedAt: number
  readonly lifetimeSeconds: number
}

function times(t: TokenTimes): { iat: number; nbf: number; exp: number } {
  return { iat: t.issuedAt, nbf: t.issuedAt, exp: t.issuedAt + t.lifetimeSeconds }
}

/**
 * Payload of a v2 delegated access token (what OBO issues for the downstream API, and what a front end
 * holds for the middle tier).
 *
 * @example
 * ```ts
 * const payload = delegatedAccessToken({ issuer, tenantId, issuedAt, lifetimeSeconds: 3600, user, audience: api.clientId, ... })
 * ```
 */
export function delegatedAccessToken(
  t: TokenTimes & {
    readonly user: EmulatorUser
    /** The `aud` value (client ID, or an App ID URI when a test wants one). */
    readonly audience: string
    /** Client ID of the resource, for the pairwise `sub`. */
    readonly resourceId: string
    readonly clientId: string
    readonly clientAuth: '0' | '1' | '2'
    readonly scopeNames: readonly string[]
    readonly roles: readonly string[]
    readonly amr: readonly string[] | undefined
    readonly cp1: boolean
  },
): JWTPayload {
  const payload: JWTPayload = {
    aud: t.audience,
    iss: t.issuer,
    ...times(t),
    aio: opaqueId(24),
    azp: t.clientId,
    azpacr: t.clientAuth,
    name: t.user.name,
    oid: t.user.oid,
    preferred_username: t.user.upn,
    rh: `0.${opaqueId(24)}.`,
    scp: t.scopeNames.join(' '),
    sid: opaqueId(16),
    sub: pairwiseSubject(t.tenantId, t.user.oid, t.resourceId),
    tid: t.tenantId,
    uti: opaqueId(16),
    ver: '2.0',
  }
  if (t.amr !== undefined) payload['amr'] = [...t.amr]
  if (t.roles.length > 0) payload['roles'] = [...t.roles]
  if (t.cp1) payload['xms_cc'] = ['cp1']
  return payload
}

/**
 * Payload of a v2 app-only access token (client credentials): `idtyp: 'app'`, `roles`, no `scp`.
 *
 * @example
 * ```ts
 * const payload = appAccessToken({ issuer, tenantId, issuedAt, lifetimeSeconds: 3600, client, resource, clientAuth: '1' })
 * ```
 */
export function appAccessToken(
  t: TokenTimes & {
    readonly client: EmulatorApp
    readonly resource: EmulatorApp
    readonly audience?: string
    readonly clientAuth: '1' | '2'
    readonly cp1: boolean
  },
): JWTPayload {
  const roles = t.client.grantedAppRoles.filter((r) => t.resource.appRoles.includes(r))
  const payload: JWTPayload = {
    aud: t.audience ?? t.resource.clientId,
    iss: t.issuer,
    ...times(t),
    aio: opaqueId(24),
    azp: t.client.clientId,
    azpacr: t.clientAuth,
    idtyp: 'app',
    oid: t.client.servicePrincipalId,
    rh: `0.${opaqueId(24)}.`,
    sub: t.client.servicePrincipalId,
    tid: t.tenantId,
    uti: opaqueId(16),
    ver: '2.0',
  }
  if (roles.length > 0) payload['roles'] = roles
  if (t.cp1) payload['xms_cc'] = ['cp1']
  return payload
}

/**
 * Payload of a v2 id_token for a client app (returned when `openid` is asked).
 *
 * @example
 * ```ts
 * const payload = idToken({ issuer, tenantId, issuedAt, lifetimeSeconds: 3600, user, clientId })
 * ```
 */
export function idToken(t: TokenTimes & { readonly user: EmulatorUser; readonly clientId: string }): JWTPayload {
  return {
    aud: t.clientId,
    iss: t.issuer,
    ...times(t),
    name: t.user.name,
    oid: t.user.oid,
    preferred_username: t.user.upn,
    rh: `0.${opaqueId(24)}.`,
    sub: pairwiseSubject(t.tenantId, t.user.oid, t.clientId),
    tid: t.tenantId,
    uti: opaqueId(16),
    ver: '2.0',
  }
}

/**
 * The `client_info` response field: base64url JSON `{ uid, utid }` (MSAL builds its home account ID from it).
 *
 * @example
 * ```ts
 * clientInfo(oid, tid) // 'eyJ1aWQiOi…'
 * ```
 */
export function clientInfo(oid: string, tenantId: string): string {
  return base64url(JSON.stringify({ uid: oid, utid: tenantId }))
}

/**
 * Reshapes a v2 access-token payload as Entra's v1.0 format (what an API whose manifest has
 * `accessTokenAcceptedVersion` null or 1 receives): `iss` on `sts.windows.net`, `appid`/`appidacr` instead of
 * `azp`/`azpacr`, `upn` and `unique_name` instead of `preferred_username`, `ver: '1.0'`.
 *
 * @example
 * ```ts
 * const v1 = toV1AccessToken(delegatedAccessToken({ ... }), v1Issuer(tenantId))
 * ```
 */
export function toV1AccessToken(payload: JWTPayload, issuer: string): JWTPayload {
  const { azp, azpacr, preferred_username: upn, ...rest } = payload
  const v1: JWTPayload = { ...rest, iss: issuer, ver: '1.0' }
  if (azp !== undefined) v1['appid'] = azp
  if (azpacr !== undefined) v1['appidacr'] = azpacr
  if (upn !== undefined) {
    v1['upn'] = upn
    v1['unique_name'] = upn
  }
  return v1
}
