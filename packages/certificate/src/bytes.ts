/**
 * Conversions between the byte forms this package meets: `Uint8Array` (the public API), forge's binary
 * strings (one char per byte), base64, base64url and hex. Web-standard only (no `Buffer`).
 *
 * @module
 */

const utf8Encoder = new TextEncoder()
const utf8Decoder = new TextDecoder('utf-8', { fatal: true })

/** The UTF-8 bytes of `text`. */
export function utf8Bytes(text: string): Uint8Array {
  return utf8Encoder.encode(text)
}

/** Decodes UTF-8, or returns `undefined` when the bytes are not valid UTF-8. */
export function utf8Text(bytes: Uint8Array): string | undefined {
  try {
    return utf8Decoder.decode(bytes)
  } catch {
    return undefined
  }
}

/** Bytes to a binary string (one char per byte), the form node-forge works on. */
export function toBinaryString(bytes: Uint8Array): string {
  let out = ''
  // Chunks keep the argument list short; apply() on a typed array is far faster than spreading it.
  for (let offset = 0; offset < bytes.length; offset += 0x2000) {
    out += String.fromCharCode.apply(null, bytes.subarray(offset, offset + 0x2000) as unknown as number[])
  }
  return out
}

/** A fast non-cryptographic checksum (FNV-1a, 32 bit): detects a buffer changed in place, nothing more. */
export function fnv1a(bytes: Uint8Array): number {
  let hash = 0x811c9dc5
  for (let index = 0; index < bytes.length; index++) {
    hash ^= bytes[index] ?? 0
    hash = Math.imul(hash, 0x01000193)
  }
  return hash >>> 0
}

/** A binary string (one char per byte) to bytes. */
export function fromBinaryString(binary: string): Uint8Array {
  const bytes = new Uint8Array(binary.length)
  for (let index = 0; index < binary.length; index++) bytes[index] = binary.charCodeAt(index) & 0xff
  return bytes
}

/** Standard base64 (with padding) of a binary string. */
export function binaryToBase64(binary: string): string {
  return btoa(binary)
}

/** base64url (no padding) of a binary string, as JOSE headers use. */
export function binaryToBase64Url(binary: string): string {
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
}

/** Lowercase hex of a binary string. */
export function binaryToHex(binary: string): string {
  let out = ''
  for (let index = 0; index < binary.length; index++) {
    out += binary.charCodeAt(index).toString(16).padStart(2, '0')
  }
  return out
}
