// Every way of cutting bytes out of a certificate must be reported as a damaged certificate, never as "not an
// RSA key" or "key does not match" (which send the user looking for the wrong fix). The fixture is committed
// (test/fixtures/rsa-2048-*.pem: a throwaway self-signed test key that protects nothing), so the verdict is the
// same on every run.
import { readFileSync } from 'node:fs'
import { OboError } from '@onbehalf/core'
import { describe, expect, it } from 'vitest'
import { parseClientCertificate } from '../src/index.ts'

const keyPem = readFileSync(new URL('./fixtures/rsa-2048-key.pem', import.meta.url), 'utf8')
const certPem = readFileSync(new URL('./fixtures/rsa-2048-certificate.pem', import.meta.url), 'utf8')
const bodyLines = certPem
  .trim()
  .split('\n')
  .filter((line) => !line.startsWith('-----'))
const der = Buffer.from(bodyLines.join(''), 'base64')

function certificateBlock(lines: readonly string[]): string {
  return `-----BEGIN CERTIFICATE-----\n${lines.join('\n')}\n-----END CERTIFICATE-----\n`
}

function derBlock(bytes: Uint8Array): string {
  return certificateBlock(
    Buffer.from(bytes)
      .toString('base64')
      .match(/.{1,64}/g) ?? [],
  )
}

/** The message of the error for `pem`, or `'accepted'` when it parses. */
function outcome(pem: string): string {
  try {
    parseClientCertificate(pem)
    return 'accepted'
  } catch (error) {
    if (!(error instanceof OboError) || error.code !== 'INVALID_CERTIFICATE') throw error
    return error.message
  }
}

const isDamageMessage = (message: string): boolean =>
  /malformed|truncated|damaged/.test(message) && !/RSA public key|match/.test(message)

/** Damaged inputs whose message does not say "damaged", as `label: message`. */
function misreported(inputs: Iterable<[label: string, certificate: string]>): string[] {
  const wrong: string[] = []
  for (const [label, certificate] of inputs) {
    // Key after the certificate and before it: the message must not depend on which block is read first.
    for (const pem of [certificate + keyPem, keyPem + certificate]) {
      const message = outcome(pem)
      if (!isDamageMessage(message)) wrong.push(`${label}: ${message}`)
    }
  }
  return wrong
}

describe('a damaged certificate is reported as damaged', () => {
  it('the undamaged fixture parses', () => {
    expect(parseClientCertificate(certPem + keyPem).subject).toBe('CN=damage-fixture, O=onbehalf tests')
  })

  it('for every run of whole base64 lines cut out of the body', () => {
    function* cuts(): Generator<[string, string]> {
      for (let start = 0; start < bodyLines.length; start++) {
        for (let end = start + 1; end <= bodyLines.length; end++) {
          if (start === 0 && end === bodyLines.length) continue // nothing left: not a damaged certificate
          yield [
            `lines ${start}..${end - 1} cut`,
            certificateBlock([...bodyLines.slice(0, start), ...bodyLines.slice(end)]),
          ]
        }
      }
    }
    expect(misreported(cuts())).toEqual([])
  })

  it('for every truncation of the DER', () => {
    function* truncations(): Generator<[string, string]> {
      for (let length = 1; length < der.length; length++) {
        yield [`first ${length} bytes`, derBlock(der.subarray(0, length))]
      }
    }
    expect(misreported(truncations())).toEqual([])
  })

  it('for every single byte cut out of the DER', () => {
    function* deletions(): Generator<[string, string]> {
      for (let at = 0; at < der.length; at++) {
        yield [`byte ${at} cut`, derBlock(Buffer.concat([der.subarray(0, at), der.subarray(at + 1)]))]
      }
    }
    expect(misreported(deletions())).toEqual([])
  })
})
