/**
 * Test-only: generates real certificate fixtures with the `openssl` CLI into a temporary directory, so every
 * format is produced by the tool users actually run.
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export const password = 'p@ss-w0rd'
/** Non-ASCII: OpenSSL uses its UTF-8 bytes for PBES2 and its BMPString for the MAC and legacy PBEs. */
export const unicodePassword = 'pässwörd€'

export interface Fixtures {
  readonly dir: string
  /** PKCS#8 key + self-signed leaf (CN=middle-tier). */
  readonly pkcs8Pem: string
  readonly pkcs1Pem: string
  readonly encryptedPkcs8Pem: string
  readonly legacyEncryptedPkcs8Pem: string
  readonly encryptedPkcs1Pem: string
  readonly certPem: string
  readonly keyPem: string
  readonly pkcs12Modern: Uint8Array
  readonly pkcs12Legacy: Uint8Array
  readonly pkcs12NoKeys: Uint8Array
  readonly pkcs12NoPassword: Uint8Array
  readonly pkcs12UnicodeModern: Uint8Array
  readonly pkcs12UnicodeLegacy: Uint8Array
  readonly encryptedPkcs8UnicodePem: string
  /** Leaf signed by a CA, with the CA in the same PEM (leaf first). */
  readonly chainPem: string
  /** The same, CA block first. */
  readonly chainPemCaFirst: string
  readonly chainPkcs12: Uint8Array
  readonly caCertPem: string
  readonly chainLeafCertPem: string
  readonly ecPem: string
  readonly ecPkcs8Pem: string
  readonly ecPkcs12: Uint8Array
  /** A different RSA key paired with the leaf certificate. */
  readonly mismatchedPem: string
  readonly fingerprint: (certPem: string, digest: 'sha1' | 'sha256') => string
  readonly cleanup: () => void
}

export function openssl(dir: string, ...args: string[]): string {
  return execFileSync('/usr/bin/openssl', args, { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
}

export function createFixtures(): Fixtures {
  const dir = mkdtempSync(join(tmpdir(), 'onbehalf-cert-'))
  const run = (...args: string[]): string => openssl(dir, ...args)
  const read = (name: string): string => readFileSync(join(dir, name), 'utf8')
  const bytes = (name: string): Uint8Array => new Uint8Array(readFileSync(join(dir, name)))

  run('genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', 'key.pem')
  run('req', '-x509', '-new', '-key', 'key.pem', '-subj', '/CN=middle-tier', '-days', '30', '-out', 'cert.pem')
  run('rsa', '-in', 'key.pem', '-traditional', '-out', 'key-pkcs1.pem')
  run('pkcs8', '-topk8', '-in', 'key.pem', '-v2', 'aes-256-cbc', '-passout', `pass:${password}`, '-out', 'key-enc.pem')
  run(
    'pkcs8',
    '-topk8',
    '-in',
    'key.pem',
    '-v2',
    'des3',
    '-v2prf',
    'hmacWithSHA1',
    '-passout',
    `pass:${password}`,
    '-out',
    'key-enc-3des.pem',
  )
  run('rsa', '-in', 'key.pem', '-aes256', '-traditional', '-passout', `pass:${password}`, '-out', 'key-pkcs1-enc.pem')
  run('pkcs12', '-export', '-inkey', 'key.pem', '-in', 'cert.pem', '-passout', `pass:${password}`, '-out', 'modern.p12')
  run(
    'pkcs12',
    '-export',
    '-legacy',
    '-inkey',
    'key.pem',
    '-in',
    'cert.pem',
    '-passout',
    `pass:${password}`,
    '-out',
    'legacy.p12',
  )
  run('pkcs12', '-export', '-nokeys', '-in', 'cert.pem', '-passout', `pass:${password}`, '-out', 'nokeys.p12')
  run('pkcs12', '-export', '-inkey', 'key.pem', '-in', 'cert.pem', '-passout', 'pass:', '-out', 'nopass.p12')
  run(
    'pkcs12',
    '-export',
    '-inkey',
    'key.pem',
    '-in',
    'cert.pem',
    '-passout',
    `pass:${unicodePassword}`,
    '-out',
    'unicode.p12',
  )
  run(
    'pkcs12',
    '-export',
    '-legacy',
    '-inkey',
    'key.pem',
    '-in',
    'cert.pem',
    '-passout',
    `pass:${unicodePassword}`,
    '-out',
    'unicode-legacy.p12',
  )
  run(
    'pkcs8',
    '-topk8',
    '-in',
    'key.pem',
    '-v2',
    'aes-256-cbc',
    '-passout',
    `pass:${unicodePassword}`,
    '-out',
    'key-enc-unicode.pem',
  )

  run('genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', 'ca-key.pem')
  run('req', '-x509', '-new', '-key', 'ca-key.pem', '-subj', '/CN=Test CA', '-days', '30', '-out', 'ca.pem')
  run('genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', 'leaf-key.pem')
  run('req', '-new', '-key', 'leaf-key.pem', '-subj', '/CN=middle-tier-sni/O=Contoso', '-out', 'leaf.csr')
  run(
    'x509',
    '-req',
    '-in',
    'leaf.csr',
    '-CA',
    'ca.pem',
    '-CAkey',
    'ca-key.pem',
    '-CAcreateserial',
    '-days',
    '30',
    '-out',
    'leaf.pem',
  )
  run(
    'pkcs12',
    '-export',
    '-inkey',
    'leaf-key.pem',
    '-in',
    'leaf.pem',
    '-certfile',
    'ca.pem',
    '-passout',
    `pass:${password}`,
    '-out',
    'chain.p12',
  )

  run('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', 'ec-key.pem')
  run('ec', '-in', 'ec-key.pem', '-out', 'ec-key-sec1.pem')
  run('req', '-x509', '-new', '-key', 'ec-key.pem', '-subj', '/CN=ec', '-days', '30', '-out', 'ec-cert.pem')
  run(
    'pkcs12',
    '-export',
    '-inkey',
    'ec-key.pem',
    '-in',
    'ec-cert.pem',
    '-passout',
    `pass:${password}`,
    '-out',
    'ec.p12',
  )
  run('genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', 'other-key.pem')

  const certPem = read('cert.pem')
  return {
    dir,
    keyPem: read('key.pem'),
    certPem,
    pkcs8Pem: read('key.pem') + certPem,
    pkcs1Pem: read('key-pkcs1.pem') + certPem,
    encryptedPkcs8Pem: read('key-enc.pem') + certPem,
    legacyEncryptedPkcs8Pem: read('key-enc-3des.pem') + certPem,
    encryptedPkcs1Pem: read('key-pkcs1-enc.pem') + certPem,
    pkcs12Modern: bytes('modern.p12'),
    pkcs12Legacy: bytes('legacy.p12'),
    pkcs12NoKeys: bytes('nokeys.p12'),
    pkcs12NoPassword: bytes('nopass.p12'),
    pkcs12UnicodeModern: bytes('unicode.p12'),
    pkcs12UnicodeLegacy: bytes('unicode-legacy.p12'),
    encryptedPkcs8UnicodePem: read('key-enc-unicode.pem') + certPem,
    chainPem: read('leaf-key.pem') + read('leaf.pem') + read('ca.pem'),
    chainPemCaFirst: read('ca.pem') + read('leaf-key.pem') + read('leaf.pem'),
    chainPkcs12: bytes('chain.p12'),
    caCertPem: read('ca.pem'),
    chainLeafCertPem: read('leaf.pem'),
    ecPem: read('ec-key-sec1.pem') + read('ec-cert.pem'),
    ecPkcs8Pem: read('ec-key.pem') + read('ec-cert.pem'),
    ecPkcs12: bytes('ec.p12'),
    mismatchedPem: read('other-key.pem') + certPem,
    fingerprint: (pem, digest) => {
      writeFileSync(join(dir, 'fp.pem'), pem)
      const out = run('x509', '-in', 'fp.pem', '-noout', '-fingerprint', `-${digest}`)
      return (out.split('=')[1] ?? '').trim().replace(/:/g, '').toLowerCase()
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  }
}

/** Standard base64 DER of a single-certificate PEM, via openssl. */
export function derBase64(dir: string, pem: string): string {
  writeFileSync(join(dir, 'der.pem'), pem)
  openssl(dir, 'x509', '-in', 'der.pem', '-outform', 'DER', '-out', 'der.bin')
  return readFileSync(join(dir, 'der.bin')).toString('base64')
}
