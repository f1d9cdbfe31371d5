/**
 * The client credential in MSAL's terms, and its secret-free identity for the engine fingerprint.
 *
 * @module
 */
import type { NodeAuthOptions } from '@azure/msal-node'
import { loadClientCertificate } from '@onbehalf/certificate'
import { OboError, sha256Hex, type ClientCredential } from '@onbehalf/core'

/** The credential part of MSAL's `auth` options. */
export type MsalCredentialOptions = Pick<NodeAuthOptions, 'clientSecret' | 'clientCertificate' | 'clientAssertion'>

/** A credential ready for MSAL, with an identity that never contains the secret. */
export interface PreparedCredential {
  readonly msalOptions: MsalCredentialOptions
  /** `secret:<sha256>`, `certificate:<sha256 thumbprint>` or `msal-callback:<callback id>`. */
  readonly identity: string
}

const callbackIds = new WeakMap<object, number>()
let nextCallbackId = 1

/**
 * Maps core's credential to MSAL's options. A certificate (PEM or PKCS#12, possibly encrypted) is parsed here,
 * once per process per certificate, and handed to MSAL as an unencrypted PKCS#8 key with its SHA-256
 * thumbprint (so MSAL signs PS256 with `x5t#S256`) and, when asked, the `x5c` chain as PEM.
 *
 * @throws OboError `INVALID_CERTIFICATE` for an unreadable certificate, `INVALID_ARGUMENT` for an empty secret
 *   or a missing callback.
 * @example
 * ```ts
 * const { msalOptions, identity } = prepareCredential({ kind: 'secret', secret })
 * ```
 */
export function prepareCredential(credential: ClientCredential): PreparedCredential {
  switch (credential.kind) {
    case 'secret': {
      if (typeof credential.secret !== 'string' || credential.secret.length === 0) {
        throw new OboError('The client secret is empty; pass the secret from the app registration.', {
          code: 'INVALID_ARGUMENT',
        })
      }
      return { msalOptions: { clientSecret: credential.secret }, identity: `secret:${sha256Hex(credential.secret)}` }
    }
    case 'certificate': {
      const certificate = loadClientCertificate(credential.certificate, credential.password)
      return {
        msalOptions: {
          clientCertificate: {
            thumbprintSha256: certificate.thumbprintSha256,
            privateKey: certificate.privateKeyPem,
            ...(credential.sendCertificateChain === true ? { x5c: x5cToPem(certificate.x5c) } : {}),
          },
        },
        identity: `certificate:${certificate.thumbprintSha256}`,
      }
    }
    case 'assertion': {
      const getAssertion = credential.getAssertion
      if (typeof getAssertion !== 'function') {
        throw new OboError('getAssertion must be a function returning a signed client assertion.', {
          code: 'INVALID_ARGUMENT',
        })
      }
      return {
        msalOptions: { clientAssertion: () => callAssertion(getAssertion) },
        // Callback ids are per package; the prefix keeps them apart from the jose engine's.
        identity: `msal-callback:${callbackId(getAssertion)}`,
      }
    }
    default:
      throw new OboError('Unknown client credential kind; use secret, certificate or assertion.', {
        code: 'INVALID_ARGUMENT',
      })
  }
}

/** MSAL calls this once per token request (never for a cached answer: the engine always skips MSAL's cache). */
async function callAssertion(getAssertion: () => string | Promise<string>): Promise<string> {
  let assertion: unknown
  try {
    assertion = await getAssertion()
  } catch (error) {
    throw new OboError('The client assertion callback failed; see the cause.', {
      code: 'CLIENT_ASSERTION_FAILED',
      cause: error,
    })
  }
  if (typeof assertion !== 'string' || assertion.trim() === '') {
    throw new OboError('The client assertion callback returned no assertion; it must return a signed JWT string.', {
      code: 'CLIENT_ASSERTION_FAILED',
    })
  }
  return assertion
}

function callbackId(callback: object): number {
  let id = callbackIds.get(callback)
  if (id === undefined) {
    id = nextCallbackId
    nextCallbackId += 1
    callbackIds.set(callback, id)
  }
  return id
}

/** MSAL takes the chain as PEM text and extracts every certificate block from it, in order. */
function x5cToPem(x5c: readonly string[]): string {
  return x5c
    .map((der) => `-----BEGIN CERTIFICATE-----\n${(der.match(/.{1,64}/g) ?? []).join('\n')}\n-----END CERTIFICATE-----\n`)
    .join('')
}
