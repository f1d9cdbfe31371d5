/**
 * Client authentication for the token request: a secret in the body, a certificate-signed assertion, or an
 * assertion from the caller's callback. Also the credential's identity for the engine fingerprint.
 *
 * @module
 */
import { loadClientCertificate } from '@onbehalf/certificate'
import { OboError, sha256Hex, type ClientCredential } from '@onbehalf/core'
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

// Callbacks have no stable value to hash; each function object gets a process-local id instead.
const callbackIds = new WeakMap<object, number>()
let nextCallbackId = 1

function callbackIdentity(callback: object): number {
  let id = callbackIds.get(callback)
  if (id === undefined) {
    id = nextCallbackId++
    callbackIds.set(callback, id)
  }
  return id
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
      if (typeof secret !== 'string' || secret.length === 0) {
        throw new OboError('The client secret is empty. Pass the secret value (not its ID).', { code: 'INVALID_ARGUMENT' })
      }
      const parameters = { client_secret: secret }
      return {
        identity: `secret:${sha256Hex(secret)}`,
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
        identity: `certificate:${certificate.thumbprintSha256}`,
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
      if (typeof getAssertion !== 'function') {
        throw new OboError('getAssertion must be a function returning the client assertion JWT.', { code: 'INVALID_ARGUMENT' })
      }
      return {
        identity: `callback:${callbackIdentity(getAssertion)}`,
        parameters: async () => ({ client_assertion_type: assertionType, client_assertion: await callAssertion(getAssertion) }),
        assertionRejected: () => undefined,
        canResign: false,
      }
    }
    default: {
      const unknown: { kind?: unknown } = credential
      throw new OboError(`Unknown client credential kind ${String(unknown.kind)}; use 'secret', 'certificate' or 'assertion'.`, {
        code: 'INVALID_ARGUMENT',
      })
    }
  }
}

async function callAssertion(getAssertion: () => string | Promise<string>): Promise<string> {
  let assertion: unknown
  try {
    assertion = await getAssertion()
  } catch (error) {
    throw new OboError('The client assertion callback (getAssertion) threw; no token was requested.', {
      code: 'CLIENT_ASSERTION_FAILED',
      cause: error,
    })
  }
  if (typeof assertion !== 'string' || assertion.trim().length === 0) {
    throw new OboError('The client assertion callback (getAssertion) returned no assertion; it must return a signed JWT string.', {
      code: 'CLIENT_ASSERTION_FAILED',
    })
  }
  return assertion
}
