import { format, inspect } from 'node:util'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { OboError } from '@onbehalf/core'
import { loadClientCertificate } from '../src/index.ts'
import { clearClientCertificateMemo, clientCertificateMemoMaxEntries } from '../src/testing.ts'
import { createFixtures, password, type Fixtures } from './openssl-fixtures.ts'

let fx: Fixtures
beforeAll(() => {
  fx = createFixtures()
}, 60_000)
afterAll(() => fx.cleanup())
beforeEach(() => clearClientCertificateMemo())

describe('loadClientCertificate', () => {
  it('returns the same parsed object for the same input and password', () => {
    const first = loadClientCertificate(fx.pkcs12Modern, password)
    expect(loadClientCertificate(fx.pkcs12Modern, password)).toBe(first)
    // A copy of the bytes is the same input.
    expect(loadClientCertificate(new Uint8Array(fx.pkcs12Modern), password)).toBe(first)
    expect(loadClientCertificate(fx.pkcs8Pem)).toBe(loadClientCertificate(fx.pkcs8Pem))
  })

  it('notices a buffer changed in place', () => {
    const buffer = new Uint8Array(fx.pkcs12Modern)
    const first = loadClientCertificate(buffer, password)
    expect(loadClientCertificate(buffer, password)).toBe(first)
    buffer.set(fx.pkcs12Legacy.subarray(0, buffer.length))
    expect(() => loadClientCertificate(buffer, password)).toThrow(OboError)
    buffer.set(fx.pkcs12Modern)
    expect(loadClientCertificate(buffer, password)).toBe(first)
  })

  it('keys on the password too, and does not remember failures', () => {
    expect(() => loadClientCertificate(fx.encryptedPkcs8Pem, 'wrong')).toThrow(OboError)
    const good = loadClientCertificate(fx.encryptedPkcs8Pem, password)
    expect(good.subject).toBe('CN=middle-tier')
    expect(() => loadClientCertificate(fx.encryptedPkcs8Pem, 'wrong')).toThrow(OboError)
    expect(() => loadClientCertificate(fx.encryptedPkcs8Pem)).toThrow(OboError)
  })

  it('is much faster on a hit than a parse', () => {
    const started = performance.now()
    loadClientCertificate(fx.pkcs12Modern, password)
    const parseMs = performance.now() - started
    const hitsStarted = performance.now()
    for (let index = 0; index < 100; index++) loadClientCertificate(fx.pkcs12Modern, password)
    const hitMs = (performance.now() - hitsStarted) / 100
    expect(hitMs * 10).toBeLessThan(parseMs)
  })

  it('stays bounded, dropping the least recently used entry', () => {
    const first = loadClientCertificate(fx.pkcs8Pem)
    // Distinct inputs that parse to the same certificate: trailing newlines change the bytes, not the content.
    for (let index = 1; index <= clientCertificateMemoMaxEntries; index++) {
      loadClientCertificate(fx.pkcs8Pem + '\n'.repeat(index))
    }
    expect(loadClientCertificate(fx.pkcs8Pem)).not.toBe(first)
  })
})

describe('the private key stays out of serialized and printed certificates', () => {
  it('JSON.stringify, util.inspect (even showHidden), console formatting and spreading leave the key out', () => {
    for (const certificate of [loadClientCertificate(fx.pkcs8Pem), loadClientCertificate(fx.pkcs12Modern, password)]) {
      const keyPem = certificate.privateKeyPem
      expect(keyPem).toMatch(/^-----BEGIN PRIVATE KEY-----\r?\n/)
      // A line from the middle of the key's base64: no part of the key may show.
      const keyLine = keyPem.split(/\r?\n/)[5] ?? ''
      expect(keyLine).toMatch(/^[A-Za-z0-9+/]{64}$/)
      const renderings = {
        json: JSON.stringify(certificate),
        inspect: inspect(certificate),
        showHidden: inspect(certificate, { showHidden: true, depth: Infinity }),
        format: format('%o %O %j', certificate, certificate, certificate),
        spread: JSON.stringify({ ...certificate }),
        nested: JSON.stringify({ config: { certificate } }) + inspect({ config: { certificate } }),
      }
      for (const [how, text] of Object.entries(renderings)) {
        expect(text, how).not.toContain('PRIVATE KEY')
        expect(text, how).not.toContain(keyLine)
      }
      // What is useful to log still shows.
      expect(JSON.parse(renderings.json)).toMatchObject({ subject: 'CN=middle-tier', x5tS256: certificate.x5tS256 })
      expect(renderings.inspect).toContain(certificate.thumbprintSha1)
      expect(renderings.inspect).toContain("privateKeyPem: '[redacted]'")
      expect(Object.keys(certificate)).not.toContain('privateKeyPem')
    }
  })
})
