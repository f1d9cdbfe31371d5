/**
 * The runtime's synchronous SHA-256, picked by the `#sha256` import conditions (Node: `node:crypto`;
 * elsewhere: a portable implementation). Typed here, so published declarations never name `#sha256`.
 *
 * @module
 */
import { sha256Base64Url as base64Url, sha256Hex as hex } from '#sha256'

/**
 * Hex SHA-256 of the UTF-8 bytes of `text`.
 *
 * @example
 * ```ts
 * sha256Hex('abc') // 'ba7816bf…'
 * ```
 */
export const sha256Hex: (text: string) => string = hex

/**
 * Base64url SHA-256 (43 characters, no padding) of the UTF-8 bytes of `text`.
 *
 * @example
 * ```ts
 * const key = sha256Base64Url(userAssertion)
 * ```
 */
export const sha256Base64Url: (text: string) => string = base64Url
