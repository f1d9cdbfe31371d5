/**
 * The engine fingerprint: a secret-free hash of what makes tokens interchangeable (authority host, client ID,
 * client credential). It is part of every cache key, and both engines compute it the same way, so the same app
 * and credential give the same fingerprint under either engine.
 *
 * @module
 */
import { sha256Hex } from '../hash.ts'

/** Input of {@link engineFingerprint}. */
export interface EngineFingerprintParts {
  /** The normalised authority origin, e.g. `https://login.microsoftonline.com`. */
  readonly authorityHost: string
  readonly clientId: string
  /** From {@link secretIdentity}, {@link certificateIdentity} or {@link callbackIdentity}. */
  readonly credentialIdentity: string
}

/**
 * The engine's `fingerprint` (64 hex characters).
 *
 * @example
 * ```ts
 * const fingerprint = engineFingerprint({ authorityHost, clientId, credentialIdentity: secretIdentity(secret) })
 * ```
 */
export function engineFingerprint(parts: EngineFingerprintParts): string {
  return sha256Hex(
    `onbehalf-engine-fingerprint/v1|${parts.authorityHost}|${parts.clientId}|${parts.credentialIdentity}`,
  )
}

/**
 * The identity of a client secret: its SHA-256, never the secret.
 *
 * @example
 * ```ts
 * secretIdentity('s3cr3t') // 'secret:<64 hex>'
 * ```
 */
export function secretIdentity(secret: string): string {
  return `secret:${sha256Hex(secret)}`
}

/**
 * The identity of a certificate credential: its SHA-256 thumbprint.
 *
 * @example
 * ```ts
 * certificateIdentity(certificate.thumbprintSha256) // 'certificate:<thumbprint>'
 * ```
 */
export function certificateIdentity(thumbprintSha256: string): string {
  return `certificate:${thumbprintSha256}`
}

// Callbacks have no stable value to hash; each function object gets a process-local id instead.
const callbackIds = new WeakMap<object, number>()
let nextCallbackId = 1

/**
 * The identity of an assertion callback: a process-local id per function object, under `namespace`. Each
 * engine keeps its own namespace (`callback`, `msal-callback`): two copies of core in one process number
 * callbacks independently, and the namespace keeps those numbers from meeting.
 *
 * @example
 * ```ts
 * callbackIdentity(getAssertion, 'callback') // 'callback:1'
 * ```
 */
export function callbackIdentity(callback: object, namespace: string): string {
  let id = callbackIds.get(callback)
  if (id === undefined) {
    id = nextCallbackId
    nextCallbackId += 1
    callbackIds.set(callback, id)
  }
  return `${namespace}:${id}`
}
