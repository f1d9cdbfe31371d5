import { describe, expect, it } from 'vitest'
import type { CachedToken } from '@onbehalf/core'
import { createTokenCodec } from './codec.ts'

const key = (fill: number): Uint8Array => new Uint8Array(32).fill(fill)
const value: CachedToken = {
  accessToken: 'access-token-text',
  tokenType: 'Bearer',
  expiresAt: 1_900_000_000_000,
  refreshAt: 1_899_999_000_000,
  refreshToken: 'refresh-token-text',
}

describe('createTokenCodec', () => {
  it('round-trips every field, and omits absent optional ones', async () => {
    const codec = createTokenCodec([{ id: 'a', key: key(1) }])
    expect(await codec.decode('n', await codec.encode('n', value))).toEqual({ ok: true, value, kid: 'a' })
    const minimal: CachedToken = { accessToken: 'x', tokenType: 'Bearer', expiresAt: 5 }
    const result = await codec.decode('n', await codec.encode('n', minimal))
    expect(result).toEqual({ ok: true, value: minimal, kid: 'a' })
  })

  it('uses a fresh IV per value', async () => {
    const codec = createTokenCodec([{ id: 'a', key: key(1) }])
    expect(await codec.encode('n', value)).not.toBe(await codec.encode('n', value))
  })

  it('binds the value to its name, kid and key', async () => {
    const codec = createTokenCodec([
      { id: 'a', key: key(1) },
      { id: 'b', key: key(2) },
    ])
    const text = await codec.encode('n', value)
    expect(await codec.decode('other', text)).toEqual({ ok: false, reason: 'tampered', kid: 'a' })
    expect(await codec.decode('n', text.replace('v1.a.', 'v1.b.'))).toEqual({ ok: false, reason: 'tampered', kid: 'b' })
    expect(await codec.decode('n', text.replace('v1.a.', 'v1.c.'))).toEqual({
      ok: false,
      reason: 'unknown-key-id',
      kid: 'c',
    })
  })

  it('reports garbage as malformed without throwing', async () => {
    const codec = createTokenCodec([{ id: 'a', key: key(1) }])
    for (const text of [
      '',
      'v1',
      'v2.a.AAAA',
      'v1.a.',
      'v1.a.AAAA',
      'v1.a.b.c',
      'v1.a.@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@',
    ]) {
      expect((await codec.decode('n', text)).ok, text).toBe(false)
    }
    // Unknown ids that are not valid ids are not echoed back.
    expect(await codec.decode('n', 'v1.<script>.AAAA')).toEqual({ ok: false, reason: 'unknown-key-id' })
  })

  it('reports a decryptable value that is not a token as malformed', async () => {
    const { webcrypto } = await import('node:crypto')
    const raw = key(3)
    const cryptoKey = await webcrypto.subtle.importKey('raw', raw, 'AES-GCM', false, ['encrypt'])
    const iv = new Uint8Array(12)
    for (const plain of [
      'not json',
      '{"a":1}',
      '[]',
      '{"a":"x","t":"Bearer","e":"soon"}',
      '{"a":"x","t":"B","e":1,"f":2}',
    ]) {
      const sealed = await webcrypto.subtle.encrypt(
        { name: 'AES-GCM', iv, additionalData: new TextEncoder().encode('v1.a.n') },
        cryptoKey,
        new TextEncoder().encode(plain),
      )
      const text = `v1.a.${Buffer.concat([iv, new Uint8Array(sealed)]).toString('base64url')}`
      expect(await createTokenCodec([{ id: 'a', key: raw }]).decode('n', text), plain).toEqual({
        ok: false,
        reason: 'malformed',
        kid: 'a',
      })
    }
  })

  it('rejects unusable key lists with a TypeError naming keys', () => {
    const bad: unknown[] = [
      [],
      undefined,
      [{ id: 'a', key: new Uint8Array(16) }],
      [{ id: 'a', key: 'x'.repeat(32) }],
      [{ id: 'a.b', key: key(1) }],
      [{ id: '', key: key(1) }],
      [
        { id: 'a', key: key(1) },
        { id: 'a', key: key(2) },
      ],
    ]
    for (const keys of bad) {
      expect(() => createTokenCodec(keys as never), JSON.stringify(keys)).toThrow(TypeError)
      expect(() => createTokenCodec(keys as never)).toThrow(/keys/)
    }
  })
})
