/**
 * The client credential in MSAL's terms, and its secret-free identity for the engine fingerprint.
 *
 * @module
 */
import type { NodeAuthOptions } from '@azure/msal-node'
import { loadClientCertificate } from '@onbehalf/certificate'
import { OboError, type ClientCredential } from '@onbehalf/core'
import {
  assertAssertionCallback,
  assertClientSecret,
  callClientAssertion,
  callbackIdentity,
  certificateIdentity,
  secretIdentity,
} from '@onbehalf/core/engine'

/** The credential part of MSAL's `auth` options. */
export type MsalCredentialOptions = Pick<NodeAuthOptions, 'clientSecret' | 'clientCertificate' | 'clientAssertion'>

/** A credential ready for MSAL, with an identity that never contains the secret. */
export interface PreparedCredential {
  readonly msalOptions: MsalCredentialOptions
  /** `secret:<sha256>`, `certificate:<sha256 thumbprint>` or `msal-callback:<callback id>`. */
  readonly identity: string
}

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
      assertClientSecret(credential.secret)
      return { msalOptions: { clientSecret: credential.secret }, identity: secretIdentity(credential.secret) }
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
        identity: certificateIdentity(certificate.thumbprintSha256),
      }
    }
    case 'assertion': {
      const getAssertion = credential.getAssertion
      assertAssertionCallback(getAssertion)
      return {
        // MSAL calls this once per token request (never for a cached answer: the engine always skips MSAL's cache).
        msalOptions: { clientAssertion: () => callClientAssertion(getAssertion) },
        // Namespaced per engine (see callbackIdentity): the fingerprint stays what it was.
        identity: callbackIdentity(getAssertion, 'msal-callback'),
      }
    }
    default:
      throw new OboError('Unknown client credential kind; use secret, certificate or assertion.', {
        code: 'INVALID_ARGUMENT',
      })
  }
}

/** MSAL takes the chain as PEM text and extracts every certificate block from it, in order. */
function x5cToPem(x5c: readonly string[]): string {
  return x5c
    .map(
      (der) => `-----BEGIN CERTIFICATE-----\n${(der.match(/.{1,64}/g) ?? []).join('\n')}\n-----END CERTIFICATE-----\n`,
    )
    .join('')
}
