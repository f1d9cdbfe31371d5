import { createHash, createPrivateKey, createPublicKey, randomBytes, X509Certificate } from 'node:crypto'
import { OboError } from '@onbehalf/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseClientCertificate, type ClientCertificate } from '../src/index.ts'
import { createFixtures, derBase64, password, unicodePassword, type Fixtures } from './openssl-fixtures.ts'

let fx: Fixtures
beforeAll(() => {
  fx = createFixtures()
}, 60_000)
afterAll(() => fx.cleanup())

function expectInvalid(run: () => unknown, pattern: RegExp): OboError {
  let caught: unknown
  try {
    run()
  } catch (error) {
    caught = error
  }
  expect(caught).toBeInstanceOf(OboError)
  const error = caught as OboError
  expect(error.code).toBe('INVALID_CERTIFICATE')
  expect(error.message).toMatch(pattern)
  expect(error.message).not.toContain(password)
  expect(error.message).not.toContain('PRIVATE KEY')
  return error
}

function expectSelfSigned(certificate: ClientCertificate): void {
  expect(certificate.thumbprintSha1).toBe(fx.fingerprint(fx.certPem, 'sha1'))
  expect(certificate.thumbprintSha256).toBe(fx.fingerprint(fx.certPem, 'sha256'))
  expect(certificate.subject).toBe('CN=middle-tier')
  expect(certificate.x5c).toEqual([derBase64(fx.dir, fx.certPem)])
  expect(certificate.privateKeyPem).toMatch(/^-----BEGIN PRIVATE KEY-----\r?\n/)
  // The exported key is the same key as openssl's.
  const exported = createPublicKey(createPrivateKey(certificate.privateKeyPem)).export({ format: 'jwk' })
  const expected = createPublicKey(createPrivateKey(fx.keyPem)).export({ format: 'jwk' })
  expect(exported).toEqual(expected)
  const x509 = new X509Certificate(fx.certPem)
  expect(certificate.notAfter).toBe(Date.parse(x509.validTo))
  expect(new X509Certificate(certificate.certificatePem).fingerprint256).toBe(x509.fingerprint256)
}

describe('parseClientCertificate: PEM', () => {
  it('reads a PKCS#8 key with its certificate; thumbprints match openssl', () => {
    expectSelfSigned(parseClientCertificate(fx.pkcs8Pem))
  })

  it('derives x5t and x5t#S256 as base64url of the thumbprints', () => {
    const certificate = parseClientCertificate(fx.pkcs8Pem)
    expect(Buffer.from(certificate.x5t, 'base64url').toString('hex')).toBe(certificate.thumbprintSha1)
    expect(Buffer.from(certificate.x5tS256, 'base64url').toString('hex')).toBe(certificate.thumbprintSha256)
    expect(certificate.x5t).toMatch(/^[A-Za-z0-9_-]{27}$/)
    expect(certificate.x5tS256).toMatch(/^[A-Za-z0-9_-]{43}$/)
  })

  it('reads PEM given as bytes', () => {
    expectSelfSigned(parseClientCertificate(new TextEncoder().encode(fx.pkcs8Pem)))
  })

  it('reads a PKCS#1 key', () => {
    expectSelfSigned(parseClientCertificate(fx.pkcs1Pem))
  })

  it('reads the certificate before the key', () => {
    expectSelfSigned(parseClientCertificate(fx.certPem + fx.keyPem))
  })

  it('reads an encrypted PKCS#8 key (PBES2, AES-256-CBC, HMAC-SHA256)', () => {
    expectSelfSigned(parseClientCertificate(fx.encryptedPkcs8Pem, password))
  })

  it('reads an encrypted PKCS#8 key (PBES2, 3DES, HMAC-SHA1) with the password as bytes', () => {
    expectSelfSigned(parseClientCertificate(fx.legacyEncryptedPkcs8Pem, new TextEncoder().encode(password)))
  })

  it('reads a legacy-encrypted PKCS#1 key (Proc-Type / DEK-Info AES-256-CBC)', () => {
    expect(fx.encryptedPkcs1Pem).toContain('DEK-Info: AES-256-CBC')
    expectSelfSigned(parseClientCertificate(fx.encryptedPkcs1Pem, password))
  })

  it('refuses an encrypted key without a password, naming the fix', () => {
    expectInvalid(() => parseClientCertificate(fx.encryptedPkcs8Pem), /no password was given/)
    expectInvalid(() => parseClientCertificate(fx.encryptedPkcs1Pem), /no password was given/)
  })

  it('refuses a wrong password', () => {
    expectInvalid(() => parseClientCertificate(fx.encryptedPkcs8Pem, 'wrong'), /password is wrong/)
    expectInvalid(() => parseClientCertificate(fx.encryptedPkcs1Pem, 'wrong'), /password is wrong/)
    expectInvalid(() => parseClientCertificate(fx.legacyEncryptedPkcs8Pem, 'wrong'), /password is wrong/)
  })

  it('orders a chain leaf first whatever the PEM order; x5c has both certificates', () => {
    for (const pem of [fx.chainPem, fx.chainPemCaFirst]) {
      const certificate = parseClientCertificate(pem)
      expect(certificate.x5c).toEqual([derBase64(fx.dir, fx.chainLeafCertPem), derBase64(fx.dir, fx.caCertPem)])
      expect(certificate.thumbprintSha1).toBe(fx.fingerprint(fx.chainLeafCertPem, 'sha1'))
      expect(certificate.subject).toBe('CN=middle-tier-sni, O=Contoso')
    }
  })

  it('refuses a PEM without a private key', () => {
    expectInvalid(() => parseClientCertificate(fx.certPem), /no private key/)
  })

  it('refuses a PEM without a certificate', () => {
    expectInvalid(() => parseClientCertificate(fx.keyPem), /no certificate/)
  })

  it('refuses EC keys (SEC1 and PKCS#8), saying RSA is needed', () => {
    expectInvalid(() => parseClientCertificate(fx.ecPem), /EC \(elliptic-curve\).*RSA/)
    expectInvalid(() => parseClientCertificate(fx.ecPkcs8Pem), /EC \(elliptic-curve\).*RSA/)
  })

  it('refuses a key that does not match the certificate', () => {
    expectInvalid(() => parseClientCertificate(fx.mismatchedPem), /does not match the certificate/)
  })

  it('refuses a truncated PEM', () => {
    const half = fx.pkcs8Pem.slice(0, Math.floor(fx.pkcs8Pem.length / 2))
    expectInvalid(() => parseClientCertificate(half), /truncated|damaged/)
  })

  // A certificate with base64 lines cut out of its body: test/damaged-certificate.test.ts, over a committed
  // fixture and every cut position (a random certificate here made the verdict differ from run to run).

  it('refuses text that is not PEM', () => {
    expectInvalid(() => parseClientCertificate('hello world'), /not PEM/)
    expectInvalid(() => parseClientCertificate(''), /empty/)
  })
})

describe('parseClientCertificate: PKCS#12', () => {
  it('reads the OpenSSL 3 default (PBES2 AES-256-CBC, SHA-256 MAC)', () => {
    expectSelfSigned(parseClientCertificate(fx.pkcs12Modern, password))
  })

  it('reads the legacy encoding (3DES key, RC2-40 certificates, SHA-1 MAC)', () => {
    expectSelfSigned(parseClientCertificate(fx.pkcs12Legacy, password))
  })

  it('takes the password as UTF-8 bytes too', () => {
    expectSelfSigned(parseClientCertificate(fx.pkcs12Modern, new TextEncoder().encode(password)))
    expectSelfSigned(parseClientCertificate(fx.pkcs12Legacy, new TextEncoder().encode(password)))
  })

  // Nine PBKDF2-protected parses in pure JS: no time limit that a loaded machine could break.
  it(
    'reads modern and legacy PKCS#12 and encrypted PEM with a non-ASCII password (string or UTF-8 bytes)',
    { timeout: 120_000 },
    () => {
      for (const input of [fx.pkcs12UnicodeModern, fx.pkcs12UnicodeLegacy, fx.encryptedPkcs8UnicodePem]) {
        expectSelfSigned(parseClientCertificate(input, unicodePassword))
        expectSelfSigned(parseClientCertificate(input, new TextEncoder().encode(unicodePassword)))
        expectInvalid(() => parseClientCertificate(input, `${unicodePassword}x`), /password is wrong/)
      }
    },
  )

  it('reads a PKCS#12 with an empty password without one', () => {
    expectSelfSigned(parseClientCertificate(fx.pkcs12NoPassword))
  })

  it('reads a chain and puts the leaf first', () => {
    const certificate = parseClientCertificate(fx.chainPkcs12, password)
    expect(certificate.x5c).toEqual([derBase64(fx.dir, fx.chainLeafCertPem), derBase64(fx.dir, fx.caCertPem)])
    expect(certificate.thumbprintSha256).toBe(fx.fingerprint(fx.chainLeafCertPem, 'sha256'))
  })

  it('refuses a wrong password and a missing one', () => {
    expectInvalid(() => parseClientCertificate(fx.pkcs12Modern, 'wrong'), /password is wrong/)
    expectInvalid(() => parseClientCertificate(fx.pkcs12Legacy, 'wrong'), /password is wrong/)
    expectInvalid(() => parseClientCertificate(fx.pkcs12Modern), /no password was given/)
  })

  it('refuses a PKCS#12 exported without the key', () => {
    expectInvalid(() => parseClientCertificate(fx.pkcs12NoKeys, password), /no private key/)
  })

  it('refuses an EC PKCS#12, saying RSA is needed', () => {
    expectInvalid(() => parseClientCertificate(fx.ecPkcs12, password), /EC \(elliptic-curve\).*RSA/)
  })

  it('refuses truncated PKCS#12 and random bytes', () => {
    expectInvalid(
      () => parseClientCertificate(fx.pkcs12Modern.subarray(0, 500), password),
      /neither PEM.*nor a readable PKCS#12/,
    )
    expectInvalid(
      () => parseClientCertificate(new Uint8Array(randomBytes(2048)), password),
      /neither PEM.*nor a readable PKCS#12/,
    )
    expectInvalid(() => parseClientCertificate(new Uint8Array(0)), /empty/)
  })

  it('gives the same thumbprint for the same certificate in every encoding', () => {
    const all = [
      parseClientCertificate(fx.pkcs8Pem),
      parseClientCertificate(fx.pkcs12Modern, password),
      parseClientCertificate(fx.pkcs12Legacy, password),
    ]
    const sha256 = createHash('sha256').update(new X509Certificate(fx.certPem).raw).digest('hex')
    for (const certificate of all) expect(certificate.thumbprintSha256).toBe(sha256)
  })
})
