/**
 * A process-wide memo over {@link parseClientCertificate}, so per-request credentials pay the PEM/PKCS#12
 * parse (and PBKDF2 / MAC work) once per process.
 *
 * @module
 */
import { sha256Hex } from '@onbehalf/core'
import { toBinaryString } from './bytes.ts'
import { parseClientCertificate, type ClientCertificate } from './client-certificate.ts'

/** How many distinct certificates the memo keeps (least recently used dropped first). */
export const clientCertificateMemoMaxEntries = 32

const memo = new Map<string, ClientCertificate>()

/**
 * Like {@link parseClientCertificate}, but remembers the result per process, keyed by the SHA-256 of the
 * input and password (the password itself is never stored). Failures are not remembered.
 *
 * @example
 * ```ts
 * // In a request handler: the parse happens on the first request only.
 * const certificate = loadClientCertificate(pemText)
 * ```
 */
export function loadClientCertificate(input: string | Uint8Array, password?: string | Uint8Array): ClientCertificate {
  const key = memoKey(input, password)
  const cached = memo.get(key)
  if (cached !== undefined) {
    // Re-insert to mark as recently used.
    memo.delete(key)
    memo.set(key, cached)
    return cached
  }
  const certificate = parseClientCertificate(input, password)
  memo.set(key, certificate)
  if (memo.size > clientCertificateMemoMaxEntries) {
    const oldest = memo.keys().next()
    if (oldest.done !== true) memo.delete(oldest.value)
  }
  return certificate
}

/**
 * Forgets every remembered certificate (for tests, or after rotating a certificate file in place).
 *
 * @example
 * ```ts
 * clearClientCertificateMemo()
 * ```
 */
export function clearClientCertificateMemo(): void {
  memo.clear()
}

function memoKey(input: string | Uint8Array, password: string | Uint8Array | undefined): string {
  // Length-prefixed, typed parts: no two different (input, password) pairs share a preimage.
  return sha256Hex(`${part(input)}|${password === undefined ? 'none' : part(password)}`)
}

function part(value: string | Uint8Array): string {
  if (typeof value === 'string') return `s${value.length}:${value}`
  const binary = toBinaryString(value)
  return `b${binary.length}:${binary}`
}
