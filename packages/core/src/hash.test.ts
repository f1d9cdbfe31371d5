import { describe, expect, it } from 'vitest'
import { createHash } from 'node:crypto'
import { sha256Base64Url, sha256Hex } from './hash.ts'
import { sha256Base64Url as portableBase64Url, sha256Hex as portableSha256Hex } from './sha256-web.ts'

const reference = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex')

describe('sha256Hex', () => {
  it('matches the known vectors', () => {
    expect(sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad')
    expect(portableSha256Hex('')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855')
  })

  it('gives the same digest in the portable implementation for every length and for non-ASCII text', () => {
    for (let length = 0; length < 300; length++) {
      const text = 'é€𝄞x'.repeat(length).slice(0, length)
      expect(portableSha256Hex(text)).toBe(reference(text))
      expect(portableBase64Url(text)).toBe(sha256Base64Url(text))
      expect(Buffer.from(sha256Base64Url(text), 'base64url').toString('hex')).toBe(reference(text))
    }
  })
})
