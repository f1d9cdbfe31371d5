import { parseClientCertificate } from '@onbehalf/certificate'
import { decodeJwt, importX509, jwtVerify } from 'jose'
import { beforeAll, describe, expect, it } from 'vitest'
import { assertionLifetimeMs, assertionReuseMarginMs, createAssertionSigner } from '../src/client-assertion.ts'
import { makeClientCertificates, type ClientCertificateFixture } from './certificate-fixtures.ts'

const endpoint = 'https://login.microsoftonline.com/contoso/oauth2/v2.0/token'
let certs: ClientCertificateFixture
beforeAll(() => {
  certs = makeClientCertificates()
}, 60_000)

describe('createAssertionSigner', () => {
  it('reuses one signature until shortly before expiry, then signs a new one', async () => {
    let nowMs = 1_800_000_000_000
    const signer = createAssertionSigner({
      certificate: parseClientCertificate(certs.pem),
      clientId: 'app',
      algorithm: 'PS256',
      sendCertificateChain: false,
      now: () => nowMs,
    })
    const first = await signer.assertionFor(endpoint)
    expect(decodeJwt(first)).toMatchObject({
      iat: nowMs / 1000,
      nbf: nowMs / 1000,
      exp: nowMs / 1000 + 600,
      aud: endpoint,
    })
    nowMs += assertionLifetimeMs - assertionReuseMarginMs - 1
    expect(await signer.assertionFor(endpoint)).toBe(first)
    nowMs += 1
    const second = await signer.assertionFor(endpoint)
    expect(second).not.toBe(first)
    // Never sent within the margin of its expiry.
    expect(decodeJwt(second).exp! * 1000 - nowMs).toBe(assertionLifetimeMs)
    signer.forget(endpoint)
    expect(await signer.assertionFor(endpoint)).not.toBe(second)
  })

  it('signs once for many concurrent requests', async () => {
    const signer = createAssertionSigner({
      certificate: parseClientCertificate(certs.pem),
      clientId: 'app',
      algorithm: 'RS256',
      sendCertificateChain: false,
    })
    const all = await Promise.all(Array.from({ length: 50 }, () => signer.assertionFor(endpoint)))
    expect(new Set(all).size).toBe(1)
    await jwtVerify(all[0] ?? '', await importX509(certs.certPem, 'RS256'), {
      audience: endpoint,
      issuer: 'app',
      subject: 'app',
    })
  })
})
