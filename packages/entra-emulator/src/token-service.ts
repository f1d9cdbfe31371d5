import { decodeJwt } from 'jose'
import type { JWTPayload } from 'jose'
import type { EmulatorApp, EmulatorDirectory, EmulatorTenant, EmulatorUser } from './directory.ts'
import { authenticateClient } from './client-authentication.ts'
import type { AuthenticatedClient } from './client-authentication.ts'
import { mfaClaimsChallenge, parseClaimsRequest } from './claims-request.ts'
import type { ClaimsRequest } from './claims-request.ts'
import { errors } from './entra-error.ts'
import type { RefreshTokenStore } from './refresh-tokens.ts'
import { resolveAppScope, resolveDelegatedScopes } from './scopes.ts'
import type { ResolvedScopes } from './scopes.ts'
import { appAccessToken, clientInfo, delegatedAccessToken, idToken, toV1AccessToken } from './token-claims.ts'
import type { Federation } from './federation.ts'
import { federationErrors } from './federation-errors.ts'
import type { TokenIssuer } from './token-issuer.ts'
import { refreshInFor } from './token-lifetimes.ts'
import type { TokenLifetimes } from './token-lifetimes.ts'

/**
 * The OBO grant type (RFC 7523 jwt-bearer).
 * @example
 * ```ts
 * form.get('grant_type') === JWT_BEARER
 * ```
 */
export const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer'

/**
 * A parsed request to `/{tenant}/oauth2/v2.0/token`.
 * @example
 * ```ts
 * await service.token({ tenant, tenantSegment: tenant.id, form, authorization: undefined })
 * ```
 */
export interface TokenRequest {
  readonly tenant: EmulatorTenant
  /** The tenant segment as the URL named it (GUID or domain). */
  readonly tenantSegment: string
  /** Form fields, query parameters already merged in (body wins). */
  readonly form: ReadonlyMap<string, string>
  readonly authorization: string | undefined
}

/**
 * A successful token response body (Entra v2 shape).
 * @example
 * ```ts
 * const body = (await res.json()) as TokenResponseBody
 * ```
 */
export interface TokenResponseBody {
  token_type: 'Bearer'
  scope?: string
  expires_in: number
  ext_expires_in: number
  refresh_in?: number
  access_token: string
  refresh_token?: string
  id_token?: string
  client_info?: string
}

/**
 * Options of {@link EntraEmulator.issueUserToken}: a user access token as a front end would hold it.
 * @example
 * ```ts
 * emu.issueUserToken({ user: 'adele.vance@contoso.onmicrosoft.com', lifetimeSeconds: 60 })
 * ```
 */
export interface IssueUserTokenOptions {
  /** The user: an {@link EmulatorUser}, its oid or UPN. Required unless `appOnly`. */
  readonly user?: EmulatorUser | string
  /**
   * `aud`: a client ID or App ID URI (an RFC 8707 `resource` value, as MCP clients send). Default: the default
   * middle-tier app's client ID (v2), or its App ID URI (v1).
   */
  readonly audience?: string
  /**
   * Token format: `'2.0'` (default; `iss` `${authorityHost}/{tid}/v2.0`, `azp`) or `'1.0'` (`iss`
   * `https://sts.windows.net/{tid}/`, `appid`, `upn`), as Entra issues for `accessTokenAcceptedVersion` 2 or 1.
   */
  readonly version?: '1.0' | '2.0'
  /** `scp` permission names (not fully qualified). Default: every scope the audience app exposes. */
  readonly scopes?: readonly string[]
  /** Lifetime in seconds (≤ 0 gives an already expired token). Default: the `userTokenSeconds` lifetime. */
  readonly lifetimeSeconds?: number
  /** `iat`/`nbf` in epoch seconds. Default: now. */
  readonly issuedAt?: number
  /** Tenant of the token. Default: the user's tenant. */
  readonly tenantId?: string
  /** Mint an app-only token (`idtyp: 'app'`, no `scp`) instead, to test that OBO rejects it. */
  readonly appOnly?: boolean
  /** Put `mfa` in `amr`: the user completed MFA, so OBO passes the MFA policy. */
  readonly mfa?: boolean
  /** `azp`: the front-end client. Default: the default front-end (SPA) app (the daemon app when `appOnly`). */
  readonly clientId?: string
  /** A claims request as the front end would send it: a satisfied `capolids` challenge implies `mfa`; `cp1` sets `xms_cc`. */
  readonly claims?: string
  /** Extra claims merged into the payload last (to forge odd tokens). */
  readonly extraClaims?: Readonly<Record<string, unknown>>
}

/**
 * The grant logic of the token endpoint.
 * @example
 * ```ts
 * service.mintUserToken({ user: 'adele.vance@contoso.onmicrosoft.com' })
 * ```
 */
export interface TokenService {
  /** Handles a token request; throws {@link errors} results on failure. */
  token(request: TokenRequest): Promise<{ body: TokenResponseBody; clientId: string }>
  /** Mints a signed user access token (or app-only token) for tests. */
  mintUserToken(options: IssueUserTokenOptions): string
}

/**
 * What the token service needs from the emulator.
 * @example
 * ```ts
 * createTokenService({ directory, issuer, refreshTokens, lifetimes, nowSeconds, tokenEndpoints, mfaPolicyId, ... })
 * ```
 */
export interface TokenServiceOptions {
  readonly directory: EmulatorDirectory
  readonly issuer: TokenIssuer
  readonly refreshTokens: RefreshTokenStore
  readonly lifetimes: () => TokenLifetimes
  readonly nowSeconds: () => number
  /** Audiences a client assertion may carry for a tenant: its token endpoint URLs. */
  readonly tokenEndpoints: (tenant: EmulatorTenant, tenantSegment: string) => readonly string[]
  /** Policy ID named in MFA claims challenges. */
  readonly mfaPolicyId: string
  /** Accept an OBO request whose `claims` echo the MFA challenge as satisfying it (lenient; off by default). */
  readonly mfaSatisfiedByClaimsRequest: boolean
  /** Seconds of tolerance on user-assertion `exp`/`nbf`. */
  readonly assertionClockSkewSeconds: number
  readonly defaults: () => { middleTierClientId?: string; frontEndClientId?: string; daemonClientId?: string }
  /** Managed identities, federated identity credentials and agent identities. */
  readonly federation?: Federation
}

interface DelegatedGrant {
  readonly tenant: EmulatorTenant
  readonly tenantSegment: string
  readonly client: AuthenticatedClient
  readonly user: EmulatorUser
  readonly amr: readonly string[] | undefined
  readonly scope: string | undefined
  readonly claims: ClaimsRequest
  readonly wantsClientInfo: boolean
}

/**
 * Creates the token service: OBO (`jwt-bearer` + `requested_token_use=on_behalf_of`), `client_credentials`
 * and `refresh_token`, with Entra's checks and AADSTS errors.
 *
 * @example
 * ```ts
 * const service = createTokenService({ directory, issuer, refreshTokens, lifetimes: () => DEFAULT_TOKEN_LIFETIMES, ... })
 * const { body } = await service.token({ tenant, tenantSegment: tenant.id, form, authorization: undefined })
 * ```
 */
export function createTokenService(options: TokenServiceOptions): TokenService {
  const { directory, issuer } = options

  const authenticate = (request: TokenRequest): Promise<AuthenticatedClient> =>
    authenticateClient(directory, {
      form: request.form,
      authorization: request.authorization,
      tenant: request.tenant,
      tenantSegment: request.tenantSegment,
      acceptedAudiences: options.tokenEndpoints(request.tenant, request.tenantSegment),
      nowSeconds: options.nowSeconds(),
      ...(options.federation !== undefined ? { verifyFederated: options.federation.verifyFederatedAssertion } : {}),
    })

  const issueDelegated = (grant: DelegatedGrant): TokenResponseBody => {
    const { tenant, user, client, claims } = grant
    const scopes: ResolvedScopes = resolveDelegatedScopes(directory, grant.tenantSegment, grant.scope)
    const resource = scopes.resource
    const missing = user.consentMissing
    if (
      missing === true ||
      (Array.isArray(missing) &&
        missing.some((r: string) => {
          const named = directory.findResource(r)
          return named?.clientId === resource.clientId || named?.clientId === client.app.clientId
        }))
    ) {
      throw errors.consentRequired(client.app.clientId, client.app.displayName)
    }
    let amr = grant.amr
    if (user.mfaRequired || resource.requiresMfa) {
      const byToken = amr?.includes('mfa') === true
      const byClaims = options.mfaSatisfiedByClaimsRequest && claims.capolids.includes(options.mfaPolicyId)
      if (!byToken && !byClaims) throw errors.mfaRequired(mfaClaimsChallenge(options.mfaPolicyId))
      if (byClaims && !byToken) amr = [...(amr ?? ['pwd']), 'mfa']
    }
    const lifetimes = options.lifetimes()
    const lifetimeSeconds = claims.cp1
      ? lifetimes.caeAccessTokenSeconds
      : (resource.accessTokenLifetimeSeconds ?? lifetimes.accessTokenSeconds)
    const issuedAt = options.nowSeconds()
    const iss = issuer.issuerFor(tenant.id)
    const accessToken = issuer.sign({
      ...delegatedAccessToken({
        issuer: iss,
        tenantId: tenant.id,
        issuedAt,
        lifetimeSeconds,
        user,
        audience: resource.clientId,
        resourceId: resource.clientId,
        clientId: client.app.clientId,
        clientAuth: client.method === 'private_key_jwt' ? '2' : '1',
        scopeNames: scopes.scopeNames,
        roles: user.roles.filter((r) => resource.appRoles.includes(r)),
        amr: undefined,
        cp1: claims.cp1,
      }),
      ...options.federation?.agentClaims(client.app, 'user'),
    })
    const body: TokenResponseBody = {
      token_type: 'Bearer',
      scope: scopes.responseScope,
      expires_in: lifetimeSeconds,
      ext_expires_in: lifetimeSeconds + lifetimes.extendedSeconds,
      access_token: accessToken,
    }
    const refreshIn = refreshInFor(lifetimes, lifetimeSeconds)
    if (refreshIn !== undefined) body.refresh_in = refreshIn
    if (scopes.oidc.has('offline_access')) {
      body.refresh_token = options.refreshTokens.issue({
        clientId: client.app.clientId,
        tenantId: tenant.id,
        userOid: user.oid,
        amr,
        expiresAt: issuedAt + lifetimes.refreshTokenSeconds,
      })
    }
    if (scopes.oidc.has('openid')) {
      body.id_token = issuer.sign(
        idToken({
          issuer: iss,
          tenantId: tenant.id,
          issuedAt,
          lifetimeSeconds: 3600,
          user,
          clientId: client.app.clientId,
        }),
      )
    }
    if (grant.wantsClientInfo) body.client_info = clientInfo(user.oid, tenant.id)
    return body
  }

  const onBehalfOf = async (request: TokenRequest): Promise<TokenResponseBody> => {
    const client = await authenticate(request)
    const { form, tenant } = request
    if (form.get('requested_token_use') !== 'on_behalf_of') throw errors.missingField('requested_token_use')
    const assertion = form.get('assertion')
    if (assertion === undefined || assertion === '') throw errors.missingParameter('assertion')
    const payload = await verifyUserAssertion(assertion, tenant, client.app)
    const user = directory.findUser(String(payload['oid']))
    if (user === undefined || user.tenantId !== tenant.id) throw errors.userNotFound(request.tenantSegment)
    if (user.disabled) throw errors.userDisabled()
    const amr = Array.isArray(payload['amr'])
      ? payload['amr'].filter((v): v is string => typeof v === 'string')
      : undefined
    return issueDelegated({
      tenant,
      tenantSegment: request.tenantSegment,
      client,
      user,
      amr,
      scope: form.get('scope'),
      claims: parseClaimsRequest(form.get('claims')),
      wantsClientInfo: form.get('client_info') === '1',
    })
  }

  const verifyUserAssertion = async (
    assertion: string,
    tenant: EmulatorTenant,
    app: EmulatorApp,
  ): Promise<JWTPayload> => {
    try {
      decodeJwt(assertion)
    } catch {
      throw errors.invalidUserAssertion('The assertion is not a well-formed JWT.')
    }
    const payload = await issuer.verifySignature(assertion)
    if (payload === undefined) {
      throw errors.invalidUserAssertion(
        'The provided signature value did not match the expected signature value, or the key was not found.',
      )
    }
    // Entra takes v1.0 and v2.0 user assertions alike.
    const issuers = [issuer.issuerFor(tenant.id), issuer.issuerV1For(tenant.id)]
    if (typeof payload.iss !== 'string' || !issuers.includes(payload.iss) || payload['tid'] !== tenant.id) {
      throw errors.invalidUserAssertion(
        `The assertion issuer '${String(payload.iss)}' does not match this tenant's issuer.`,
      )
    }
    const now = options.nowSeconds()
    const skew = options.assertionClockSkewSeconds
    if (typeof payload.exp !== 'number') throw errors.invalidUserAssertion("The assertion has no 'exp' claim.")
    if (payload.exp + skew <= now || (typeof payload.nbf === 'number' && payload.nbf - skew > now)) {
      throw errors.expiredUserAssertion(now, payload.exp)
    }
    const hasScp = typeof payload['scp'] === 'string'
    if (payload['idtyp'] === 'app' || (!hasScp && payload['roles'] !== undefined)) {
      throw errors.appOnlyAssertion(app.clientId, app.displayName)
    }
    if (!hasScp) throw errors.idTokenAsAssertion()
    const audiences = (Array.isArray(payload.aud) ? payload.aud : [payload.aud]).filter(
      (a): a is string => typeof a === 'string',
    )
    // An agent identity exchanges user tokens issued for its blueprint (aud = the blueprint), never its own.
    const blueprintId = options.federation?.blueprintOf(app.clientId)
    const audienceApp = blueprintId === undefined ? app : (directory.findApp(blueprintId) ?? app)
    const accepted = [audienceApp.clientId, ...audienceApp.identifierUris].map((a) =>
      a.replace(/\/+$/, '').toLowerCase(),
    )
    if (!audiences.some((aud) => accepted.includes(aud.replace(/\/+$/, '').toLowerCase()))) {
      throw errors.wrongAudience(audiences.join(' '), app.clientId, app.displayName)
    }
    return payload
  }

  const refreshToken = async (request: TokenRequest): Promise<TokenResponseBody> => {
    const client = await authenticate(request)
    const token = request.form.get('refresh_token')
    if (token === undefined || token === '') throw errors.missingParameter('refresh_token')
    const grant = options.refreshTokens.find(token)
    if (grant === undefined || grant.tenantId !== request.tenant.id) throw errors.invalidRefreshToken('malformed')
    if (grant.clientId !== client.app.clientId) throw errors.invalidRefreshToken('wrong-client')
    if (grant.expiresAt <= options.nowSeconds()) throw errors.invalidRefreshToken('expired')
    const user = directory.findUser(grant.userOid)
    if (user === undefined) throw errors.userNotFound(request.tenantSegment)
    if (user.disabled) throw errors.userDisabled()
    return issueDelegated({
      tenant: request.tenant,
      tenantSegment: request.tenantSegment,
      client,
      user,
      amr: grant.amr,
      scope: request.form.get('scope'),
      claims: parseClaimsRequest(request.form.get('claims')),
      wantsClientInfo: request.form.get('client_info') === '1',
    })
  }

  const agentToken = (request: TokenRequest, client: AuthenticatedClient, agentId: string): TokenResponseBody => {
    const federation = options.federation
    if (federation === undefined || !federation.isBlueprint(client.app.clientId)) {
      throw federationErrors.notABlueprint(client.app.clientId)
    }
    if (federation.blueprintOf(agentId) !== client.app.clientId) {
      throw federationErrors.agentNotFound(agentId, client.app.clientId)
    }
    const scope = request.form.get('scope') ?? ''
    if (!/^api:\/\/AzureADTokenExchange(USGov|China)?\/\.default$/.test(scope)) throw federationErrors.agentScope(scope)
    const lifetimes = options.lifetimes()
    const lifetimeSeconds = lifetimes.accessTokenSeconds
    return {
      token_type: 'Bearer',
      expires_in: lifetimeSeconds,
      ext_expires_in: lifetimeSeconds + lifetimes.extendedSeconds,
      access_token: federation.mintAgentToken(client.app, agentId.toLowerCase(), request.tenant.id, lifetimeSeconds),
    }
  }

  const clientCredentials = async (request: TokenRequest): Promise<TokenResponseBody> => {
    const client = await authenticate(request)
    const fmiPath = request.form.get('fmi_path')
    if (fmiPath !== undefined) return agentToken(request, client, fmiPath)
    const resource = resolveAppScope(directory, request.tenantSegment, request.form.get('scope'))
    const claims = parseClaimsRequest(request.form.get('claims'))
    const lifetimes = options.lifetimes()
    const lifetimeSeconds = claims.cp1
      ? lifetimes.caeAccessTokenSeconds
      : (resource.accessTokenLifetimeSeconds ?? lifetimes.accessTokenSeconds)
    const accessToken = issuer.sign({
      ...appAccessToken({
        issuer: issuer.issuerFor(request.tenant.id),
        tenantId: request.tenant.id,
        issuedAt: options.nowSeconds(),
        lifetimeSeconds,
        client: client.app,
        resource,
        clientAuth: client.method === 'private_key_jwt' ? '2' : '1',
        cp1: claims.cp1,
      }),
      ...options.federation?.agentClaims(client.app, 'autonomous'),
    })
    const body: TokenResponseBody = {
      token_type: 'Bearer',
      expires_in: lifetimeSeconds,
      ext_expires_in: lifetimeSeconds + lifetimes.extendedSeconds,
      access_token: accessToken,
    }
    const refreshIn = refreshInFor(lifetimes, lifetimeSeconds)
    if (refreshIn !== undefined) body.refresh_in = refreshIn
    return body
  }

  const resolveUser = (user: EmulatorUser | string | undefined): EmulatorUser => {
    if (user === undefined) throw new TypeError('issueUserToken: `user` is required unless `appOnly` is set')
    if (typeof user !== 'string') return user
    const found = directory.findUser(user)
    if (found === undefined) throw new TypeError(`issueUserToken: no user '${user}' in this emulator`)
    return found
  }

  const mintUserToken = (o: IssueUserTokenOptions): string => {
    const defaults = options.defaults()
    const v1 = o.version === '1.0'
    if (o.version !== undefined && o.version !== '1.0' && o.version !== '2.0') {
      throw new TypeError("issueUserToken: `version` must be '1.0' or '2.0'")
    }
    const defaultAudience =
      defaults.middleTierClientId === undefined
        ? undefined
        : v1
          ? (directory.findApp(defaults.middleTierClientId)?.appIdUri ?? defaults.middleTierClientId)
          : defaults.middleTierClientId
    const audience = o.audience ?? defaultAudience
    if (audience === undefined) {
      throw new TypeError('issueUserToken: `audience` is required (no default middle-tier app)')
    }
    const resource = directory.findResource(audience)
    const lifetimes = options.lifetimes()
    const issuedAt = o.issuedAt ?? options.nowSeconds()
    const lifetimeSeconds = o.lifetimeSeconds ?? lifetimes.userTokenSeconds
    const claims = parseClaimsRequest(o.claims)
    let payload: JWTPayload
    if (o.appOnly === true) {
      const clientId = o.clientId ?? defaults.daemonClientId
      const client = clientId === undefined ? undefined : directory.findApp(clientId)
      if (client === undefined) {
        throw new TypeError('issueUserToken: `clientId` must name a registered app for an app-only token')
      }
      const tenantId = o.tenantId ?? client.tenantId
      payload = appAccessToken({
        issuer: issuer.issuerFor(tenantId),
        tenantId,
        issuedAt,
        lifetimeSeconds,
        client,
        resource: resource ?? client,
        audience,
        clientAuth: '1',
        cp1: claims.cp1,
      })
    } else {
      const user = resolveUser(o.user)
      const tenantId = o.tenantId ?? user.tenantId
      const mfa = o.mfa === true || claims.capolids.includes(options.mfaPolicyId)
      payload = delegatedAccessToken({
        issuer: issuer.issuerFor(tenantId),
        tenantId,
        issuedAt,
        lifetimeSeconds,
        user,
        audience,
        resourceId: resource?.clientId ?? audience,
        clientId: o.clientId ?? defaults.frontEndClientId ?? audience,
        clientAuth: '0',
        scopeNames:
          o.scopes ?? (resource !== undefined && resource.scopes.length > 0 ? resource.scopes : ['access_as_user']),
        roles: resource === undefined ? [] : user.roles.filter((r) => resource.appRoles.includes(r)),
        amr: mfa ? ['pwd', 'mfa'] : ['pwd'],
        cp1: claims.cp1,
      })
    }
    if (v1) payload = toV1AccessToken(payload, issuer.issuerV1For(String(payload['tid'])))
    return issuer.sign({ ...payload, ...(o.extraClaims ?? {}) })
  }

  return {
    async token(request) {
      const grantType = request.form.get('grant_type')
      if (grantType === undefined || grantType === '') throw errors.missingParameter('grant_type')
      if (request.form.has('resource')) throw errors.resourceParameter()
      const clientId = request.form.get('client_id') ?? ''
      switch (grantType) {
        case JWT_BEARER:
          return { body: await onBehalfOf(request), clientId }
        case 'client_credentials':
          return { body: await clientCredentials(request), clientId }
        case 'refresh_token':
          return { body: await refreshToken(request), clientId }
        default:
          throw errors.unsupportedGrant(grantType)
      }
    },
    mintUserToken,
  }
}
