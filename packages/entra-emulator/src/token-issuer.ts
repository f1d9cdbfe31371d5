import { createHash, sign as cryptoSign } from 'node:crypto'
import { compactVerify, decodeProtectedHeader } from 'jose'
import type { JWTPayload } from 'jose'
import { describeCertificate, rsaKeyPair, selfSignedCertificate } from './key-store.ts'
import type { CertificateInfo, RsaKeyPair } from './key-store.ts'
import { base64url } from './ids.ts'

/**
 * A public signing key as the JWKS publishes it (Entra's shape: `kid` = `x5t`, `x5c`, `issuer`).
 * @example
 * ```ts
 * issuer.jwks(tenantId).keys[0]?.kid
 * ```
 */
export interface PublishedJwk {
  kty: 'RSA'
  use: 'sig'
  kid: string
  x5t: string
  n: string
  e: string
  x5c: string[]
  issuer: string
}

/**
 * Signs and verifies the tokens the emulator issues; publishes its key.
 * @example
 * ```ts
 * const jwt = issuer.sign({ aud, iss: issuer.issuerFor(tenantId) })
 * ```
 */
export interface TokenIssuer {
  /** `kid` (= `x5t`) of the signing key. */
  readonly kid: string
  /** The v2 issuer of a tenant: `${authorityHost}/${tenantId}/v2.0`. */
  issuerFor(tenantId: string): string
  /** The v1 issuer of a tenant, as Entra names it: `https://sts.windows.net/${tenantId}/`. */
  issuerV1For(tenantId: string): string
  /** The JWKS document; `issuerTenant` is a tenant ID or the template `{tenantid}`. */
  jwks(issuerTenant: string): { keys: PublishedJwk[] }
  /** Signs a JWT (RS256, header `typ`, `kid`) with the emulator's key. Synchronous (native RSA). */
  sign(payload: JWTPayload): string
  /** Verifies a JWT's signature against the emulator's key; returns `undefined` when it does not verify. */
  verifySignature(token: string): Promise<JWTPayload | undefined>
}

let signingCredential: { keys: RsaKeyPair; certificate: CertificateInfo } | undefined

function processSigningCredential(): { keys: RsaKeyPair; certificate: CertificateInfo } {
  if (signingCredential === undefined) {
    const keys = rsaKeyPair('token-signing')
    const certificate = describeCertificate(
      selfSignedCertificate({ commonName: 'onbehalf Entra Emulator token signing', privateKeyPem: keys.privateKeyPem }),
    )
    signingCredential = { keys, certificate }
  }
  return signingCredential
}

/**
 * Creates the token issuer of one emulator. The signing key is shared by all emulators of the process
 * (like Entra's global signing keys); the `iss` claim tells emulators apart.
 *
 * @example
 * ```ts
 * const issuer = createTokenIssuer({ authorityHost: 'https://127.0.0.1:4000' })
 * const jwt = await issuer.sign({ aud: 'x', iss: issuer.issuerFor(tenantId) })
 * ```
 */
export function createTokenIssuer(options: { authorityHost: string }): TokenIssuer {
  const { keys, certificate } = processSigningCredential()
  const kid = certificate.x5t
  const publicJwk = keys.publicKey.export({ format: 'jwk' })
  return {
    kid,
    issuerFor: (tenantId) => `${options.authorityHost}/${tenantId}/v2.0`,
    issuerV1For: v1Issuer,
    jwks: (issuerTenant) => ({
      keys: [
        {
          kty: 'RSA',
          use: 'sig',
          kid,
          x5t: kid,
          n: String(publicJwk.n),
          e: String(publicJwk.e),
          x5c: [certificate.derBase64],
          issuer: `${options.authorityHost}/${issuerTenant}/v2.0`,
        },
      ],
    }),
    sign: (payload) => {
      const signingInput = `${base64url(JSON.stringify({ typ: 'JWT', alg: 'RS256', kid }))}.${base64url(JSON.stringify(payload))}`
      return `${signingInput}.${base64url(cryptoSign('sha256', Buffer.from(signingInput), keys.privateKey))}`
    },
    verifySignature: async (token) => {
      try {
        if (decodeProtectedHeader(token).kid !== kid) return undefined
        const { payload } = await compactVerify(token, keys.publicKey, { algorithms: ['RS256'] })
        return JSON.parse(new TextDecoder().decode(payload)) as JWTPayload
      } catch {
        return undefined
      }
    },
  }
}

/**
 * The pairwise `sub` Entra gives a user per recipient app: stable for (tenant, user, app), different across apps.
 *
 * @example
 * ```ts
 * pairwiseSubject(tid, oid, clientId) !== pairwiseSubject(tid, oid, otherClientId) // true
 * ```
 */
export function pairwiseSubject(tenantId: string, oid: string, appId: string): string {
  return base64url(createHash('sha256').update(`${tenantId}|${oid}|${appId}`).digest()).slice(0, 43)
}

/**
 * The issuer of v1.0 access tokens. Entra names it after `sts.windows.net` whatever host issued the token (it is a
 * name, never fetched), so the emulator does too; `{tenantid}` gives the multi-tenant template.
 *
 * @example
 * ```ts
 * v1Issuer(tenantId) // 'https://sts.windows.net/<tenantId>/'
 * ```
 */
export function v1Issuer(tenantId: string): string {
  return `https://sts.windows.net/${tenantId}/`
}
