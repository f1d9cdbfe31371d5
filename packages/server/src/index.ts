/**
 * `@onbehalf/server`: protect a Node API with Microsoft Entra. Validate the caller's access token (signature,
 * issuer, audience, lifetime, scopes and roles), then call downstream APIs as the caller by On-Behalf-Of, and
 * relay step-up, consent and throttling as HTTP answers. Framework adapters: `@onbehalf/server/express`,
 * `/fastify`, `/hono`.
 *
 * @module
 */
export { createProtectedApi } from './protected-api.ts'
export type { ProtectedApi, ProtectedApiStats, RequestLike } from './protected-api.ts'
export type { DownstreamApiOptions, ProtectedApiOptions } from './options.ts'
export type { Caller, CallerTokenOptions } from './caller.ts'
export { claimsChallengeOf } from './caller.ts'
export { ApiAuthError } from './api-auth-error.ts'
export type { ApiAuthErrorBody, ApiAuthErrorCode, ApiAuthErrorOptions } from './api-auth-error.ts'
export { formatBearerChallenge } from './bearer-challenge.ts'
export type { BearerChallengeParameters } from './bearer-challenge.ts'
export { requireRoles, requireScopes } from './requirements.ts'
export type { Requirement } from './requirements.ts'
export type { AccessTokenClaims, ValidatedToken } from './token-validator.ts'
