/**
 * `@azure/identity`'s `OnBehalfOfCredential`, built per request as servers use it (the user assertion is a
 * constructor argument), with instance discovery disabled because the emulator is a private authority.
 *
 * @module
 */
import {
  OnBehalfOfCredential,
  type AuthorityValidationOptions,
  type OnBehalfOfCredentialSecretOptions,
} from '@azure/identity'
import type { EmulatorAccess } from '../child-protocol.ts'
import type { Contender } from './contender.ts'

/**
 * The `@azure/identity` contender. It has no cache shared across credentials, so it cannot be pre-filled.
 *
 * @example
 * ```ts
 * const identity = azureIdentityContender(access)
 * const token = await identity.call(assertion)
 * ```
 */
export function azureIdentityContender(access: EmulatorAccess): Contender {
  return {
    id: 'azure-identity',
    call: async (assertion) => {
      // `disableInstanceDiscovery` is honoured at run time but missing from the constructor's overload types in
      // 4.13.1, so the options are typed with the interface that declares it.
      const options: OnBehalfOfCredentialSecretOptions & AuthorityValidationOptions & { authorityHost: string } = {
        tenantId: access.tenantId,
        clientId: access.clientId,
        clientSecret: access.clientSecret,
        userAssertionToken: assertion,
        authorityHost: access.authorityHost,
        disableInstanceDiscovery: true,
      }
      const credential = new OnBehalfOfCredential(options)
      return (await credential.getToken(access.scope)).token
    },
  }
}
