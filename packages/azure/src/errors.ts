/**
 * The two errors Azure SDK code knows by name: `AuthenticationError` (the credential tried and failed, so a
 * `ChainedTokenCredential` stops) and `CredentialUnavailableError` (the credential could not even try, so a
 * chain falls through to its next credential). Both extend core's `OboError` and carry its stable `code`.
 *
 * @module
 */
import { InvalidResponseError, OAuthError, OboError, type OboErrorCode } from '@onbehalf/core'
import { optional } from '@onbehalf/core/engine'

/** The error body of an {@link AuthenticationError}, shaped like `@azure/identity`'s `ErrorResponse`. */
export interface AuthenticationErrorResponse {
  /** Entra's `error` (e.g. `invalid_grant`), or the lower-cased code of a failure that had no answer. */
  readonly error: string
  readonly errorDescription: string
  /** Entra's AADSTS numbers, e.g. `[50076]`. */
  readonly errorCodes: readonly number[]
  readonly traceId?: string
  readonly correlationId?: string
  readonly timestamp?: string
  /** The claims challenge (JSON text) Entra asked the user to satisfy (MFA, Conditional Access). */
  readonly claims?: string
}

/** Options of {@link AuthenticationError}. */
export interface AuthenticationErrorOptions {
  readonly code: OboErrorCode
  /** The HTTP status of Entra's answer; `0` when no answer was received or the failure was local. */
  readonly statusCode: number
  readonly errorResponse: AuthenticationErrorResponse
  readonly cause?: unknown
  /** From a 429's `Retry-After`, in milliseconds. */
  readonly retryAfterMs?: number
}

/**
 * Authentication was attempted and failed: Entra refused (user assertion, client credential, scopes, a claims
 * challenge), the answer was unusable, the network failed, or the requested tenant is not allowed.
 *
 * `statusCode` is Entra's HTTP status (`0` when there was no answer), `errorResponse` holds Entra's error body,
 * `code` is stable (branch on it, not on the message). When the user must satisfy a challenge
 * (`code === 'INTERACTION_REQUIRED'`: MFA, Conditional Access, consent), {@link AuthenticationError.claims}
 * holds the claims and {@link AuthenticationError.toWwwAuthenticate} renders the header for your 401.
 *
 * @example
 * ```ts
 * try {
 *   await credential.getToken('https://graph.microsoft.com/.default')
 * } catch (error) {
 *   if (error instanceof AuthenticationError && error.code === 'INTERACTION_REQUIRED') {
 *     reply.status(401).header('WWW-Authenticate', error.toWwwAuthenticate()).send()
 *   }
 * }
 * ```
 */
export class AuthenticationError extends OboError {
  readonly statusCode: number
  readonly errorResponse: AuthenticationErrorResponse
  /** From a 429's `Retry-After`, in milliseconds. */
  readonly retryAfterMs: number | undefined

  constructor(message: string, options: AuthenticationErrorOptions) {
    super(message, { code: options.code, cause: options.cause })
    this.name = 'AuthenticationError'
    this.statusCode = options.statusCode
    this.errorResponse = options.errorResponse
    this.retryAfterMs = options.retryAfterMs
  }

  /** The claims challenge (JSON text) to relay to the calling client, when Entra sent one. */
  get claims(): string | undefined {
    return this.errorResponse.claims
  }

  /**
   * The `WWW-Authenticate` value for the 401 your API sends to its caller when the user must act, else
   * `undefined`. With a claims challenge (MFA, Conditional Access):
   * `Bearer error="insufficient_claims", claims="<base64 of the claims JSON>"`, which MSAL-based clients parse
   * and satisfy. Without one (consent missing): `Bearer error="interaction_required", error_description="<kind>"`.
   * The same as core's `OAuthError.toWwwAuthenticate()`, which it asks.
   *
   * @example
   * ```ts
   * const header = error.toWwwAuthenticate()
   * if (header !== undefined) reply.status(401).header('WWW-Authenticate', header)
   * ```
   */
  toWwwAuthenticate(): string | undefined {
    // Written once, in core: an answer that asked the user to act is always an OAuthError.
    return this.cause instanceof OAuthError ? this.cause.toWwwAuthenticate() : undefined
  }
}

/**
 * The credential cannot attempt authentication: it was closed, its certificate file cannot be read, or its
 * client-assertion callback produced nothing. `@azure/identity`'s `ChainedTokenCredential` recognises the
 * name and tries its next credential.
 *
 * @example
 * ```ts
 * const chain = new ChainedTokenCredential(oboCredential, fallbackCredential)
 * await oboCredential.close()
 * await chain.getToken(scope) // served by fallbackCredential
 * ```
 */
export class CredentialUnavailableError extends OboError {
  constructor(message: string, options: { readonly code: OboErrorCode; readonly cause?: unknown }) {
    super(message, options)
    this.name = 'CredentialUnavailableError'
  }
}

const unavailableCodes = new Set<OboErrorCode>(['CLOSED', 'CLIENT_ASSERTION_FAILED'])

/**
 * Maps whatever token acquisition threw to the error an Azure SDK caller expects: `TypeError` stays, an
 * abort becomes an `AbortError`-named error (so pipelines do not retry it), `CLOSED` and client-assertion
 * failures become {@link CredentialUnavailableError}, Entra's answers and everything else
 * {@link AuthenticationError}.
 *
 * @example
 * ```ts
 * try { ... } catch (error) { throw toCredentialError(error) }
 * ```
 */
export function toCredentialError(error: unknown): Error {
  if (
    error instanceof TypeError ||
    error instanceof AuthenticationError ||
    error instanceof CredentialUnavailableError
  ) {
    return error
  }
  if (error instanceof OAuthError) {
    return new AuthenticationError(`OnBehalfOfCredential: ${error.message}`, {
      code: error.code,
      statusCode: error.status,
      errorResponse: {
        error: error.error,
        errorDescription: error.errorDescription ?? error.message,
        errorCodes: error.errorCodes,
        ...optional('traceId', error.traceId),
        ...optional('correlationId', error.correlationId),
        ...optional('timestamp', error.timestamp),
        ...optional('claims', error.claims),
      },
      cause: error,
      ...optional('retryAfterMs', error.retryAfterMs),
    })
  }
  if (error instanceof OboError) {
    if (error.code === 'ABORTED') {
      // Azure SDK pipelines recognise aborts by this name and do not retry them.
      error.name = 'AbortError'
      return error
    }
    if (unavailableCodes.has(error.code)) {
      return new CredentialUnavailableError(`OnBehalfOfCredential: ${error.message}`, {
        code: error.code,
        cause: error,
      })
    }
    return new AuthenticationError(`OnBehalfOfCredential: ${error.message}`, {
      code: error.code,
      // Entra (or whatever answered in its place) did answer when the answer was unusable.
      statusCode: error instanceof InvalidResponseError ? error.status : 0,
      errorResponse: { error: error.code.toLowerCase(), errorDescription: error.message, errorCodes: [] },
      cause: error,
    })
  }
  return new AuthenticationError('OnBehalfOfCredential: token acquisition failed unexpectedly; see cause.', {
    code: 'INTERNAL_ERROR',
    statusCode: 0,
    errorResponse: {
      error: 'internal_error',
      errorDescription: 'Token acquisition failed unexpectedly.',
      errorCodes: [],
    },
    cause: error,
  })
}
