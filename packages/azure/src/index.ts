/**
 * `@onbehalf/azure`: `OnBehalfOfCredential`, an `@azure/core-auth` `TokenCredential` for the On-Behalf-Of flow,
 * with a process-wide shared cache so credentials built per request hit it, one token request for concurrent
 * identical misses, and both constructor shapes: positional `(tenantId, clientId, options)` and `@azure/identity`'s
 * options object.
 *
 * @module
 */
export { OnBehalfOfCredential } from './on-behalf-of-credential.ts'
export type {
  ClientAssertionCallback,
  OnBehalfOfCommonOptions,
  OnBehalfOfCredentialIdentityOptions,
  OnBehalfOfCredentialOptions,
} from './options.ts'
export { AuthenticationError, CredentialUnavailableError } from './errors.ts'
export type { AuthenticationErrorOptions, AuthenticationErrorResponse } from './errors.ts'
export { getCredentialDiagnostics } from './diagnostics.ts'
export type { CredentialDiagnostics } from './diagnostics.ts'
export { AzureAuthorityHosts, renderClaimsChallenge } from '@onbehalf/core'
export type { EngineFactory, OboErrorCode, TokenCache, TokenEvent } from '@onbehalf/core'
