/**
 * `parseClientCertificate`: PEM or PKCS#12 in, everything an Entra client assertion needs out.
 *
 * @module
 */
import forge from 'node-forge'
import { binaryToBase64, binaryToBase64Url, binaryToHex, toBinaryString, utf8Bytes, utf8Text } from './bytes.ts'
import { certificateError } from './errors.ts'
import { looksLikePem, readPem, type CertificateMaterial } from './pem.ts'
import { readPkcs12 } from './pkcs12.ts'
import { orderChain, renderName, type CertificateEntry } from './x509.ts'

/**
 * A parsed client certificate: the RSA key as unencrypted PKCS#8 PEM (ready for `jose.importPKCS8` or
 * msal-node), the leaf certificate, the `x5c` chain and the thumbprints in every form Entra uses.
 *
 * @example
 * ```ts
 * const { privateKeyPem, x5tS256 } = loadClientCertificate(pfxBytes, password)
 * const key = await importPKCS8(privateKeyPem, 'PS256')
 * ```
 */
export interface ClientCertificate {
  /**
   * Unencrypted PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`). Keep it in memory only. Not enumerable: it is left
   * out of `JSON.stringify`, `util.inspect` / `console.log` and `{ ...certificate }`; read it by name.
   */
  readonly privateKeyPem: string
  /** The leaf certificate as PEM. */
  readonly certificatePem: string
  /** Standard base64 (not url) DER of the leaf first, then its chain: the JWS `x5c` header. */
  readonly x5c: readonly string[]
  /** Lowercase hex SHA-1 over the leaf DER (what the Azure portal shows). */
  readonly thumbprintSha1: string
  /** Lowercase hex SHA-256 over the leaf DER. */
  readonly thumbprintSha256: string
  /** base64url SHA-1 of the leaf DER: the JWS `x5t` header (RS256 assertions). */
  readonly x5t: string
  /** base64url SHA-256 of the leaf DER: the JWS `x5t#S256` header (PS256 assertions). */
  readonly x5tS256: string
  /** The leaf's expiry, epoch milliseconds. */
  readonly notAfter: number
  /** The leaf's subject, e.g. `CN=middle-tier`. */
  readonly subject: string
}

/**
 * Reads a client certificate from PEM (text or bytes: the private key — PKCS#8, PKCS#1, encrypted PKCS#8 or
 * legacy-encrypted PKCS#1 — plus the certificate and optional chain) or PKCS#12 bytes (modern AES or legacy
 * 3DES/RC2). PEM is recognised by its `-----BEGIN` marker; anything else is read as PKCS#12.
 *
 * Throws `OboError` with code `INVALID_CERTIFICATE` naming the cause: not PEM/PKCS#12, wrong or missing
 * password, no private key, no certificate, a non-RSA key, or a key that does not match the certificate.
 *
 * @param input PEM text, PEM bytes or PKCS#12 bytes.
 * @param password The password of an encrypted key or PKCS#12 file; a string is taken as UTF-8.
 * @example
 * ```ts
 * const certificate = parseClientCertificate(await readFile('middle-tier.pfx'), process.env.PFX_PASSWORD)
 * console.log(certificate.thumbprintSha1, certificate.subject)
 * ```
 */
export function parseClientCertificate(input: string | Uint8Array, password?: string | Uint8Array): ClientCertificate {
  if (typeof input !== 'string' && !isBytes(input)) {
    throw certificateError('expected PEM text or the bytes of a PEM or PKCS#12 file.')
  }
  if (input.length === 0) throw certificateError('the certificate input is empty.')
  const material = readMaterial(input, password)
  return assemble(material)
}

/** Uint8Array or a subclass (Buffer), also from another realm (vm contexts, workers), where instanceof fails. */
function isBytes(value: unknown): value is Uint8Array {
  return (
    value instanceof Uint8Array ||
    (ArrayBuffer.isView(value) && Object.prototype.toString.call(value) === '[object Uint8Array]')
  )
}

function readMaterial(input: string | Uint8Array, password: string | Uint8Array | undefined): CertificateMaterial {
  const text = typeof input === 'string' ? input : pemTextOf(input)
  if (text !== undefined) {
    if (!looksLikePem(text)) {
      throw certificateError(
        'the text is not PEM (no -----BEGIN marker). Pass PEM text with the key and certificate, or PKCS#12 bytes (not a string).',
      )
    }
    return readPem(text, password === undefined ? undefined : passwordBytes(password))
  }
  return readPkcs12(toBinaryString(input as Uint8Array), password === undefined ? undefined : passwordText(password))
}

/** The text of PEM bytes, or `undefined` when the bytes are not PEM (then they are read as PKCS#12). */
function pemTextOf(bytes: Uint8Array): string | undefined {
  // PKCS#12 is DER and starts with a SEQUENCE tag; PEM starts with text. Decode leniently, then look for the marker.
  const text = utf8Text(bytes)
  return text !== undefined && looksLikePem(text) ? text : undefined
}

function passwordBytes(password: string | Uint8Array): string {
  return toBinaryString(typeof password === 'string' ? utf8Bytes(password) : password)
}

function passwordText(password: string | Uint8Array): string {
  if (typeof password === 'string') return password
  const text = utf8Text(password)
  if (text === undefined) throw certificateError('the password bytes are not valid UTF-8; PKCS#12 passwords are text.')
  return text
}

function assemble(material: CertificateMaterial): ClientCertificate {
  const [key, ...extraKeys] = material.keys
  if (key === undefined) {
    throw certificateError(
      'no private key found. The input must contain the private key as well as the certificate ' +
        '(for PKCS#12, export it with the key; for PEM, concatenate the key and certificate).',
    )
  }
  if (extraKeys.length > 0) {
    throw certificateError(`found ${material.keys.length} private keys; keep only the one of the client certificate.`)
  }
  if (material.certificates.length === 0) {
    throw certificateError(
      'no certificate found, only a private key. Add the certificate (PEM: append its -----BEGIN CERTIFICATE----- block).',
    )
  }
  const leaf = material.certificates.find((entry) => matches(key, entry))
  if (leaf === undefined) {
    const first = material.certificates[0]
    if (first !== undefined && material.certificates.every((entry) => entry.parsed === undefined)) {
      throw certificateError(
        'the certificate does not hold an RSA public key. Entra client assertions here need an RSA certificate.',
      )
    }
    throw certificateError(
      'the private key does not match the certificate (different public key). Pair the key with the certificate it was issued for.',
    )
  }
  const parsed = leaf.parsed as forge.pki.Certificate
  const chain = orderChain(leaf, material.certificates)
  const sha1 = forge.md.sha1.create().update(leaf.der).digest().getBytes()
  const sha256 = forge.md.sha256.create().update(leaf.der).digest().getBytes()
  const certificate = {
    certificatePem: forge.pem.encode({ type: 'CERTIFICATE', body: leaf.der }),
    x5c: Object.freeze(chain.map((entry) => binaryToBase64(entry.der))),
    thumbprintSha1: binaryToHex(sha1),
    thumbprintSha256: binaryToHex(sha256),
    x5t: binaryToBase64Url(sha1),
    x5tS256: binaryToBase64Url(sha256),
    notAfter: parsed.validity.notAfter.getTime(),
    subject: renderName(parsed.subject.attributes),
  }
  // The key is readable but not enumerable, so JSON.stringify, util.inspect, console.log, object spread and
  // structured logging of the certificate never print it; inspect still shows that a key is there.
  Object.defineProperties(certificate, {
    privateKeyPem: {
      value: forge.pki.privateKeyInfoToPem(forge.pki.wrapRsaPrivateKey(forge.pki.privateKeyToAsn1(key))),
      enumerable: false,
    },
    [inspectCustom]: { value: inspectWithoutKey, enumerable: false },
  })
  return Object.freeze(certificate as typeof certificate & Pick<ClientCertificate, 'privateKeyPem'>)
}

// Node's util.inspect hook, by its registered name: this package imports nothing Node-only.
const inspectCustom = Symbol.for('nodejs.util.inspect.custom')

function inspectWithoutKey(
  this: Record<string, unknown>,
  _depth: number,
  options: object,
  inspect: (value: unknown, options: object) => string,
): string {
  // Even with `showHidden`, which would list non-enumerable properties.
  return `ClientCertificate ${inspect({ ...this, privateKeyPem: '[redacted]' }, options)}`
}

function matches(key: forge.pki.rsa.PrivateKey, entry: CertificateEntry): boolean {
  const publicKey = entry.parsed?.publicKey as Partial<forge.pki.rsa.PublicKey> | undefined
  if (publicKey?.n === undefined || publicKey.e === undefined) return false
  return publicKey.n.equals(key.n) && publicKey.e.equals(key.e)
}
