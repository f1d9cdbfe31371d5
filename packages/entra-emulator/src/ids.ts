import { createHash, randomBytes, randomUUID } from 'node:crypto'

/**
 * Encodes bytes (or a UTF-8 string) as unpadded base64url, the encoding of JWT segments and thumbprints.
 *
 * @example
 * ```ts
 * base64url('{"uid":"1"}') // 'eyJ1aWQiOiIxIn0'
 * ```
 */
export function base64url(input: Uint8Array | string): string {
  return Buffer.from(typeof input === 'string' ? Buffer.from(input, 'utf8') : input).toString('base64url')
}

/**
 * A GUID derived from a seed and a label, so a seeded emulator hands out the same IDs on every start.
 * Without a seed it is a random v4 GUID.
 *
 * @example
 * ```ts
 * guid('demo', 'tenant') === guid('demo', 'tenant') // true
 * ```
 */
export function guid(seed: string | undefined, label: string): string {
  if (seed === undefined) return randomUUID()
  const hex = createHash('sha256').update(`${seed}\u0000${label}`).digest('hex')
  // Shape it as a version-4, RFC 4122-variant GUID so strict GUID validators accept it.
  const variant = ((Number.parseInt(hex.slice(16, 17), 16) & 0x3) | 0x8).toString(16)
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`
}

/**
 * A secret shaped like an Entra client secret value (40 characters, with the `~` Entra puts in them).
 *
 * @example
 * ```ts
 * clientSecretValue(undefined, 'app').length // 40
 * ```
 */
export function clientSecretValue(seed: string | undefined, label: string): string {
  const bytes =
    seed === undefined ? randomBytes(30) : createHash('sha256').update(`${seed}\u0000secret\u0000${label}`).digest()
  const body = Buffer.from(bytes).toString('base64url').replace(/[-_]/g, 'x')
  return `${body.slice(0, 3)}8Q~${body.slice(3, 37)}`
}

/**
 * A random opaque identifier (for `uti`, `aio`, refresh tokens).
 *
 * @example
 * ```ts
 * opaqueId(16).length // 22
 * ```
 */
export function opaqueId(byteLength: number): string {
  return randomBytes(byteLength).toString('base64url')
}

/**
 * `true` for strings shaped like a GUID.
 *
 * @example
 * ```ts
 * isGuid('72f988bf-86f1-41af-91ab-2d7cd011db47') // true
 * ```
 */
export function isGuid(value: string): boolean {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value)
}
