import { Buffer } from 'node:buffer'
import { createCipheriv } from 'node:crypto'
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

const v7 = { version: 7 }
const assertion = 'eyJhbGciOiJSUzI1NiJ9.eyJvaWQiOiJ1c2VyLTEifQ.signature'

describe('createTokenCodec', () => {
  it('round-trips every field and the version, and omits absent optional ones', () => {
    const codec = createTokenCodec([{ id: 'a', key: key(1) }])
    expect(codec.decode('n', codec.encode('n', value, v7))).toEqual({ ok: true, value, kid: 'a', version: 7 })
    const minimal: CachedToken = { accessToken: 'x', tokenType: 'Bearer', expiresAt: 5 }
    const result = codec.decode('n', codec.encode('n', minimal, { version: 1_900_000_000_000 }))
    expect(result).toEqual({ ok: true, value: minimal, kid: 'a', version: 1_900_000_000_000 })
  })

  it('uses a fresh IV per value', () => {
    const codec = createTokenCodec([{ id: 'a', key: key(1) }])
    expect(codec.encode('n', value, v7)).not.toBe(codec.encode('n', value, v7))
  })

  it('binds the value to its name, kid, key and version', () => {
    const codec = createTokenCodec([
      { id: 'a', key: key(1) },
      { id: 'b', key: key(2) },
    ])
    const text = codec.encode('n', value, v7)
    expect(text).toMatch(/^v2\.a\.7\./)
    expect(codec.decode('other', text)).toEqual({ ok: false, reason: 'tampered', kid: 'a' })
    expect(codec.decode('n', text.replace('v2.a.', 'v2.b.'))).toEqual({ ok: false, reason: 'tampered', kid: 'b' })
    expect(codec.decode('n', text.replace('v2.a.', 'v2.c.'))).toEqual({ ok: false, reason: 'unknown-key-id', kid: 'c' })
    // A replayed value cannot pose as a newer one: the version is authenticated.
    expect(codec.decode('n', text.replace('v2.a.7.', 'v2.a.8.'))).toEqual({ ok: false, reason: 'tampered', kid: 'a' })
  })

  it('seals per user: only the same assertion opens a value, the configured key alone opens nothing', () => {
    const codec = createTokenCodec([{ id: 'a', key: key(1) }])
    const text = codec.encode('n', value, { version: 7, userAssertion: assertion })
    expect(codec.decode('n', text, assertion)).toEqual({ ok: true, value, kid: 'a', version: 7 })
    expect(codec.decode('n', text)).toEqual({ ok: false, reason: 'tampered', kid: 'a' })
    expect(codec.decode('n', text, `${assertion}x`)).toEqual({ ok: false, reason: 'tampered', kid: 'a' })
    // Someone holding the configured key forges a value "sealed" with it alone: a reader with an assertion refuses it.
    const forged = codec.encode('n', { ...value, accessToken: 'forged' }, v7)
    expect(codec.decode('n', forged, assertion)).toEqual({ ok: false, reason: 'tampered', kid: 'a' })
    // The configured key decrypts neither directly (AES-GCM under it) nor with an empty assertion.
    expect(codec.decode('n', text, '')).toEqual({ ok: false, reason: 'tampered', kid: 'a' })
  })

  it('refuses a version that is not a non-negative safe integer', () => {
    const codec = createTokenCodec([{ id: 'a', key: key(1) }])
    for (const version of [-1, 1.5, Number.NaN, 2 ** 60]) {
      expect(() => codec.encode('n', value, { version }), String(version)).toThrow(TypeError)
    }
  })

  it('reports garbage as malformed without throwing', () => {
    const codec = createTokenCodec([{ id: 'a', key: key(1) }])
    const good = codec.encode('n', value, v7)
    for (const text of [
      '',
      'v2',
      'v1.a.AAAA',
      'v2.a.7.',
      'v2.a.7.AAAA',
      'v2.a.b.c.d',
      'v2.a.7.@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@',
      good.replace('v2.a.7.', 'v2.a.-7.'),
      good.replace('v2.a.7.', 'v2.a..'),
      good.replace('v2.a.7.', 'v2.a.zzzzzzzzzzzz.'),
    ]) {
      expect(codec.decode('n', text).ok, text).toBe(false)
    }
    // Unknown ids that are not valid ids are not echoed back.
    expect(codec.decode('n', 'v2.<script>.7.AAAA')).toEqual({ ok: false, reason: 'unknown-key-id' })
  })

  it('reports a decryptable value that is not a token as malformed', () => {
    const raw = key(3)
    const iv = Buffer.alloc(12)
    for (const plain of [
      'not json',
      '{"a":1}',
      '[]',
      '{"a":"x","t":"Bearer","e":"soon"}',
      '{"a":"x","t":"B","e":1,"f":2}',
    ]) {
      const cipher = createCipheriv('aes-256-gcm', raw, iv)
      cipher.setAAD(Buffer.from('v2.a.7.shared.n'))
      const sealed = Buffer.concat([iv, cipher.update(plain, 'utf8'), cipher.final(), cipher.getAuthTag()])
      const text = `v2.a.7.${sealed.toString('base64url')}`
      expect(createTokenCodec([{ id: 'a', key: raw }]).decode('n', text), plain).toEqual({
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
