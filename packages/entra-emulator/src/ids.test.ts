import { describe, expect, it } from 'vitest'
import { base64url, clientSecretValue, guid, isGuid } from './ids.ts'

describe('ids', () => {
  it('derives stable GUIDs from a seed and random ones without', () => {
    expect(guid('s', 'a')).toBe(guid('s', 'a'))
    expect(guid('s', 'a')).not.toBe(guid('s', 'b'))
    expect(guid(undefined, 'a')).not.toBe(guid(undefined, 'a'))
    for (const g of [guid('s', 'a'), guid(undefined, 'x')]) {
      expect(isGuid(g)).toBe(true)
      expect(g[14]).toBe('4')
      expect('89ab').toContain(g[19])
    }
  })

  it('makes 40-character secrets, stable with a seed', () => {
    expect(clientSecretValue('s', 'a')).toHaveLength(40)
    expect(clientSecretValue('s', 'a')).toBe(clientSecretValue('s', 'a'))
    expect(clientSecretValue(undefined, 'a')).not.toBe(clientSecretValue(undefined, 'a'))
    expect(clientSecretValue('s', 'a')).toContain('~')
  })

  it('encodes base64url without padding', () => {
    expect(base64url(new Uint8Array([251, 255]))).toBe('-_8')
    expect(isGuid('not-a-guid')).toBe(false)
  })
})
