/**
 * Certificate client assertions (`private_key_jwt`): a JWT signed with the app's RSA key, PS256 with
 * `x5t#S256` by default (RS256 with `x5t` on request), `aud` = the token endpoint, 10 minutes of validity.
 * The key is imported once; a signed assertion is reused per token endpoint until 2 minutes before it
 * expires, so a cache miss does not pay an RSA signature.
 *
 * @module
 */
import type { ClientCertificate } from '@onbehalf/certificate'
import { OboError } from '@onbehalf/core'
import { importPKCS8, SignJWT, type CryptoKey } from 'jose'

/**
 * The JWS algorithms offered for client assertions: PS256 (with `x5t#S256`, Entra's current guidance) or
 * RS256 (with `x5t`).
 *
 * @example
 * ```ts
 * const algorithm: SigningAlgorithm = 'PS256'
 * ```
 */
export type SigningAlgorithm = 'PS256' | 'RS256'

/** Lifetime of a signed client assertion (what msal-node uses). */
export const assertionLifetimeMs = 10 * 60_000
/** A cached assertion is replaced this long before it expires, so it is never sent nearly expired. */
export const assertionReuseMarginMs = 2 * 60_000
const maxCachedAudiences = 256

/** What {@link createAssertionSigner} needs. */
export interface AssertionSignerOptions {
  readonly certificate: ClientCertificate
  readonly clientId: string
  readonly algorithm: SigningAlgorithm
  readonly sendCertificateChain: boolean
  readonly now?: () => number
}

/** Produces (or reuses) the client assertion for a token endpoint. */
export interface AssertionSigner {
  assertionFor(tokenEndpoint: string): Promise<string>
  /** Drops the cached assertion for `tokenEndpoint` (e.g. after Entra said it is outside its time range). */
  forget(tokenEndpoint: string): void
}

interface CachedAssertion {
  readonly jwt: Promise<string>
  readonly renewAtMs: number
}

/**
 * Creates the signer for one engine.
 *
 * @example
 * ```ts
 * const signer = createAssertionSigner({ certificate, clientId, algorithm: 'PS256', sendCertificateChain: false })
 * const jwt = await signer.assertionFor('https://login.microsoftonline.com/contoso/oauth2/v2.0/token')
 * ```
 */
export function createAssertionSigner(options: AssertionSignerOptions): AssertionSigner {
  const now = options.now ?? Date.now
  let key: Promise<CryptoKey> | undefined
  const cache = new Map<string, CachedAssertion>()

  const importKey = (): Promise<CryptoKey> => {
    key ??= importPKCS8(options.certificate.privateKeyPem, options.algorithm).catch((error: unknown) => {
      key = undefined
      throw new OboError('The client certificate key could not be imported for signing.', {
        code: 'INVALID_CERTIFICATE',
        cause: error,
      })
    })
    return key
  }

  const sign = async (audience: string, issuedAtMs: number): Promise<string> => {
    const issuedAt = Math.floor(issuedAtMs / 1000)
    const header = {
      alg: options.algorithm,
      typ: 'JWT',
      ...(options.algorithm === 'PS256'
        ? { 'x5t#S256': options.certificate.x5tS256 }
        : { x5t: options.certificate.x5t }),
      ...(options.sendCertificateChain ? { x5c: [...options.certificate.x5c] } : {}),
    }
    return new SignJWT({})
      .setProtectedHeader(header)
      .setIssuer(options.clientId)
      .setSubject(options.clientId)
      .setAudience(audience)
      .setJti(crypto.randomUUID())
      .setIssuedAt(issuedAt)
      .setNotBefore(issuedAt)
      .setExpirationTime(issuedAt + assertionLifetimeMs / 1000)
      .sign(await importKey())
  }

  return {
    assertionFor(tokenEndpoint) {
      const nowMs = now()
      const cached = cache.get(tokenEndpoint)
      if (cached !== undefined && nowMs < cached.renewAtMs) return cached.jwt
      const jwt = sign(tokenEndpoint, nowMs)
      const entry: CachedAssertion = { jwt, renewAtMs: nowMs + assertionLifetimeMs - assertionReuseMarginMs }
      cache.delete(tokenEndpoint)
      cache.set(tokenEndpoint, entry)
      if (cache.size > maxCachedAudiences) {
        const oldest = cache.keys().next()
        if (oldest.done !== true) cache.delete(oldest.value)
      }
      // A failed signature is not reused.
      jwt.catch(() => {
        if (cache.get(tokenEndpoint) === entry) cache.delete(tokenEndpoint)
      })
      return jwt
    },
    forget(tokenEndpoint) {
      cache.delete(tokenEndpoint)
    },
  }
}
