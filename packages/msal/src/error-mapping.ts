/**
 * MSAL's errors in core's terms. The network client records the token endpoint's raw answer, so the usual
 * path builds the `OAuthError` from Entra's own body (status, AADSTS codes, `claims`, `suberror`, trace and
 * correlation IDs: the same fields the jose engine gives). MSAL's error objects are only the fallback.
 *
 * @module
 */
import { AuthError, InteractionRequiredAuthError, ServerError } from '@azure/msal-node'
import { OAuthError, OboError, type OboErrorCode } from '@onbehalf/core'
import { optional } from '@onbehalf/core/engine'
import type { CallContext } from './call-context.ts'

const authorityErrors = new Set([
  'authority_uri_insecure',
  'url_parse_error',
  'empty_url_error',
  'untrusted_authority',
  'invalid_authority_metadata',
  'invalid_cloud_discovery_metadata',
  'openid_config_error',
  'endpoints_resolution_error',
  'issuer_validation_failed',
  'authority_mismatch',
])

/**
 * The typed error for a failed MSAL call.
 *
 * @example
 * ```ts
 * try { await app.acquireTokenOnBehalfOf(request) } catch (error) { throw toOboError(error, context, 'secret') }
 * ```
 */
export function toOboError(error: unknown, context: CallContext, credentialKind: string): OboError {
  if (error instanceof OboError) return error
  if (context.failure !== undefined) return context.failure
  if (error instanceof ServerError || error instanceof InteractionRequiredAuthError) return fromServerError(error)
  if (error instanceof AuthError) {
    const code: OboErrorCode = authorityErrors.has(error.errorCode)
      ? 'INVALID_AUTHORITY'
      : error.errorCode === 'network_error'
        ? 'NETWORK_ERROR'
        : error.errorCode === 'token_parsing_error'
          ? 'INVALID_RESPONSE'
          : 'INVALID_ARGUMENT'
    return new OboError(`MSAL could not make the token request (${error.errorCode}).`, { code, cause: error })
  }
  // Only signing the client assertion runs non-MSAL code that can throw here (jsonwebtoken over the key).
  if (credentialKind === 'certificate') {
    return new OboError('Signing the client assertion with the certificate failed; see the cause.', {
      code: 'INVALID_CERTIFICATE',
      cause: error,
    })
  }
  return new OboError('MSAL failed unexpectedly; see the cause.', { code: 'INVALID_RESPONSE', cause: error })
}

/** Fallback when no raw answer was recorded: MSAL's parsed fields. */
function fromServerError(error: ServerError | InteractionRequiredAuthError): OAuthError {
  const codes = (error.errorNo ?? '')
    .split(/\s+/)
    .map(Number)
    .filter((value) => Number.isInteger(value) && value > 0)
  const interaction = error instanceof InteractionRequiredAuthError ? error : undefined
  return new OAuthError({
    status: (error instanceof ServerError ? error.status : undefined) ?? 400,
    error: error.errorCode,
    errorDescription: error.errorMessage,
    errorCodes: codes,
    ...optional('correlationId', error.correlationId === '' ? undefined : error.correlationId),
    ...optional('suberror', error.subError === '' ? undefined : error.subError),
    ...optional('traceId', interaction?.traceId === '' ? undefined : interaction?.traceId),
    ...optional('timestamp', interaction?.timestamp === '' ? undefined : interaction?.timestamp),
    ...optional('claims', interaction?.claims === '' ? undefined : interaction?.claims),
    cause: error,
  })
}
