/**
 * `@onbehalf/azure`: `OnBehalfOfCredential`, an `@azure/core-auth` `TokenCredential` for the On-Behalf-Of flow,
 * with a process-wide shared cache so credentials built per request hit it, one token request for concurrent
 * identical misses, both constructor shapes (positional `(tenantId, clientId, options)` and `@azure/identity`'s
 * options object), and `createOnBehalfOf` for a configuration validated once.
 *
 * @module
 */
export { createOnBehalfOf, OnBehalfOfCredential } from './on-behalf-of-credential.ts'
export type { OnBehalfOf } from './on-behalf-of-credential.ts'
export type {
  ClientAssertionCallback,
  ClientCredentialOptions,
  IdentityClientCredentialOptions,
  OnBehalfOfCommonOptions,
  OnBehalfOfConfig,
  OnBehalfOfCredentialIdentityOptions,
  OnBehalfOfCredentialOptions,
} from './options.ts'
export { AuthenticationError, CredentialUnavailableError } from './errors.ts'
export type { AuthenticationErrorOptions, AuthenticationErrorResponse } from './errors.ts'
export type { CredentialStats } from './credential-stats.ts'
export { AzureAuthorityHosts, renderClaimsChallenge, subscribeOboDiagnostics } from '@onbehalf/core'
export type {
  EngineFactory,
  OboDiagnostic,
  OboErrorCode,
  TokenCache,
  TokenEvent,
  TokenProviderStats,
} from '@onbehalf/core'
