/**
 * Turns what the On-Behalf-Of exchange threw into the answer the API's caller needs: a claims
 * challenge becomes 401 `insufficient_claims` with the base64 claims, missing consent a 403 that says who must
 * consent, throttling a 503 with `Retry-After`, a refused assertion 401 `invalid_token`.
 *
 * @module
 */
import { AuthenticationError, CredentialUnavailableError } from '@onbehalf/azure'
import { OAuthError } from '@onbehalf/core'
import { ApiAuthError, invalidTokenError } from './api-auth-error.ts'

/** What the messages name. */
export interface OboFailureContext {
  readonly authorityHost: string
  readonly clientId: string
  readonly tenantId: string
}

/**
 * Base64 (standard alphabet, padded) of the UTF-8 bytes of `text`: the `claims` parameter's encoding.
 *
 * @example
 * ```ts
 * base64Utf8('{"access_token":{}}')
 * ```
 */
export function base64Utf8(text: string): string {
  let binary = ''
  for (const byte of new TextEncoder().encode(text)) binary += String.fromCharCode(byte)
  return btoa(binary)
}

/**
 * Maps a token-exchange failure to an {@link ApiAuthError}; a `TypeError` (a programming error) is returned as is.
 *
 * @example
 * ```ts
 * try { await credential.getToken(scopes) } catch (error) { throw toApiAuthError(error, context) }
 * ```
 */
export function toApiAuthError(error: unknown, context: OboFailureContext): Error {
  if (error instanceof ApiAuthError || error instanceof TypeError) return error
  if (error instanceof AuthenticationError) {
    const response = error.errorResponse
    if (response.claims !== undefined) {
      return new ApiAuthError(
        'The user must satisfy a claims challenge (MFA or Conditional Access): sign in again with the claims from WWW-Authenticate, then retry.',
        {
          code: 'INSUFFICIENT_CLAIMS',
          status: 401,
          error: 'insufficient_claims',
          challenge: {
            realm: '',
            authorization_uri: `${context.authorityHost}/common/oauth2/authorize`,
            error: 'insufficient_claims',
            claims: base64Utf8(response.claims),
          },
          cause: error,
        },
      )
    }
    const cause = error.cause instanceof OAuthError ? error.cause : undefined
    if (
      response.errorCodes.includes(65001) ||
      response.error === 'consent_required' ||
      cause?.suberror === 'consent_required'
    ) {
      const message = `Consent is missing: the user, or an administrator of tenant ${context.tenantId}, must consent to the app ${context.clientId} calling the downstream API on the user's behalf. Retrying does not help until consent is granted.`
      return new ApiAuthError(message, {
        code: 'CONSENT_REQUIRED',
        status: 403,
        error: 'consent_required',
        challenge: { error: 'insufficient_scope', error_description: message },
        cause: error,
      })
    }
    if (error.code === 'INTERACTION_REQUIRED') {
      const message = 'The user must sign in again interactively before this API can act on their behalf.'
      return new ApiAuthError(message, {
        code: 'INSUFFICIENT_CLAIMS',
        status: 401,
        error: 'interaction_required',
        challenge: {
          realm: '',
          authorization_uri: `${context.authorityHost}/common/oauth2/authorize`,
          error: 'invalid_token',
          error_description: message,
        },
        cause: error,
      })
    }
    if (error.code === 'THROTTLED') {
      const retryAfterSeconds = Math.max(1, Math.ceil((error.retryAfterMs ?? 1000) / 1000))
      return new ApiAuthError('The identity provider is throttling token requests; retry after the given delay.', {
        code: 'THROTTLED',
        status: 503,
        error: 'temporarily_unavailable',
        retryAfterSeconds,
        cause: error,
      })
    }
    if (error.code === 'INVALID_GRANT') {
      return invalidTokenError(
        'The identity provider refused the token for On-Behalf-Of; get a new token and retry.',
        'INVALID_TOKEN',
        error,
      )
    }
  }
  const unavailable = error instanceof CredentialUnavailableError
  return new ApiAuthError(
    unavailable
      ? 'This API cannot authenticate to the identity provider (its client credential is unavailable).'
      : 'The token exchange with the identity provider failed; see the server log.',
    { code: 'TOKEN_EXCHANGE_FAILED', status: 502, error: 'token_exchange_failed', cause: error },
  )
}
