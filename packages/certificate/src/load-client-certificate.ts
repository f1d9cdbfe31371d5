/**
 * A process-wide memo over {@link parseClientCertificate}, so per-request credentials pay the PEM/PKCS#12
 * parse (and PBKDF2 / MAC work) once per process.
 *
 * @module
 */
import { sha256Hex } from '@onbehalf/core/engine'
import { fnv1a, toBinaryString } from './bytes.ts'
import { parseClientCertificate, type ClientCertificate } from './client-certificate.ts'

/**
 * How many distinct certificates the memo keeps (least recently used dropped first).
 *
 * @example
 * ```ts
 * console.log(`up to ${clientCertificateMemoMaxEntries} certificates are remembered`)
 * ```
 */
export const clientCertificateMemoMaxEntries = 32

const memo = new Map<string, ClientCertificate>()

// In front of the hash-keyed memo: the same input object seen again (the usual case: a PEM string or PFX
// buffer read once at start-up, passed to every per-request credential) answers without hashing it.
interface RecentEntry {
  readonly passwordKey: string
  readonly memoKey: string
  readonly checksum: number
}
const recentStrings = new Map<string, RecentEntry>()
const recentBytes = new WeakMap<Uint8Array, RecentEntry>()

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
  const passwordKey = password === undefined ? 'none' : sha256Hex(part(password))
  const recent = typeof input === 'string' ? recentStrings.get(input) : recentBytes.get(input)
  if (
    recent !== undefined &&
    recent.passwordKey === passwordKey &&
    (typeof input === 'string' || recent.checksum === fnv1a(input))
  ) {
    const hit = memo.get(recent.memoKey)
    if (hit !== undefined) return touch(recent.memoKey, hit)
  }
  const key = sha256Hex(`${part(input)}|${passwordKey}`)
  remember(input, { passwordKey, memoKey: key, checksum: typeof input === 'string' ? 0 : fnv1a(input) })
  const cached = memo.get(key)
  if (cached !== undefined) return touch(key, cached)
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
  recentStrings.clear()
}

function touch(key: string, certificate: ClientCertificate): ClientCertificate {
  // Re-insert to mark as recently used.
  memo.delete(key)
  memo.set(key, certificate)
  return certificate
}

function remember(input: string | Uint8Array, entry: RecentEntry): void {
  if (typeof input !== 'string') {
    recentBytes.set(input, entry)
    return
  }
  recentStrings.delete(input)
  recentStrings.set(input, entry)
  if (recentStrings.size > clientCertificateMemoMaxEntries) {
    const oldest = recentStrings.keys().next()
    if (oldest.done !== true) recentStrings.delete(oldest.value)
  }
}

// Length-prefixed, typed parts: no two different (input, password) pairs share a preimage.
function part(value: string | Uint8Array): string {
  if (typeof value === 'string') return `s${value.length}:${value}`
  const binary = toBinaryString(value)
  return `b${binary.length}:${binary}`
}
