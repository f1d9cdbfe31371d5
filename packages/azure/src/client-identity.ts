/**
 * The engine's client credential and a secret-free identity for it, which keys the shared-engine registry.
 * A certificate is parsed here through `@onbehalf/certificate`'s process-wide memo, so it is parsed once per
 * process however many credentials name it.
 *
 * @module
 */
import { loadClientCertificate } from '@onbehalf/certificate'
import { type ClientCredential } from '@onbehalf/core'
import { sha256Hex } from '@onbehalf/core/engine'

/** An engine credential and its identity (`secret:<salted hash>`, `certificate:<thumbprint>`, `assertion:<id>`). */
export interface IdentifiedCredential {
  readonly credential: ClientCredential
  readonly identity: string
}

// A per-process salt: identities are compared, never published, and must not help anyone guess a secret. Made on
// first use, not at import: Workers refuse random values in global scope (at module evaluation).
let salt: string | undefined
const saltOf = (): string => (salt ??= globalThis.crypto.randomUUID())
const objectIds = new WeakMap<object, number>()
let nextObjectId = 1

/**
 * A number that identifies an object (a callback, a `fetch`, an engine factory) for this process.
 *
 * @example
 * ```ts
 * objectId(getAssertion) === objectId(getAssertion) // true
 * ```
 */
export function objectId(value: object): number {
  let id = objectIds.get(value)
  if (id === undefined) {
    id = nextObjectId++
    objectIds.set(value, id)
  }
  return id
}

/**
 * The client secret as an engine credential.
 *
 * @example
 * ```ts
 * const { identity } = identifySecret(secret) // 'secret:…' (a salted hash)
 * ```
 */
export function identifySecret(secret: string): IdentifiedCredential {
  return { credential: { kind: 'secret', secret }, identity: `secret:${sha256Hex(`${saltOf()}\n${secret}`)}` }
}

/**
 * A client-assertion callback as an engine credential; its identity is the callback itself, so define it once
 * (not per request) for per-request credentials to share one engine.
 *
 * @example
 * ```ts
 * const { identity } = identifyAssertion(getAssertion) // 'assertion:1'
 * ```
 */
export function identifyAssertion(getAssertion: () => string | Promise<string>): IdentifiedCredential {
  return { credential: { kind: 'assertion', getAssertion }, identity: `assertion:${objectId(getAssertion)}` }
}

const fileIdentities = new WeakMap<Uint8Array, Map<string, string>>()

/**
 * A certificate (PEM or PKCS#12, possibly encrypted) as an engine credential: parsed (once per process per
 * certificate) to validate it and to take its SHA-256 thumbprint as identity.
 *
 * @param reuse Remember the identity per `Uint8Array` instance (for file contents that are read once per version).
 * @throws OboError `INVALID_CERTIFICATE` naming the problem (not PEM/PKCS#12, wrong password, no private key).
 * @example
 * ```ts
 * const { credential, identity } = identifyCertificate(pem, undefined, false)
 * ```
 */
export function identifyCertificate(
  certificate: string | Uint8Array,
  password: string | Uint8Array | undefined,
  sendCertificateChain: boolean,
  reuse = false,
): IdentifiedCredential {
  const credential: ClientCredential = {
    kind: 'certificate',
    certificate,
    ...(password === undefined ? {} : { password }),
    ...(sendCertificateChain ? { sendCertificateChain } : {}),
  }
  if (reuse && certificate instanceof Uint8Array) {
    const passwordKey =
      password === undefined
        ? ''
        : sha256Hex(`${saltOf()}\n${typeof password === 'string' ? password : String.fromCharCode(...password)}`)
    let known = fileIdentities.get(certificate)
    const found = known?.get(passwordKey)
    if (found !== undefined) return { credential, identity: withChain(found, sendCertificateChain) }
    const thumbprint = loadClientCertificate(certificate, password).thumbprintSha256
    if (known === undefined) {
      known = new Map()
      fileIdentities.set(certificate, known)
    }
    known.set(passwordKey, thumbprint)
    return { credential, identity: withChain(thumbprint, sendCertificateChain) }
  }
  const thumbprint = loadClientCertificate(certificate, password).thumbprintSha256
  return { credential, identity: withChain(thumbprint, sendCertificateChain) }
}

function withChain(thumbprint: string, sendCertificateChain: boolean): string {
  return `certificate:${thumbprint}${sendCertificateChain ? ':x5c' : ''}`
}
