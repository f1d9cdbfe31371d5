/**
 * Synchronous SHA-256 on Node: the one-shot `node:crypto` `hash()`, because the cache key is computed on every
 * request and Web Crypto's digest is asynchronous and far slower for an assertion-sized input. Chosen by the
 * `node` condition of `#sha256`.
 *
 * @module
 */
import { hash } from 'node:crypto'

/** Hex SHA-256 of the UTF-8 bytes of `text`. */
export function sha256Hex(text: string): string {
  return hash('sha256', text, 'hex')
}

/** Base64url SHA-256 of the UTF-8 bytes of `text` (43 characters: shorter keys, faster lookups). */
export function sha256Base64Url(text: string): string {
  return hash('sha256', text, 'base64url')
}
