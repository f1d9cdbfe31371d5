/**
 * Client authentication for the token request: a secret in the body, a certificate-signed assertion, or an
 * assertion from the caller's callback. Also the credential's identity for the engine fingerprint.
 *
 * @module
 */
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
import { createAssertionSigner, type SigningAlgorithm } from './client-assertion.ts'

const assertionType = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'

/** Authenticates the client on token requests. */
export interface ClientAuthenticator {
  /** A secret-free identity of the credential, for the engine fingerprint. */
  readonly identity: string
  /** The form parameters that authenticate one token request to `tokenEndpoint`. */
  parameters(tokenEndpoint: string): Promise<Record<string, string>>
  /** Entra refused the assertion as outside its time range: sign a fresh one next time. */
  assertionRejected(tokenEndpoint: string): void
  /** Whether a rejected assertion can be replaced by signing again (certificates only). */
  readonly canResign: boolean
}

/**
 * Builds the authenticator for a credential; certificates are parsed here (once per process, memoised).
 *
 * @example
 * ```ts
 * const auth = createClientAuthenticator({ kind: 'secret', secret }, clientId, 'PS256')
 * const form = { ...(await auth.parameters(tokenEndpoint)), grant_type: '...' }
 * ```
 */
export function createClientAuthenticator(
  credential: ClientCredential,
  clientId: string,
  algorithm: SigningAlgorithm,
): ClientAuthenticator {
  switch (credential.kind) {
    case 'secret': {
      const secret = credential.secret
      assertClientSecret(secret)
      const parameters = { client_secret: secret }
      return {
        identity: secretIdentity(secret),
        parameters: () => Promise.resolve(parameters),
        assertionRejected: () => undefined,
        canResign: false,
      }
    }
    case 'certificate': {
      const certificate = loadClientCertificate(credential.certificate, credential.password)
      const signer = createAssertionSigner({
        certificate,
        clientId,
        algorithm,
        sendCertificateChain: credential.sendCertificateChain === true,
      })
      return {
        identity: certificateIdentity(certificate.thumbprintSha256),
        parameters: async (tokenEndpoint) => ({
          client_assertion_type: assertionType,
          client_assertion: await signer.assertionFor(tokenEndpoint),
        }),
        assertionRejected: (tokenEndpoint) => signer.forget(tokenEndpoint),
        canResign: true,
      }
    }
    case 'assertion': {
      const getAssertion = credential.getAssertion
      assertAssertionCallback(getAssertion)
      return {
        // Namespaced per engine: see callbackIdentity.
        identity: callbackIdentity(getAssertion, 'callback'),
        parameters: async () => ({
          client_assertion_type: assertionType,
          client_assertion: await callClientAssertion(getAssertion),
        }),
        assertionRejected: () => undefined,
        canResign: false,
      }
    }
    default: {
      const unknown: { kind?: unknown } = credential
      throw new OboError(
        `Unknown client credential kind ${String(unknown.kind)}; use 'secret', 'certificate' or 'assertion'.`,
        {
          code: 'INVALID_ARGUMENT',
        },
      )
    }
  }
}
