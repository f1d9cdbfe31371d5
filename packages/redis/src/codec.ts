/**
 * Encryption at rest: AES-256-GCM under a key ID, with a key list for rotation.
 *
 * Stored text: `v2.<kid>.<version>.<base64url(iv ‖ ciphertext ‖ tag)>`, where `version` is the entry's write
 * version (base 36). The authenticated data is `v2.<kid>.<version>.<sealing>.<name>`, so a value is bound to
 * the entry name it was written under (a value copied to another user's entry fails to decrypt) and to its
 * version (a reader can tell an older value of the same entry from a newer one, and refuse a rollback).
 *
 * When the writer and the reader know the user's assertion, the value is *sealed per user*: the AES key is
 * HKDF-SHA-256 over the configured key and the assertion, so the configured keys alone (with a copy of Redis)
 * decrypt nothing. Node's synchronous `node:crypto` is used: an HKDF + AES-GCM costs a few microseconds,
 * Web Crypto's promise round trips cost several times that.
 *
 * @module
 */
import { Buffer } from 'node:buffer'
import { createCipheriv, createDecipheriv, hkdfSync, randomFillSync } from 'node:crypto'
import type { CachedToken } from '@onbehalf/core'

/** One encryption key. */
export interface CacheEncryptionKey {
  /** Key ID stored with every value: 1–64 of `A–Z a–z 0–9 _ -`. Never reuse an ID for another key. */
  readonly id: string
  /** 32 random bytes (AES-256). */
  readonly key: Uint8Array
}

/**
 * Why a stored value could not be used. `rolled-back`: it decrypts, but it is older than a version of the
 * same entry this instance has already seen (see the README's threat model).
 */
export type DecodeFailure = 'unknown-key-id' | 'tampered' | 'malformed' | 'rolled-back'

/** The outcome of {@link TokenCodec.decode}. */
export type DecodeResult =
  | { readonly ok: true; readonly value: CachedToken; readonly kid: string; readonly version: number }
  | { readonly ok: false; readonly reason: DecodeFailure; readonly kid?: string }

/** What an encoded value is bound to besides its entry name. */
export interface SealOptions {
  /** The entry's write version (a non-negative safe integer; the cache uses a clock-based counter). */
  readonly version: number
  /**
   * The user's assertion: when given, the value is sealed under a key derived from it and the configured key,
   * and only a reader holding the same assertion can open it. Never stored.
   */
  readonly userAssertion?: string | undefined
}

/** Encrypts and decrypts cache values. */
export interface TokenCodec {
  /** The key ID new values are written with. */
  readonly currentKeyId: string
  encode(name: string, value: CachedToken, options: SealOptions): string
  /** Never throws: every failure is a {@link DecodeResult} with a reason. */
  decode(name: string, text: string, userAssertion?: string): DecodeResult
}

const version = 'v2'
const ivBytes = 12
const tagBytes = 16
const keyIdPattern = /^[A-Za-z0-9_-]{1,64}$/
const versionPattern = /^[0-9a-z]{1,11}$/
const decoder = new TextDecoder('utf-8', { fatal: true })
const emptySalt = Buffer.alloc(0)

/**
 * Creates a codec over a key list: the first key encrypts, every listed key decrypts.
 *
 * @example
 * ```ts
 * const codec = createTokenCodec([{ id: '2026-11', key: newKey }, { id: '2026-05', key: oldKey }])
 * const text = codec.encode(name, token, { version: Date.now(), userAssertion })
 * const result = codec.decode(name, text, userAssertion) // { ok: true, value, kid: '2026-11', version }
 * ```
 */
export function createTokenCodec(keys: readonly CacheEncryptionKey[]): TokenCodec {
  if (!Array.isArray(keys) || keys.length === 0) {
    throw new TypeError('keys must list at least one { id, key } encryption key.')
  }
  const material = new Map<string, Buffer>()
  // Array.isArray widened `keys` to any[]: the checks below are for callers from JavaScript.
  for (const entry of keys as readonly CacheEncryptionKey[]) {
    if (typeof entry !== 'object' || entry === null || typeof entry.id !== 'string' || !keyIdPattern.test(entry.id)) {
      throw new TypeError('keys: every key id must be 1-64 characters of A-Z, a-z, 0-9, _ or -.')
    }
    if (!(entry.key instanceof Uint8Array) || entry.key.byteLength !== 32) {
      throw new TypeError(`keys: the key with id "${entry.id}" must be a Uint8Array of 32 bytes.`)
    }
    if (material.has(entry.id)) throw new TypeError(`keys: the key id "${entry.id}" is listed twice.`)
    // A private copy: the caller may reuse or wipe its buffer.
    material.set(entry.id, Buffer.from(entry.key))
  }
  const currentKeyId = (keys[0] as CacheEncryptionKey).id

  /** The AES key for one value: the configured key itself, or HKDF over it and the user's assertion. */
  function aesKey(kid: string, configured: Buffer, userAssertion: string | undefined): Buffer {
    if (userAssertion === undefined) return configured
    // Both inputs are secret to an attacker holding one of them: the derived key needs the configured key
    // *and* the live assertion. The kid in `info` keeps keys of different generations apart.
    const ikm = Buffer.concat([configured, Buffer.from(userAssertion, 'utf8')])
    return Buffer.from(hkdfSync('sha256', ikm, emptySalt, `onbehalf/redis seal v2 ${kid}`, 32))
  }

  function aad(kid: string, versionText: string, userAssertion: string | undefined, name: string): Buffer {
    return Buffer.from(`${version}.${kid}.${versionText}.${userAssertion === undefined ? 'shared' : 'user'}.${name}`)
  }

  return {
    currentKeyId,
    encode(name, value, options) {
      if (!Number.isSafeInteger(options.version) || options.version < 0) {
        throw new TypeError('version must be a non-negative safe integer.')
      }
      const versionText = options.version.toString(36)
      const iv = randomFillSync(Buffer.alloc(ivBytes))
      const key = aesKey(currentKeyId, material.get(currentKeyId) as Buffer, options.userAssertion)
      const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: tagBytes })
      cipher.setAAD(aad(currentKeyId, versionText, options.userAssertion, name))
      const sealed = Buffer.concat([iv, cipher.update(serialize(value), 'utf8'), cipher.final(), cipher.getAuthTag()])
      return `${version}.${currentKeyId}.${versionText}.${sealed.toString('base64url')}`
    },
    decode(name, text, userAssertion) {
      const parts = text.split('.')
      if (parts.length !== 4 || parts[0] !== version) return { ok: false, reason: 'malformed' }
      const kid = parts[1] as string
      const versionText = parts[2] as string
      const body = parts[3] as string
      const configured = material.get(kid)
      if (configured === undefined) {
        return { ok: false, reason: 'unknown-key-id', ...(keyIdPattern.test(kid) ? { kid } : {}) }
      }
      const blob = Buffer.from(body, 'base64url')
      // base64url decoding skips foreign characters: re-encoding detects a mangled body cheaply.
      if (
        !versionPattern.test(versionText) ||
        blob.byteLength < ivBytes + tagBytes + 2 ||
        blob.toString('base64url') !== body
      ) {
        return { ok: false, reason: 'malformed', kid }
      }
      let plain: Buffer
      try {
        const decipher = createDecipheriv(
          'aes-256-gcm',
          aesKey(kid, configured, userAssertion),
          blob.subarray(0, ivBytes),
          { authTagLength: tagBytes },
        )
        decipher.setAAD(aad(kid, versionText, userAssertion, name))
        decipher.setAuthTag(blob.subarray(blob.byteLength - tagBytes))
        plain = Buffer.concat([decipher.update(blob.subarray(ivBytes, blob.byteLength - tagBytes)), decipher.final()])
      } catch {
        return { ok: false, reason: 'tampered', kid }
      }
      const value = deserialize(plain)
      return value === undefined
        ? { ok: false, reason: 'malformed', kid }
        : { ok: true, value, kid, version: Number.parseInt(versionText, 36) }
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

function deserialize(plain: Uint8Array): CachedToken | undefined {
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
