/**
 * PKCS#12 (`.pfx`/`.p12`) input: modern (PBES2/AES-256-CBC, PBKDF2, SHA-256 MAC — the OpenSSL 3 default) and
 * legacy (3DES / RC2-40 PBEs with a SHA-1 MAC, `openssl pkcs12 -legacy`, Windows exports).
 *
 * @module
 */
import forge from 'node-forge'
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
    if (!isPasswordFailure(error)) throw notPkcs12(error)
    if (password === undefined) {
      // Some tools write an absent password (no BMPString at all) rather than an empty one.
      try {
        return forge.pkcs12.pkcs12FromAsn1(asn1, false, undefined)
      } catch {
        throw certificateError(
          'the PKCS#12 file is password-protected and no password was given. Pass its password.',
        )
      }
    }
    throw certificateError('the password is wrong: it does not open the PKCS#12 file. Check the certificate password.')
  }
}

function isPasswordFailure(error: unknown): boolean {
  if (!(error instanceof Error)) return false
  // MAC mismatch, or a decryption that produced garbage (bad padding / unreadable DER / wrong password hint).
  return /MAC could not be verified|wrong password|Invalid password/i.test(
    error.message,
  )
}

function notPkcs12(cause: unknown): Error {
  return certificateError(
    'the input is neither PEM (no -----BEGIN marker) nor a readable PKCS#12 file (truncated, damaged or another format). ' +
      'Pass PEM text with the key and certificate, or the PKCS#12 (.pfx/.p12) bytes.',
    cause,
  )
}
