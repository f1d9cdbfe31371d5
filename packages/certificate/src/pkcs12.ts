/**
 * PKCS#12 (`.pfx`/`.p12`) input: modern (PBES2/AES-256-CBC, PBKDF2, SHA-256 MAC — the OpenSSL 3 default) and
 * legacy (3DES / RC2-40 PBEs with a SHA-1 MAC, `openssl pkcs12 -legacy`, Windows exports).
 *
 * @module
 */
import forge from 'node-forge'
import { toBinaryString, utf8Bytes } from './bytes.ts'
import { certificateError } from './errors.ts'
import { rsaKeyFromPrivateKeyInfo } from './private-key.ts'
import type { CertificateMaterial } from './pem.ts'
import { certificateFromAsn1, certificateFromForge, type CertificateEntry } from './x509.ts'

/**
 * Decodes a PKCS#12 file. `password` is the password as text (PKCS#12 derives keys from its BMPString
 * form), or `undefined` for none.
 */
export function readPkcs12(der: string, password: string | undefined): CertificateMaterial {
  let asn1: forge.asn1.Asn1
  try {
    asn1 = forge.asn1.fromDer(der, false)
  } catch (error) {
    throw notPkcs12(error)
  }
  const pfx = openPfx(asn1, password)
  const keys: forge.pki.rsa.PrivateKey[] = []
  const certificates: CertificateEntry[] = []
  for (const safeContents of pfx.safeContents) {
    for (const bag of safeContents.safeBags) {
      if (bag.type === forge.pki.oids['keyBag'] || bag.type === forge.pki.oids['pkcs8ShroudedKeyBag']) {
        if (bag.key) {
          keys.push(bag.key)
        } else if (bag.asn1) {
          // forge only reads RSA keys; anything else arrives as raw PrivateKeyInfo, refused here by name.
          keys.push(rsaKeyFromPrivateKeyInfo(bag.asn1))
        }
      } else if (bag.type === forge.pki.oids['certBag']) {
        if (bag.cert) certificates.push(certificateFromForge(bag.cert))
        else if (bag.asn1) certificates.push(certificateFromAsn1(bag.asn1))
      }
    }
  }
  return { keys, certificates }
}

function openPfx(asn1: forge.asn1.Asn1, password: string | undefined): forge.pkcs12.Pkcs12Pfx {
  try {
    return forge.pkcs12.pkcs12FromAsn1(asn1, false, password ?? '')
  } catch (error) {
    if (password !== undefined && !isAscii(password)) return openWithUnicodePassword(asn1, password, error)
    if (!isPasswordFailure(error)) throw notPkcs12(error)
    if (password === undefined) {
      // Some tools write an absent password (no BMPString at all) rather than an empty one.
      try {
        return forge.pkcs12.pkcs12FromAsn1(asn1, false, undefined)
      } catch {
        throw certificateError('the PKCS#12 file is password-protected and no password was given. Pass its password.')
      }
    }
    throw wrongPassword()
  }
}

/**
 * OpenSSL derives the MAC key (and legacy PBE keys) from the password's BMPString but PBES2 keys from its
 * UTF-8 bytes; forge takes one form for both. For a non-ASCII password that failed as text: check the MAC
 * with the text here, then let forge decrypt with the UTF-8 bytes and no MAC left to check.
 */
function openWithUnicodePassword(asn1: forge.asn1.Asn1, password: string, firstError: unknown): forge.pkcs12.Pkcs12Pfx {
  const macVerified = verifyMac(asn1, password)
  if (macVerified === false) throw wrongPassword()
  if (!Array.isArray(asn1.value)) throw notPkcs12(firstError)
  const withoutMac: forge.asn1.Asn1 = { ...asn1, value: asn1.value.slice(0, 2) }
  try {
    return forge.pkcs12.pkcs12FromAsn1(withoutMac, false, toBinaryString(utf8Bytes(password)))
  } catch {
    if (isPasswordFailure(firstError)) throw wrongPassword()
    throw notPkcs12(firstError)
  }
}

const macDigests: Readonly<Record<string, () => forge.md.MessageDigest>> = {
  '1.3.14.3.2.26': () => forge.md.sha1.create(),
  '2.16.840.1.101.3.4.2.1': () => forge.md.sha256.create(),
  '2.16.840.1.101.3.4.2.2': () => forge.md.sha384.create(),
  '2.16.840.1.101.3.4.2.3': () => forge.md.sha512.create(),
}

/** `true`/`false` when the PFX MAC matches/does not match `password`; `undefined` when there is no readable MAC. */
function verifyMac(pfx: forge.asn1.Asn1, password: string): boolean | undefined {
  const [, authSafe, macData] = Array.isArray(pfx.value) ? pfx.value : []
  const content = contentOctets(authSafe)
  const [digestInfo, salt, iterations] = Array.isArray(macData?.value) ? macData.value : []
  const [algorithm, digest] = Array.isArray(digestInfo?.value) ? digestInfo.value : []
  const oid =
    Array.isArray(algorithm?.value) && typeof algorithm.value[0]?.value === 'string'
      ? forge.asn1.derToOid(algorithm.value[0].value)
      : undefined
  const createDigest = oid === undefined ? undefined : macDigests[oid]
  if (
    content === undefined ||
    createDigest === undefined ||
    typeof digest?.value !== 'string' ||
    typeof salt?.value !== 'string'
  ) {
    return undefined
  }
  const count = typeof iterations?.value === 'string' ? parseInt(forge.util.bytesToHex(iterations.value), 16) : 1
  const md = createDigest()
  const key = forge.pkcs12.generateKey(password, forge.util.createBuffer(salt.value), 3, count, md.digestLength, md)
  const hmac = forge.hmac.create()
  hmac.start(md, key)
  hmac.update(content)
  return hmac.digest().getBytes() === digest.value
}

/** The bytes of the authSafe's `data` content (an OCTET STRING, possibly BER-chunked). */
function contentOctets(authSafe: forge.asn1.Asn1 | undefined): string | undefined {
  const explicit = Array.isArray(authSafe?.value) ? authSafe.value[1] : undefined
  const octets = Array.isArray(explicit?.value) ? explicit.value[0] : undefined
  if (octets === undefined) return undefined
  if (typeof octets.value === 'string') return octets.value
  if (!Array.isArray(octets.value)) return undefined
  let joined = ''
  for (const chunk of octets.value) {
    if (typeof chunk.value !== 'string') return undefined
    joined += chunk.value
  }
  return joined
}

function isAscii(text: string): boolean {
  for (let index = 0; index < text.length; index++) if (text.charCodeAt(index) > 0x7f) return false
  return true
}

function wrongPassword(): Error {
  return certificateError('the password is wrong: it does not open the PKCS#12 file. Check the certificate password.')
}

function isPasswordFailure(error: unknown): boolean {
  if (!(error instanceof Error)) return false
  // MAC mismatch, or a decryption that produced garbage (bad padding / unreadable DER / wrong password hint).
  return /MAC could not be verified|wrong password|Invalid password/i.test(error.message)
}

function notPkcs12(cause: unknown): Error {
  return certificateError(
    'the input is neither PEM (no -----BEGIN marker) nor a readable PKCS#12 file (truncated, damaged or another format). ' +
      'Pass PEM text with the key and certificate, or the PKCS#12 (.pfx/.p12) bytes.',
    cause,
  )
}
