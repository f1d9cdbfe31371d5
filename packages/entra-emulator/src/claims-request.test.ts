import { describe, expect, it } from 'vitest'
import { mfaClaimsChallenge, parseClaimsRequest } from './claims-request.ts'
import { EntraError } from './entra-error.ts'

describe('parseClaimsRequest', () => {
  it('reads cp1 case-insensitively and capolids values', () => {
    expect(parseClaimsRequest('{"access_token":{"xms_cc":{"values":["CP1"]}}}')).toEqual({ cp1: true, capolids: [] })
    const merged = parseClaimsRequest(
      JSON.stringify({ access_token: { xms_cc: { values: ['cp1'] }, capolids: { essential: true, values: ['p'] } } }),
    )
    expect(merged).toEqual({ cp1: true, capolids: ['p'] })
    expect(parseClaimsRequest(mfaClaimsChallenge('abc')).capolids).toEqual(['abc'])
  })

  it('treats absent or unrelated claims as nothing requested', () => {
    expect(parseClaimsRequest(undefined)).toEqual({ cp1: false, capolids: [] })
    expect(parseClaimsRequest('{"id_token":{"auth_time":{"essential":true}}}')).toEqual({ cp1: false, capolids: [] })
  })

  it('rejects text that is not a JSON object with AADSTS90014', () => {
    for (const bad of ['{', '[1]', '"x"']) {
      expect(() => parseClaimsRequest(bad)).toThrow(EntraError)
      expect(() => parseClaimsRequest(bad)).toThrow(
        expect.objectContaining({ spec: expect.objectContaining({ codes: [90014] }) }),
      )
    }
  })
})
