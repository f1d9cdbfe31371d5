/**
 * Certificates for the bad-input table, made with the system `openssl` at test time (never checked in): a good
 * RSA key and certificate in every container, and every broken variant a user can hand the credential.
 *
 * @module
 */
import { execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** The `openssl` used; `OPENSSL_BIN` overrides. */
export const opensslPath = process.env['OPENSSL_BIN'] ?? '/usr/bin/openssl'

/** Everything the tests need, as the bytes or text a user would pass. */
export interface TestCertificates {
  /** The password of every encrypted container (a canary: it must never be printed). */
  readonly password: string
  /** Certificate PEM only (what the emulator registers). */
  readonly certificatePem: string
  /** Unencrypted PKCS#8 key + certificate. */
  readonly pem: string
  /** Encrypted PKCS#8 key + certificate. */
  readonly encryptedPem: string
  /** PKCS#12 (AES) with key and certificate. */
  readonly pkcs12: Uint8Array
  /** PKCS#12 holding only the certificate. */
  readonly pkcs12NoKey: Uint8Array
  /** An EC P-256 key + certificate (unsupported: Entra assertions here are RSA). */
  readonly ecPem: string
  /** A PEM cut in the middle of the key. */
  readonly truncatedPem: string
  /** Path of a file holding {@link TestCertificates.pem}, for `clientCertificatePath`. */
  readonly pemPath: string
  /** Path of the PKCS#12 file. */
  readonly pkcs12Path: string
  /** Removes the temporary directory. */
  cleanup(): void
}

/**
 * Generates the certificates in a temporary directory.
 *
 * @throws Error naming the missing tool when `openssl` is absent.
 * @example
 * ```ts
 * const certs = makeTestCertificates('canary-password')
 * certs.cleanup()
 * ```
 */
export function makeTestCertificates(password: string): TestCertificates {
  if (!existsSync(opensslPath)) {
    throw new Error(
      `openssl is required by the reliability suite and was not found at ${opensslPath} (set OPENSSL_BIN).`,
    )
  }
  const dir = mkdtempSync(join(tmpdir(), 'onbehalf-reliability-'))
  const path = (name: string): string => join(dir, name)
  const run = (...args: string[]): void => {
    execFileSync(opensslPath, args, { stdio: ['ignore', 'ignore', 'pipe'] })
  }
  const pass = `pass:${password}`
  run(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    path('key.pem'),
    '-out',
    path('cert.pem'),
    '-days',
    '2',
    '-subj',
    '/CN=reliability-suite',
  )
  run('pkey', '-in', path('key.pem'), '-aes256', '-passout', pass, '-out', path('key-enc.pem'))
  run(
    'pkcs12',
    '-export',
    '-inkey',
    path('key.pem'),
    '-in',
    path('cert.pem'),
    '-passout',
    pass,
    '-out',
    path('both.p12'),
  )
  run('pkcs12', '-export', '-nokeys', '-in', path('cert.pem'), '-passout', pass, '-out', path('nokey.p12'))
  run(
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-keyout',
    path('ec-key.pem'),
    '-out',
    path('ec-cert.pem'),
    '-days',
    '2',
    '-subj',
    '/CN=reliability-ec',
  )
  const text = (name: string): string => readFileSync(path(name), 'utf8')
  const certificatePem = text('cert.pem')
  const pem = text('key.pem') + certificatePem
  writeFileSync(path('both.pem'), pem)
  return {
    password,
    certificatePem,
    pem,
    encryptedPem: text('key-enc.pem') + certificatePem,
    pkcs12: new Uint8Array(readFileSync(path('both.p12'))),
    pkcs12NoKey: new Uint8Array(readFileSync(path('nokey.p12'))),
    ecPem: text('ec-key.pem') + text('ec-cert.pem'),
    truncatedPem: pem.slice(0, Math.floor(text('key.pem').length / 2)),
    pemPath: path('both.pem'),
    pkcs12Path: path('both.p12'),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  }
}
