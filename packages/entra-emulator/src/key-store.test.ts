import { X509Certificate } from 'node:crypto'
import forge from 'node-forge'
import { describe, expect, it } from 'vitest'
import { describeCertificate, emulatorTlsMaterial, rsaKeyPair, selfSignedCertificate, toPkcs12 } from './key-store.ts'

describe('key store', () => {
  it('makes a CA and a server certificate for 127.0.0.1, ::1 and localhost signed by it', () => {
    const tls = emulatorTlsMaterial()
    const ca = new X509Certificate(tls.caCertificatePem)
    const server = new X509Certificate(tls.serverCertificatePem)
    expect(ca.ca).toBe(true)
    expect(server.ca).toBe(false)
    expect(server.verify(ca.publicKey)).toBe(true)
    expect(server.checkIP('127.0.0.1')).toBe('127.0.0.1')
    expect(server.checkHost('localhost')).toBe('localhost')
    expect(server.checkIP('10.0.0.1')).toBeUndefined()
    expect(emulatorTlsMaterial()).toBe(tls)
  })

  it('caches key pairs per role', () => {
    expect(rsaKeyPair('unit-a')).toBe(rsaKeyPair('unit-a'))
    expect(rsaKeyPair('unit-a').publicKeyPem).not.toBe(rsaKeyPair('unit-b').publicKeyPem)
  })

  it('computes thumbprints and packs a PKCS#12 that opens with its password', () => {
    const keys = rsaKeyPair('unit-a')
    const pem = selfSignedCertificate({ commonName: 'unit', privateKeyPem: keys.privateKeyPem })
    const info = describeCertificate(pem)
    expect(info.thumbprintSha256Hex).toMatch(/^[0-9A-F]{64}$/)
    expect(Buffer.from(info.x5tS256, 'base64url').toString('hex').toUpperCase()).toBe(info.thumbprintSha256Hex)
    expect(Buffer.from(info.x5t, 'base64url').toString('hex').toUpperCase()).toBe(info.thumbprintSha1Hex)
    const pfx = toPkcs12({
      certificatePem: pem,
      privateKeyPem: keys.privateKeyPem,
      password: 'pw',
      friendlyName: 'unit',
    })
    const asn1 = forge.asn1.fromDer(Buffer.from(pfx).toString('binary'))
    const p12 = forge.pkcs12.pkcs12FromAsn1(asn1, 'pw')
    const certBags = p12.getBags({ bagType: forge.pki.oids['certBag'] ?? '' })[forge.pki.oids['certBag'] ?? ''] ?? []
    expect(certBags).toHaveLength(1)
    expect(() =>
      forge.pkcs12.pkcs12FromAsn1(forge.asn1.fromDer(Buffer.from(pfx).toString('binary')), 'wrong'),
    ).toThrow()
  })
})
