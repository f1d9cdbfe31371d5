/**
 * PEM input: one text holding the private key (PKCS#8, PKCS#1, encrypted PKCS#8 or legacy-encrypted PKCS#1)
 * and the certificate(s).
 *
 * @module
 */
import forge from 'node-forge'
import { certificateError } from './errors.ts'
import {
  decryptLegacyPkcs1,
  decryptPrivateKeyInfo,
  nonRsaKeyError,
  rsaKeyFromPkcs1,
  rsaKeyFromPrivateKeyInfo,
} from './private-key.ts'
import { certificateFromDer, type CertificateEntry } from './x509.ts'

/** What a PEM or PKCS#12 input holds once decoded. */
export interface CertificateMaterial {
  readonly keys: readonly forge.pki.rsa.PrivateKey[]
  readonly certificates: readonly CertificateEntry[]
}

const otherKeyTypes: Readonly<Record<string, string>> = {
  'EC PRIVATE KEY': 'an EC (elliptic-curve) key',
  'DSA PRIVATE KEY': 'a DSA key',
  'OPENSSH PRIVATE KEY': 'in OpenSSH format (convert it with `ssh-keygen -p -m PKCS8` or use an RSA PEM key)',
}

/** `true` when the text contains a PEM boundary. */
export function looksLikePem(text: string): boolean {
  return text.includes('-----BEGIN ')
}

/**
 * Decodes every PEM block of `text`. `password` is the binary string of the password bytes (UTF-8 for a
 * string password), or `undefined`.
 */
export function readPem(text: string, password: string | undefined): CertificateMaterial {
  let blocks: forge.pem.ObjectPEM[]
  try {
    blocks = forge.pem.decode(text)
  } catch (error) {
    throw certificateError(
      'the PEM text is malformed (truncated or damaged). Export the key and certificate again.',
      error,
    )
  }
  if (blocks.length === 0) {
    throw certificateError(
      'the PEM text has a -----BEGIN line but no complete block (truncated or damaged). Export it again.',
    )
  }
  const keys: forge.pki.rsa.PrivateKey[] = []
  const certificates: CertificateEntry[] = []
  for (const block of blocks) {
    switch (block.type) {
      case 'CERTIFICATE':
      case 'X509 CERTIFICATE':
        certificates.push(certificateFromDer(block.body))
        break
      case 'PRIVATE KEY':
        keys.push(rsaKeyFromPrivateKeyInfo(derOf(block.body, 'private key')))
        break
      case 'ENCRYPTED PRIVATE KEY':
        keys.push(rsaKeyFromPrivateKeyInfo(decryptPrivateKeyInfo(derOf(block.body, 'encrypted private key'), password)))
        break
      case 'RSA PRIVATE KEY':
        if ((block.procType as { type?: string } | null | undefined)?.type === 'ENCRYPTED') {
          keys.push(decryptLegacyPkcs1(forge.pem.encode(block), password))
        } else {
          keys.push(rsaKeyFromPkcs1(derOf(block.body, 'RSA private key')))
        }
        break
      default: {
        const name = otherKeyTypes[block.type]
        if (name !== undefined) throw nonRsaKeyError(name)
        // Other blocks (EC PARAMETERS, public keys, CSRs) carry nothing we need.
        break
      }
    }
  }
  return { keys, certificates }
}

function derOf(body: string, what: string): forge.asn1.Asn1 {
  try {
    return forge.asn1.fromDer(body, false)
  } catch (error) {
    throw certificateError(`the PEM ${what} is not valid DER (truncated or damaged). Export it again.`, error)
  }
}
