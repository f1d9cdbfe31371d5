import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  randomBytes,
  sign,
  X509Certificate,
} from 'node:crypto'
import type { KeyObject } from 'node:crypto'
import forge from 'node-forge'
import { base64url } from './ids.ts'

/**
 * An RSA key pair as PEM (PKCS#8 private key, SPKI public key) plus Node key objects.
 * @example
 * ```ts
 * const { privateKeyPem } = rsaKeyPair('token-signing')
 * ```
 */
export interface RsaKeyPair {
  readonly privateKeyPem: string
  readonly publicKeyPem: string
  readonly privateKey: KeyObject
  readonly publicKey: KeyObject
}

/**
 * An X.509 certificate with the fingerprints Entra and JOSE headers use.
 * @example
 * ```ts
 * describeCertificate(pem).x5tS256
 * ```
 */
export interface CertificateInfo {
  /** PEM of the certificate. */
  readonly certificatePem: string
  /** Standard base64 of the DER certificate (the form `x5c` carries). */
  readonly derBase64: string
  /** SHA-1 thumbprint, upper-case hex (what the Azure portal shows). */
  readonly thumbprintSha1Hex: string
  /** SHA-256 thumbprint, upper-case hex. */
  readonly thumbprintSha256Hex: string
  /** base64url SHA-1 thumbprint: the `x5t` header value. */
  readonly x5t: string
  /** base64url SHA-256 thumbprint: the `x5t#S256` header value. */
  readonly x5tS256: string
  /** The certificate's public key. */
  readonly publicKey: KeyObject
}

/**
 * The TLS material of one emulator: a CA and a server certificate it signed.
 * @example
 * ```ts
 * https.createServer({ key: tls.serverPrivateKeyPem, cert: tls.serverCertificatePem })
 * ```
 */
export interface TlsMaterial {
  readonly caCertificatePem: string
  readonly serverCertificatePem: string
  readonly serverPrivateKeyPem: string
}

// RSA generation is the slow part of a start; key pairs are made once per process and role.
const keyPairs = new Map<string, RsaKeyPair>()

/**
 * Returns the process-wide RSA-2048 key pair for a role, generating it (natively) on first use.
 *
 * @example
 * ```ts
 * const signing = rsaKeyPair('token-signing')
 * rsaKeyPair('token-signing') === signing // true
 * ```
 */
export function rsaKeyPair(role: string): RsaKeyPair {
  const cached = keyPairs.get(role)
  if (cached !== undefined) return cached
  const pair = freshRsaKeyPair()
  keyPairs.set(role, pair)
  return pair
}

/**
 * Generates a new RSA-2048 key pair (not cached).
 *
 * @example
 * ```ts
 * const { privateKeyPem } = freshRsaKeyPair()
 * ```
 */
export function freshRsaKeyPair(): RsaKeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
  return {
    privateKey,
    publicKey,
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  }
}

/**
 * Reads a PEM certificate and computes its thumbprints.
 *
 * @example
 * ```ts
 * const info = describeCertificate(pem)
 * info.x5tS256 // base64url SHA-256 of the DER bytes
 * ```
 */
export function describeCertificate(certificatePem: string): CertificateInfo {
  const x509 = new X509Certificate(certificatePem)
  const der = x509.raw
  const sha1 = createHash('sha1').update(der).digest()
  const sha256 = createHash('sha256').update(der).digest()
  return {
    certificatePem: x509.toString(),
    derBase64: der.toString('base64'),
    thumbprintSha1Hex: sha1.toString('hex').toUpperCase(),
    thumbprintSha256Hex: sha256.toString('hex').toUpperCase(),
    x5t: base64url(sha1),
    x5tS256: base64url(sha256),
    publicKey: x509.publicKey,
  }
}

interface CertificateRequest {
  readonly commonName: string
  readonly subjectKeyPem: string
  readonly issuer?: { readonly certificatePem: string; readonly privateKeyPem: string }
  readonly issuerKeyPem: string
  readonly validityDays: number
  readonly extensions: readonly object[]
}

function forgePrivateKey(pem: string): forge.pki.rsa.PrivateKey {
  // forge reads PKCS#1 reliably; Node converts whatever PEM we hold.
  const pkcs1 = createPrivateKey(pem).export({ type: 'pkcs1', format: 'pem' }).toString()
  return forge.pki.privateKeyFromPem(pkcs1)
}

function forgePublicKey(privateKeyPem: string): forge.pki.rsa.PublicKey {
  const spki = createPublicKey(privateKeyPem).export({ type: 'spki', format: 'pem' }).toString()
  return forge.pki.publicKeyFromPem(spki)
}

function buildCertificate(request: CertificateRequest): string {
  const cert = forge.pki.createCertificate()
  cert.publicKey = forgePublicKey(request.subjectKeyPem)
  // A positive serial: clear the top bit of the first byte.
  const serial = randomBytes(16)
  serial[0] = (serial[0] ?? 0) & 0x7f
  cert.serialNumber = serial.toString('hex')
  const now = Date.now()
  cert.validity.notBefore = new Date(now - 24 * 3600 * 1000)
  cert.validity.notAfter = new Date(now + request.validityDays * 24 * 3600 * 1000)
  cert.setSubject([
    { name: 'commonName', value: request.commonName },
    { name: 'organizationName', value: 'onbehalf Entra emulator' },
  ])
  if (request.issuer === undefined) {
    cert.setIssuer(cert.subject.attributes)
  } else {
    cert.setIssuer(forge.pki.certificateFromPem(request.issuer.certificatePem).subject.attributes)
  }
  cert.setExtensions([...request.extensions, { name: 'subjectKeyIdentifier' }])
  // forge assembles the TBSCertificate; Node signs it natively (forge's pure-JS RSA is ~10× slower).
  const algorithmOid = forge.pki.oids['sha256WithRSAEncryption'] ?? '1.2.840.113549.1.1.11'
  cert.signatureOid = algorithmOid
  cert.siginfo.algorithmOid = algorithmOid
  // getTBSCertificate exists in forge but is missing from its type definitions.
  const pki = forge.pki as unknown as { getTBSCertificate(c: forge.pki.Certificate): forge.asn1.Asn1 }
  const tbs = forge.asn1.toDer(pki.getTBSCertificate(cert)).getBytes()
  cert.signature = sign('sha256', Buffer.from(tbs, 'binary'), createPrivateKey(request.issuerKeyPem)).toString('binary')
  return forge.pki.certificateToPem(cert)
}

let tlsMaterial: TlsMaterial | undefined

/**
 * The process-wide TLS material: a CA certificate and a server certificate for `127.0.0.1`, `::1` and
 * `localhost`, signed by that CA. Generated on first use.
 *
 * @example
 * ```ts
 * const { caCertificatePem } = emulatorTlsMaterial()
 * ```
 */
export function emulatorTlsMaterial(): TlsMaterial {
  if (tlsMaterial !== undefined) return tlsMaterial
  const ca = rsaKeyPair('tls-ca')
  const server = rsaKeyPair('tls-server')
  const caCertificatePem = buildCertificate({
    commonName: 'onbehalf Entra Emulator Local CA',
    subjectKeyPem: ca.privateKeyPem,
    issuerKeyPem: ca.privateKeyPem,
    validityDays: 3650,
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    ],
  })
  const serverCertificatePem = buildCertificate({
    commonName: 'localhost',
    subjectKeyPem: server.privateKeyPem,
    issuer: { certificatePem: caCertificatePem, privateKeyPem: ca.privateKeyPem },
    issuerKeyPem: ca.privateKeyPem,
    validityDays: 365,
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          { type: 7, ip: '127.0.0.1' },
          { type: 7, ip: '::1' },
          { type: 2, value: 'localhost' },
        ],
      },
    ],
  })
  tlsMaterial = { caCertificatePem, serverCertificatePem, serverPrivateKeyPem: server.privateKeyPem }
  return tlsMaterial
}

/**
 * Builds a self-signed certificate (2 years) for a key, as an app registration's certificate credential or
 * the token-signing certificate published in `x5c`.
 *
 * @example
 * ```ts
 * const keys = freshRsaKeyPair()
 * const pem = selfSignedCertificate({ commonName: 'middle-tier', privateKeyPem: keys.privateKeyPem })
 * ```
 */
export function selfSignedCertificate(options: { commonName: string; privateKeyPem: string }): string {
  return buildCertificate({
    commonName: options.commonName,
    subjectKeyPem: options.privateKeyPem,
    issuerKeyPem: options.privateKeyPem,
    validityDays: 730,
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    ],
  })
}

/**
 * Packs a private key and its certificate into a password-protected PKCS#12 (PFX) file, 3DES-encrypted as
 * the Azure portal and `openssl pkcs12 -legacy` produce.
 *
 * @example
 * ```ts
 * const pfx = toPkcs12({ certificatePem, privateKeyPem, password: 'pw', friendlyName: 'app' })
 * ```
 */
export function toPkcs12(options: {
  certificatePem: string
  privateKeyPem: string
  password: string
  friendlyName: string
}): Uint8Array {
  const asn1 = forge.pkcs12.toPkcs12Asn1(
    forgePrivateKey(options.privateKeyPem),
    [forge.pki.certificateFromPem(options.certificatePem)],
    options.password,
    { algorithm: '3des', friendlyName: options.friendlyName },
  )
  return new Uint8Array(Buffer.from(forge.asn1.toDer(asn1).getBytes(), 'binary'))
}
