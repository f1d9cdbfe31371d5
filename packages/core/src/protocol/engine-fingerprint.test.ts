import { describe, expect, it } from 'vitest'
import { sha256Hex } from '../hash.ts'
import { callbackIdentity, certificateIdentity, engineFingerprint, secretIdentity } from './engine-fingerprint.ts'

describe('engine fingerprint', () => {
  const base = { authorityHost: 'https://login.microsoftonline.com', clientId: 'client-1' }

  it('keeps the v1 format, so fingerprints (and cache keys) survive upgrades', () => {
    expect(engineFingerprint({ ...base, credentialIdentity: 'secret:abc' })).toBe(
      sha256Hex('onbehalf-engine-fingerprint/v1|https://login.microsoftonline.com|client-1|secret:abc'),
    )
  })

  it('differs per authority, client and credential', () => {
    const one = engineFingerprint({ ...base, credentialIdentity: secretIdentity('a') })
    expect(engineFingerprint({ ...base, credentialIdentity: secretIdentity('b') })).not.toBe(one)
    expect(engineFingerprint({ ...base, clientId: 'client-2', credentialIdentity: secretIdentity('a') })).not.toBe(one)
    expect(
      engineFingerprint({
        ...base,
        authorityHost: 'https://login.microsoftonline.us',
        credentialIdentity: secretIdentity('a'),
      }),
    ).not.toBe(one)
  })

  it('never contains the secret', () => {
    const identity = secretIdentity('super-secret-value')
    expect(identity).toBe(`secret:${sha256Hex('super-secret-value')}`)
    expect(identity).not.toContain('super-secret-value')
    expect(certificateIdentity('ab12')).toBe('certificate:ab12')
  })

  it('gives one callback one id, another callback another, under the namespace asked for', () => {
    const first = (): string => 'a'
    const second = (): string => 'b'
    expect(callbackIdentity(first, 'callback')).toBe(callbackIdentity(first, 'callback'))
    expect(callbackIdentity(first, 'callback')).not.toBe(callbackIdentity(second, 'callback'))
    expect(callbackIdentity(first, 'msal-callback')).toMatch(/^msal-callback:\d+$/)
    expect(callbackIdentity(first, 'msal-callback').split(':')[1]).toBe(
      callbackIdentity(first, 'callback').split(':')[1],
    )
  })
})
