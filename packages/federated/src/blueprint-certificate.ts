/**
 * A blueprint authenticating with a certificate: a `private_key_jwt` client assertion (PS256, `x5t#S256`),
 * signed with Web Crypto. Certificate parsing (PEM or PKCS#12, encrypted keys) is `@onbehalf/certificate`'s,
 * an optional peer loaded only when a certificate is used, so the package depends on core alone.
 *
 * @module
 */
import type { ClientCertificate } from '@onbehalf/certificate'
import { OboError } from '@onbehalf/core'

/** A certificate credential of the blueprint. */
export interface BlueprintCertificate {
  /** PEM (private key + certificate, key possibly encrypted) as text or bytes, or PKCS#12 bytes. */
  readonly clientCertificate: string | Uint8Array
  /** Password of an encrypted PEM key or a PKCS#12 file. */
  readonly password?: string | Uint8Array
  /** Send the `x5c` chain (subject name / issuer authentication). */
  readonly sendCertificateChain?: boolean
}

/** Lifetime of one signed assertion: 10 minutes, Entra's maximum. */
const assertionLifetimeSeconds = 600

/**
 * A signer of client assertions for `clientId`, built on first use.
 *
 * @throws OboError `INVALID_ARGUMENT` when `@onbehalf/certificate` is not installed; `INVALID_CERTIFICATE` for a
 *   certificate it cannot read.
 * @example
 * ```ts
 * const sign = certificateAssertionSigner({ clientCertificate: pem }, blueprintClientId)
 * const jwt = await sign('https://login.microsoftonline.com/contoso/oauth2/v2.0/token')
 * ```
 */
export function certificateAssertionSigner(
  credential: BlueprintCertificate,
  clientId: string,
): (tokenEndpoint: string) => Promise<string> {
  let prepared: Promise<{ readonly key: CryptoKey; readonly header: string }> | undefined

  const prepare = async (): Promise<{ readonly key: CryptoKey; readonly header: string }> => {
    let load: (input: string | Uint8Array, password?: string | Uint8Array) => ClientCertificate
    try {
      load = (await import('@onbehalf/certificate')).loadClientCertificate
    } catch (error) {
      throw new OboError(
        'A certificate blueprint credential needs @onbehalf/certificate: install it next to @onbehalf/federated.',
        { code: 'INVALID_ARGUMENT', cause: error },
      )
    }
    const certificate = load(credential.clientCertificate, credential.password)
    const der = pemBody(certificate.privateKeyPem)
    const key = await crypto.subtle.importKey('pkcs8', der, { name: 'RSA-PSS', hash: 'SHA-256' }, false, ['sign'])
    const header = base64UrlJson({
      alg: 'PS256',
      typ: 'JWT',
      'x5t#S256': certificate.x5tS256,
      ...(credential.sendCertificateChain === true ? { x5c: [...certificate.x5c] } : {}),
    })
    return { key, header }
  }

  return async (tokenEndpoint) => {
    prepared ??= prepare().catch((error: unknown) => {
      prepared = undefined
      throw error
    })
    const { key, header } = await prepared
    const now = Math.floor(Date.now() / 1000)
    const payload = base64UrlJson({
      aud: tokenEndpoint,
      iss: clientId,
      sub: clientId,
      jti: crypto.randomUUID(),
      iat: now,
      nbf: now,
      exp: now + assertionLifetimeSeconds,
    })
    const input = `${header}.${payload}`
    const signature = await crypto.subtle.sign(
      { name: 'RSA-PSS', saltLength: 32 },
      key,
      new TextEncoder().encode(input),
    )
    return `${input}.${base64Url(new Uint8Array(signature))}`
  }
}

function pemBody(pem: string): Uint8Array<ArrayBuffer> {
  const base64 = pem.replace(/-----(BEGIN|END) [A-Z ]+-----/g, '').replace(/\s+/g, '')
  return Uint8Array.from(atob(base64), (c) => c.charCodeAt(0))
}

function base64UrlJson(value: unknown): string {
  return base64Url(new TextEncoder().encode(JSON.stringify(value)))
}

function base64Url(bytes: Uint8Array): string {
  let binary = ''
  for (const byte of bytes) binary += String.fromCharCode(byte)
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
}
