/**
 * `@onbehalf/federated`: secretless client assertions for On-Behalf-Of. Ready-made `getClientAssertion`
 * callbacks for `OnBehalfOfCredential`, both engines and `@onbehalf/server`: managed identity (IMDS, App
 * Service / Functions / Container Apps), workload identity token files (AKS) and Entra agent identities.
 *
 * @module
 */
export { managedIdentityAssertion } from './managed-identity.ts'
export type { ClientAssertionCallback, ManagedIdentityAssertionOptions } from './managed-identity.ts'
export { workloadIdentityAssertion } from './workload-identity.ts'
export type { WorkloadIdentityAssertionOptions } from './workload-identity.ts'
export { agentIdentityAssertion, maxCachedAgents } from './agent-identity.ts'
export type { AgentIdentityAssertionOptions, BlueprintCredential } from './agent-identity.ts'
export type { BlueprintCertificate } from './blueprint-certificate.ts'
export { TokenExchangeAudiences } from './audiences.ts'
export type { PlatformTokenCacheOptions } from './platform-token.ts'
export type { Environment } from './environment.ts'
