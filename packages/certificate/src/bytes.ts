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
  // Chunks keep String.fromCharCode's argument list short for large inputs.
  for (let offset = 0; offset < bytes.length; offset += 0x8000) {
    out += String.fromCharCode(...bytes.subarray(offset, offset + 0x8000))
  }
  return out
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
