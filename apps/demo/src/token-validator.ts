/**
 * Bearer-token validation for an API that Entra protects: signature from the issuer's JWKS, issuer,
 * audience, lifetime, the delegated scope the route needs and (optionally) which client app may call.
 * Both demo APIs use it; it is the part a team copies first.
 *
 * @module
 */
import { createRemoteJWKSet, customFetch, errors as joseErrors, jwtVerify, type JWTPayload } from 'jose'

/** Options of {@link createTokenValidator}. */
export interface TokenValidatorOptions {
  /** The issuer's JWKS URL (`jwks_uri` of its OpenID configuration). */
  readonly jwksUri: string
  /** Accepted `iss` values (v2: `https://login.microsoftonline.com/{tid}/v2.0`; v1: `https://sts.windows.net/{tid}/`). */
  readonly issuers: readonly string[]
  /** Accepted `aud` values: this API's client ID (v2 tokens) and App ID URI (v1 tokens). */
  readonly audiences: readonly string[]
  /** Client apps allowed to call (`azp` in v2 tokens, `appid` in v1); omitted = any client of the tenant. */
  readonly authorizedParties?: readonly string[]
  /** The `fetch` for the JWKS (e.g. one that trusts the emulator's CA). */
  readonly fetch?: typeof globalThis.fetch
  /** Allowed clock skew, in seconds. Default 60. */
  readonly clockToleranceSeconds?: number
}

/** A validated delegated token: its claims and its `scp` split into names. */
export interface ValidatedToken {
  readonly claims: JWTPayload
  readonly scopes: readonly string[]
}

/** Validates `Authorization` headers. */
export interface TokenValidator {
  /**
   * Validates a header value and checks that `scp` holds `requiredScope`.
   * Throws {@link BearerError}: 401 `invalid_token` or 403 `insufficient_scope`.
   */
  validate(authorization: string | undefined, requiredScope: string): Promise<ValidatedToken>
}

/**
 * Why a bearer token was refused, in RFC 6750 terms. The message is safe to return: it never holds the token.
 *
 * @example
 * ```ts
 * catch (error) {
 *   if (error instanceof BearerError) reply.code(error.status).header('WWW-Authenticate', error.toWwwAuthenticate())
 * }
 * ```
 */
export class BearerError extends Error {
  readonly status: 401 | 403
  readonly error: 'invalid_token' | 'insufficient_scope'
  readonly requiredScope: string | undefined

  constructor(
    message: string,
    options: {
      status: 401 | 403
      error: 'invalid_token' | 'insufficient_scope'
      requiredScope?: string
      cause?: unknown
    },
  ) {
    super(message, { cause: options.cause })
    this.name = 'BearerError'
    this.status = options.status
    this.error = options.error
    this.requiredScope = options.requiredScope
  }

  /** The RFC 6750 challenge for the response. */
  toWwwAuthenticate(): string {
    const description = this.message.replace(/["\\]/g, "'")
    const scope = this.requiredScope === undefined ? '' : `, scope="${this.requiredScope}"`
    return `Bearer error="${this.error}", error_description="${description}"${scope}`
  }
}

const bearerPattern = /^Bearer ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)$/

/**
 * Creates a validator. The JWKS is fetched on first use, cached, and refetched when a token names an
 * unknown `kid` (key rollover), as `jose`'s remote key set does.
 *
 * @example
 * ```ts
 * const validator = createTokenValidator({ jwksUri, issuers: [issuer], audiences: [clientId] })
 * const { claims } = await validator.validate(request.headers.authorization, 'access_as_user')
 * ```
 */
export function createTokenValidator(options: TokenValidatorOptions): TokenValidator {
  const customFetchImpl = options.fetch
  const jwks = createRemoteJWKSet(new URL(options.jwksUri), {
    ...(customFetchImpl === undefined
      ? {}
      : { [customFetch]: (url: string, init: RequestInit) => customFetchImpl(url, init) }),
  })
  const issuers = [...options.issuers]
  const audiences = [...options.audiences]
  const parties =
    options.authorizedParties === undefined ? undefined : new Set(options.authorizedParties.map((p) => p.toLowerCase()))

  return {
    async validate(authorization, requiredScope) {
      const match = authorization === undefined ? null : bearerPattern.exec(authorization.trim())
      if (match?.[1] === undefined) {
        throw new BearerError('Send an access token as "Authorization: Bearer <token>".', {
          status: 401,
          error: 'invalid_token',
        })
      }
      let claims: JWTPayload
      try {
        ;({ payload: claims } = await jwtVerify(match[1], jwks, {
          issuer: issuers,
          audience: audiences,
          algorithms: ['RS256'],
          clockTolerance: options.clockToleranceSeconds ?? 60,
          requiredClaims: ['exp', 'iat', 'tid', 'oid'],
        }))
      } catch (error) {
        throw new BearerError(describeFailure(error), { status: 401, error: 'invalid_token', cause: error })
      }
      if (claims['idtyp'] === 'app' || typeof claims['scp'] !== 'string') {
        throw new BearerError('A delegated (user) token is required; app-only tokens have no scp.', {
          status: 401,
          error: 'invalid_token',
        })
      }
      const client = typeof claims['azp'] === 'string' ? claims['azp'] : claims['appid']
      if (parties !== undefined && (typeof client !== 'string' || !parties.has(client.toLowerCase()))) {
        throw new BearerError('The token was issued to a client app that may not call this API (azp).', {
          status: 401,
          error: 'invalid_token',
        })
      }
      const scopes = claims['scp'].split(' ').filter((s) => s.length > 0)
      if (!scopes.includes(requiredScope)) {
        throw new BearerError(`The token lacks the delegated scope '${requiredScope}'.`, {
          status: 403,
          error: 'insufficient_scope',
          requiredScope,
        })
      }
      return { claims, scopes }
    },
  }
}

function describeFailure(error: unknown): string {
  if (error instanceof joseErrors.JWTExpired) return 'The token has expired.'
  if (error instanceof joseErrors.JWTClaimValidationFailed) {
    return `The token's '${error.claim}' claim is not accepted here.`
  }
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) return 'The token signature is invalid.'
  if (error instanceof joseErrors.JWKSNoMatchingKey) return 'The token was not signed by a key of the issuer.'
  if (error instanceof joseErrors.JOSEError) return `The token is not valid (${error.code}).`
  return 'The token could not be validated.'
}
