import { EntraError } from './entra-error.ts'

/**
 * The AADSTS errors of workload identity federation and agent identities, in Entra's words.
 * @example
 * ```ts
 * throw federationErrors.noMatchingCredential(iss, sub, aud)
 * ```
 */
export const federationErrors = {
  /** 70021: no federated identity credential of the app matches the assertion's issuer, subject and audience. */
  noMatchingCredential: (issuer: string, subject: string, audience: string) =>
    new EntraError({
      status: 400,
      error: 'invalid_request',
      codes: [70021],
      message: `No matching federated identity record found for presented assertion. Assertion Issuer: '${issuer}'. Assertion Subject: '${subject}'. Assertion Audience: '${audience}'. https://learn.microsoft.com/entra/workload-id/workload-identity-federation`,
    }),
  /** 50166: the assertion's issuer is one the emulator cannot fetch keys for (only its own issuers are served). */
  unknownIssuer: (issuer: string) =>
    new EntraError({
      status: 400,
      error: 'invalid_client',
      codes: [50166],
      message: `Request to External OIDC endpoint failed. The emulator verifies federated tokens of its own issuers only; '${issuer}' is not one.`,
    }),
  /** 700027: the federated assertion's signature does not verify against its issuer's keys. */
  badSignature: (issuer: string) =>
    new EntraError({
      status: 401,
      error: 'invalid_client',
      codes: [700027],
      message: `Client assertion failed signature validation. The signature does not verify against the keys of issuer '${issuer}'.`,
    }),
  /** 700024: the federated assertion expired or is not yet valid. */
  expired: (nowSeconds: number, expSeconds: number | undefined) =>
    new EntraError({
      status: 400,
      error: 'invalid_client',
      codes: [700024],
      message: `Client assertion is not within its valid time range. Current time: ${new Date(nowSeconds * 1000).toISOString()}, assertion valid until ${expSeconds === undefined ? 'unknown' : new Date(expSeconds * 1000).toISOString()}.`,
    }),
  /** 82001: `fmi_path` from an app that is not an agent identity blueprint. */
  notABlueprint: (clientId: string) =>
    new EntraError({
      status: 400,
      error: 'unauthorized_client',
      codes: [82001],
      message: `The application '${clientId}' is not an agent identity blueprint; only a blueprint may request tokens for an agent identity (fmi_path).`,
    }),
  /** 700016: `fmi_path` names no agent identity of this blueprint. */
  agentNotFound: (agentId: string, blueprintId: string) =>
    new EntraError({
      status: 400,
      error: 'unauthorized_client',
      codes: [700016],
      message: `Application with identifier '${agentId}' was not found as an agent identity of blueprint '${blueprintId}'.`,
    }),
  /** 70011: an agent token request must ask for the token-exchange scope. */
  agentScope: (scope: string) =>
    new EntraError({
      status: 400,
      error: 'invalid_scope',
      codes: [70011],
      message: `The provided value for the input parameter 'scope' is not valid for an agent identity request: '${scope}'. Use 'api://AzureADTokenExchange/.default'.`,
    }),
}
