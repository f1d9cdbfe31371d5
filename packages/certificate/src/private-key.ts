/**
 * Private keys: identify the algorithm of a PKCS#8 `PrivateKeyInfo`, decrypt `EncryptedPrivateKeyInfo` and
 * legacy OpenSSL-encrypted PKCS#1, and refuse anything that is not RSA with a message that says why.
 *
 * @module
 */
import forge from 'node-forge'
import { certificateError } from './errors.ts'

const rsaEncryption = '1.2.840.113549.1.1.1'

const keyAlgorithmNames: Readonly<Record<string, string>> = {
  '1.2.840.10045.2.1': 'an EC (elliptic-curve) key',
  '1.3.101.112': 'an Ed25519 key',
  '1.3.101.113': 'an Ed448 key',
  '1.2.840.10040.4.1': 'a DSA key',
  '1.2.840.113549.1.1.10': 'an RSASSA-PSS-restricted key (convert it to a plain rsaEncryption key)',
}

/** The message for a key that is not RSA; Entra client assertions signed by this project need RSA. */
export function nonRsaKeyError(what: string): Error {
  return certificateError(
    `the private key is ${what}. Entra client assertions here are signed with RSA (PS256/RS256): ` +
      'create an RSA certificate (e.g. `openssl req -x509 -newkey rsa:2048 ...`) and register it on the app.',
  )
}

/** The algorithm OID of a PKCS#8 PrivateKeyInfo, or `undefined` if it is not one. */
export function privateKeyInfoAlgorithm(info: forge.asn1.Asn1): string | undefined {
  const children = info.value
  if (!Array.isArray(children)) return undefined
  const algorithm = children[1]
  if (algorithm === undefined || !Array.isArray(algorithm.value)) return undefined
  const oid = algorithm.value[0]
  if (oid === undefined || oid.type !== forge.asn1.Type.OID || typeof oid.value !== 'string') return undefined
  return forge.asn1.derToOid(oid.value)
}

/** An RSA key from a PKCS#8 PrivateKeyInfo, or a clear error for any other algorithm. */
export function rsaKeyFromPrivateKeyInfo(info: forge.asn1.Asn1): forge.pki.rsa.PrivateKey {
  const oid = privateKeyInfoAlgorithm(info)
  if (oid === undefined) throw certificateError('the private key is not a readable PKCS#8 PrivateKeyInfo.')
  if (oid !== rsaEncryption) throw nonRsaKeyError(keyAlgorithmNames[oid] ?? `of an unsupported type (OID ${oid})`)
  try {
    return forge.pki.privateKeyFromAsn1(info)
  } catch (error) {
    throw certificateError('the RSA private key is malformed.', error)
  }
}

/** An RSA key from a PKCS#1 RSAPrivateKey structure (`-----BEGIN RSA PRIVATE KEY-----`). */
export function rsaKeyFromPkcs1(der: forge.asn1.Asn1): forge.pki.rsa.PrivateKey {
  try {
    return forge.pki.privateKeyFromAsn1(der)
  } catch (error) {
    throw certificateError('the RSA private key (PKCS#1) is malformed.', error)
  }
}

/**
 * Decrypts a PKCS#8 EncryptedPrivateKeyInfo (PBES2 with AES or 3DES, and the legacy PKCS#5/PKCS#12 PBEs).
 * `password` is a binary string of the password bytes.
 */
export function decryptPrivateKeyInfo(encrypted: forge.asn1.Asn1, password: string | undefined): forge.asn1.Asn1 {
  if (password === undefined) {
    throw certificateError('the private key is encrypted and no password was given. Pass the key password.')
  }
  let decrypted: forge.asn1.Asn1 | null
  try {
    decrypted = forge.pki.decryptPrivateKeyInfo(encrypted, password)
  } catch (error) {
    // Forge throws (rather than returning null) when a wrong key yields garbage that fails padding or DER.
    if (isUnsupportedAlgorithm(error)) {
      throw certificateError(
        'the private key is encrypted with an unsupported algorithm. Re-encrypt it with PBES2/AES-256 (openssl pkcs8 -topk8 -v2 aes-256-cbc).',
        error,
      )
    }
    throw wrongPasswordError()
  }
  if (decrypted === null) throw wrongPasswordError()
  return decrypted
}

/** Decrypts a legacy OpenSSL-encrypted PKCS#1 PEM block (Proc-Type: 4,ENCRYPTED + DEK-Info). */
export function decryptLegacyPkcs1(pemBlock: string, password: string | undefined): forge.pki.rsa.PrivateKey {
  if (password === undefined) {
    throw certificateError('the private key is encrypted and no password was given. Pass the key password.')
  }
  let key: forge.pki.rsa.PrivateKey | null
  try {
    key = forge.pki.decryptRsaPrivateKey(pemBlock, password)
  } catch (error) {
    if (isUnsupportedAlgorithm(error)) {
      throw certificateError(
        'the private key is encrypted with an unsupported cipher. Re-encrypt it with AES-256 (openssl pkcs8 -topk8 -v2 aes-256-cbc).',
        error,
      )
    }
    throw wrongPasswordError()
  }
  if (key === null || (key as Partial<forge.pki.rsa.PrivateKey>).n === undefined) throw wrongPasswordError()
  return key
}

/** The error for a password that does not decrypt the key. */
export function wrongPasswordError(): Error {
  return certificateError('the password is wrong: it does not decrypt the private key. Check the certificate password.')
}

function isUnsupportedAlgorithm(error: unknown): boolean {
  return error instanceof Error && /unsupported|not supported/i.test(error.message)
}
