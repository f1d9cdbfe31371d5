export { startEmulator, emulatorFetch } from './emulator.ts'
export type { AddAgentIdentityOptions, EntraEmulator, StartEmulatorOptions } from './emulator.ts'
export { MAX_FEDERATED_CREDENTIALS, TOKEN_EXCHANGE_AUDIENCES } from './federation.ts'
export type {
  AddFederatedCredentialOptions,
  FederatedCredential,
  ManagedIdentity,
  ServiceAccountTokenOptions,
} from './federation.ts'
export type { EmulatorDefaults, DefaultMiddleTier, DefaultDownstream, DefaultUsers } from './defaults.ts'
export type {
  AddUserOptions,
  AppCertificate,
  EmulatorApp,
  EmulatorDirectory,
  EmulatorTenant,
  EmulatorUser,
  RegisterAppOptions,
  RegisteredApp,
} from './directory.ts'
export type { EndpointKind, FaultMatch, FaultSpec, FaultTrigger, FaultInjector, InstalledFault } from './faults.ts'
export type { RecordedRequest, RequestCounts } from './request-log.ts'
export type { IssueUserTokenOptions, TokenResponseBody } from './token-service.ts'
export { DEFAULT_TOKEN_LIFETIMES } from './token-lifetimes.ts'
export type { TokenLifetimes } from './token-lifetimes.ts'
export type { EntraErrorBody } from './entra-error.ts'
export { createTrustingFetch, createTrustingAgent, createMsalNetworkClient } from './trusting-fetch.ts'
export type { FetchFunction, MsalNetworkClient, MsalNetworkResponse, TrustingFetchOptions } from './trusting-fetch.ts'
export { createAzureHttpClient } from './azure-http-client.ts'
export type { AzureHttpHeaders, AzureHttpRequest } from './azure-http-client.ts'
