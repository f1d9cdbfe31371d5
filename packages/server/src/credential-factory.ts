/**
 * The OBO credentials of one protected API: the client configuration validated once (`createOnBehalfOf`), then
 * per caller a credential for the cost of a closure. A multi-tenant API exchanges each caller's token in the
 * caller's own tenant, so it keeps one configuration per tenant seen (bounded).
 *
 * @module
 */
import { createOnBehalfOf, type OnBehalfOf, type OnBehalfOfConfig, type OnBehalfOfCredential } from '@onbehalf/azure'

/** Makes the credential of one caller: its tenant and its access token (the user assertion). */
export type CredentialFactory = (tenantId: string, userAssertion: string) => OnBehalfOfCredential

/** Tenants whose configurations are kept; the oldest is dropped first (it is rebuilt when needed). */
const maxTenants = 256

/**
 * Validates the client configuration for `config.tenantId` now (a `TypeError` names the option, with the
 * credential's own rules) and returns the per-caller factory.
 *
 * @throws TypeError naming the option, prefixed `createProtectedApi:`.
 * @example
 * ```ts
 * const credentialFor = createCredentialFactory({ tenantId, clientId, clientSecret })
 * const credential = credentialFor(caller.tenantId, token)
 * ```
 */
export function createCredentialFactory(config: OnBehalfOfConfig): CredentialFactory {
  const home = configure(config)
  const byTenant = new Map<string, OnBehalfOf>([[config.tenantId, home]])
  return (tenantId, userAssertion) => {
    let obo = byTenant.get(tenantId)
    if (obo === undefined) {
      obo = configure({ ...config, tenantId })
      byTenant.set(tenantId, obo)
      if (byTenant.size > maxTenants) {
        const oldest = byTenant.keys().next().value as string
        if (oldest !== config.tenantId) byTenant.delete(oldest)
      }
    }
    return obo.credentialFor(userAssertion)
  }
}

function configure(config: OnBehalfOfConfig): OnBehalfOf {
  try {
    return createOnBehalfOf(config)
  } catch (error) {
    if (error instanceof TypeError) {
      throw new TypeError(
        `createProtectedApi: ${error.message.replace(/^(OnBehalfOfCredential|createOnBehalfOf): /, '')}`,
        { cause: error },
      )
    }
    throw error
  }
}
