/**
 * Encryption at rest: AES-256-GCM (Web Crypto) under a key ID, with a key list for rotation. The ciphertext is
 * bound to its entry's name, so a value copied to another key (another user's entry) fails to decrypt.
 *
 * Stored text: `v1.<kid>.<base64url(iv ‖ ciphertext ‖ tag)>`; the authenticated data is `v1.<kid>.<name>`.
 *
 * @module
 */
import { Buffer } from 'node:buffer'
import type { CachedToken } from '@onbehalf/core'

/** One encryption key. */
export interface CacheEncryptionKey {
  /** Key ID stored with every value: 1–64 of `A–Z a–z 0–9 _ -`. Never reuse an ID for another key. */
  readonly id: string
  /** 32 random bytes (AES-256). */
  readonly key: Uint8Array
}

/** Why a stored value could not be used. */
export type DecodeFailure = 'unknown-key-id' | 'tampered' | 'malformed'

/** The outcome of {@link TokenCodec.decode}. */
export type DecodeResult =
  | { readonly ok: true; readonly value: CachedToken; readonly kid: string }
  | { readonly ok: false; readonly reason: DecodeFailure; readonly kid?: string }

/** Encrypts and decrypts cache values. */
export interface TokenCodec {
  /** The key ID new values are written with. */
  readonly currentKeyId: string
  encode(name: string, value: CachedToken): Promise<string>
  /** Never rejects: every failure is a {@link DecodeResult} with a reason. */
  decode(name: string, text: string): Promise<DecodeResult>
}

const version = 'v1'
const ivBytes = 12
const tagBytes = 16
const keyIdPattern = /^[A-Za-z0-9_-]{1,64}$/
const encoder = new TextEncoder()
const decoder = new TextDecoder('utf-8', { fatal: true })

/**
 * Creates a codec over a key list: the first key encrypts, every listed key decrypts.
 *
 * @example
 * ```ts
 * const codec = createTokenCodec([{ id: '2026-11', key: newKey }, { id: '2026-05', key: oldKey }])
 * const text = await codec.encode(name, token)
 * const result = await codec.decode(name, text) // { ok: true, value, kid: '2026-11' }
 * ```
 */
export function createTokenCodec(keys: readonly CacheEncryptionKey[]): TokenCodec {
  if (!Array.isArray(keys) || keys.length === 0) {
    throw new TypeError('keys must list at least one { id, key } encryption key.')
  }
  const imported = new Map<string, Promise<CryptoKey>>()
  for (const entry of keys) {
    if (typeof entry !== 'object' || entry === null || typeof entry.id !== 'string' || !keyIdPattern.test(entry.id)) {
      throw new TypeError('keys: every key id must be 1-64 characters of A-Z, a-z, 0-9, _ or -.')
    }
    if (!(entry.key instanceof Uint8Array) || entry.key.byteLength !== 32) {
      throw new TypeError(`keys: the key with id "${entry.id}" must be a Uint8Array of 32 bytes.`)
    }
    if (imported.has(entry.id)) throw new TypeError(`keys: the key id "${entry.id}" is listed twice.`)
    const promise = crypto.subtle.importKey('raw', entry.key, 'AES-GCM', false, ['encrypt', 'decrypt'])
    // A failed import surfaces on use (as a failed write or a miss); it must not be an unhandled rejection.
    promise.catch(() => undefined)
    imported.set(entry.id, promise)
  }
  const currentKeyId = (keys[0] as CacheEncryptionKey).id
  const currentKey = imported.get(currentKeyId) as Promise<CryptoKey>

  return {
    currentKeyId,
    async encode(name, value) {
      const iv = crypto.getRandomValues(new Uint8Array(ivBytes))
      const sealed = await crypto.subtle.encrypt(
        { name: 'AES-GCM', iv, additionalData: encoder.encode(`${version}.${currentKeyId}.${name}`), tagLength: 128 },
        await currentKey,
        encoder.encode(serialize(value)),
      )
      const blob = new Uint8Array(ivBytes + sealed.byteLength)
      blob.set(iv, 0)
      blob.set(new Uint8Array(sealed), ivBytes)
      return `${version}.${currentKeyId}.${Buffer.from(blob.buffer, blob.byteOffset, blob.byteLength).toString('base64url')}`
    },
    async decode(name, text) {
      const parts = text.split('.')
      if (parts.length !== 3 || parts[0] !== version) return { ok: false, reason: 'malformed' }
      const kid = parts[1] as string
      const body = parts[2] as string
      const key = imported.get(kid)
      if (key === undefined) return { ok: false, reason: 'unknown-key-id', ...(keyIdPattern.test(kid) ? { kid } : {}) }
      const blob = Buffer.from(body, 'base64url')
      // base64url decoding skips foreign characters: re-encoding detects a mangled body cheaply.
      if (blob.byteLength < ivBytes + tagBytes + 2 || blob.toString('base64url') !== body) {
        return { ok: false, reason: 'malformed', kid }
      }
      let plain: ArrayBuffer
      try {
        plain = await crypto.subtle.decrypt(
          {
            name: 'AES-GCM',
            iv: blob.subarray(0, ivBytes),
            additionalData: encoder.encode(`${version}.${kid}.${name}`),
            tagLength: 128,
          },
          await key,
          blob.subarray(ivBytes),
        )
      } catch {
        return { ok: false, reason: 'tampered', kid }
      }
      const value = deserialize(plain)
      return value === undefined ? { ok: false, reason: 'malformed', kid } : { ok: true, value, kid }
    },
  }
}

function serialize(value: CachedToken): string {
  // Short field names: values are stored once per user and scope set.
  return JSON.stringify({
    a: value.accessToken,
    t: value.tokenType,
    e: value.expiresAt,
    ...(value.refreshAt === undefined ? {} : { r: value.refreshAt }),
    ...(value.refreshToken === undefined ? {} : { f: value.refreshToken }),
    ...(value.firstExchangedAt === undefined ? {} : { x: value.firstExchangedAt }),
  })
}

function deserialize(plain: ArrayBuffer): CachedToken | undefined {
  let parsed: unknown
  try {
    parsed = JSON.parse(decoder.decode(plain))
  } catch {
    return undefined
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined
  const { a, t, e, r, f, x } = parsed as Record<string, unknown>
  if (typeof a !== 'string' || a === '' || typeof t !== 'string' || !Number.isFinite(e)) return undefined
  if (r !== undefined && !Number.isFinite(r)) return undefined
  if (f !== undefined && typeof f !== 'string') return undefined
  if (x !== undefined && !Number.isFinite(x)) return undefined
  return {
    accessToken: a,
    tokenType: t,
    expiresAt: e as number,
    ...(r === undefined ? {} : { refreshAt: r as number }),
    ...(f === undefined ? {} : { refreshToken: f }),
    ...(x === undefined ? {} : { firstExchangedAt: x as number }),
  }
}
