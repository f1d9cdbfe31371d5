/**
 * The protected API as Node teams write it today, without a library for it: `jose`'s `jwtVerify` against the
 * tenant's JWKS (`createRemoteJWKSet`, which fetches the keys once and keeps them), then `@azure/identity`'s
 * `OnBehalfOfCredential` built per request (the user assertion is a constructor argument).
 *
 * @module
 */
import {
  OnBehalfOfCredential,
  type AuthorityValidationOptions,
  type OnBehalfOfCredentialSecretOptions,
} from '@azure/identity'
import { createRemoteJWKSet, jwtVerify } from 'jose'
import type { EmulatorAccess } from '../child-protocol.ts'
import type { ProtectedTier } from './protected-tier.ts'

/**
 * The hand-written middle tier.
 *
 * @example
 * ```ts
 * const tier = handWrittenTier(access)
 * ```
 */
export function handWrittenTier(access: EmulatorAccess): ProtectedTier {
  const keys = createRemoteJWKSet(new URL(access.jwksUri))
  return {
    id: 'azure-identity',
    pattern:
      '`jose` `jwtVerify` with `createRemoteJWKSet`; per request `new OnBehalfOfCredential(...)` from `@azure/identity` + `getToken`',
    validate: async (request) => {
      const header = request.headers.authorization
      if (!header.startsWith('Bearer ')) throw new Error('401: no bearer token')
      const token = header.slice('Bearer '.length)
      const { payload } = await jwtVerify(token, keys, {
        issuer: access.issuer,
        audience: access.clientId,
        algorithms: ['RS256'],
      })
      return {
        oid: String(payload['oid']),
        token: async () => {
          // `disableInstanceDiscovery` is honoured at run time but missing from the constructor's overload types
          // in 4.13.1 (see the azure-identity contender).
          const options: OnBehalfOfCredentialSecretOptions & AuthorityValidationOptions & { authorityHost: string } = {
            tenantId: access.tenantId,
            clientId: access.clientId,
            clientSecret: access.clientSecret,
            userAssertionToken: token,
            authorityHost: access.authorityHost,
            disableInstanceDiscovery: true,
          }
          return (await new OnBehalfOfCredential(options).getToken(access.scope)).token
        },
      }
    },
  }
}
