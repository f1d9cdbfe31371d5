/**
 * Tenant rules shared by every credential: which tenant IDs are well-formed, and which tenant a request goes to.
 *
 * @module
 */
import { OboError } from './errors.ts'

const tenantPattern = /^[A-Za-z0-9.-]+$/

/**
 * Throws a `TypeError` naming `argumentName` unless `tenantId` is a well-formed tenant (GUID or domain).
 *
 * @example
 * ```ts
 * assertTenantId(options.tenantId, 'tenantId')
 * ```
 */
export function assertTenantId(tenantId: unknown, argumentName = 'tenantId'): asserts tenantId is string {
  if (typeof tenantId !== 'string' || !tenantPattern.test(tenantId)) {
    throw new TypeError(
      `Invalid ${argumentName}: a tenant ID is a GUID or domain name made of the characters A-Z, a-z, 0-9, '.' and '-'. Find it in the Entra admin center under Overview.`,
    )
  }
}

/** Input of {@link resolveTenant}. */
export interface ResolveTenantOptions {
  /** The tenant the credential was configured with. */
  readonly configuredTenant: string
  /** The tenant asked for by one `getToken` call, if any. */
  readonly requestedTenant?: string | undefined
  /** Further tenants the credential may acquire tokens for; `'*'` allows any. */
  readonly additionallyAllowedTenants?: readonly string[]
  /** `AZURE_IDENTITY_DISABLE_MULTITENANTAUTH` is set: the configured tenant always wins. */
  readonly disableMultiTenantAuth?: boolean
}

/**
 * Resolves the tenant of one request, as Azure Identity does.
 *
 * @throws OboError `TENANT_NOT_ALLOWED` when the requested tenant is neither configured nor allowed.
 * @example
 * ```ts
 * const tenantId = resolveTenant({ configuredTenant, requestedTenant: options.tenantId, additionallyAllowedTenants })
 * ```
 */
export function resolveTenant(options: ResolveTenantOptions): string {
  const { configuredTenant, requestedTenant } = options
  if (
    requestedTenant === undefined ||
    requestedTenant === configuredTenant ||
    options.disableMultiTenantAuth === true ||
    configuredTenant === 'adfs'
  ) {
    return configuredTenant
  }
  assertTenantId(requestedTenant, 'tenantId')
  const allowed = options.additionallyAllowedTenants ?? []
  if (allowed.includes('*') || allowed.some((t) => t.toLowerCase() === requestedTenant.toLowerCase())) {
    return requestedTenant
  }
  throw new OboError(
    `The current credential is not configured to acquire tokens for tenant ${requestedTenant}. To enable acquiring tokens for this tenant add it to the additionallyAllowedTenants on the credential options, or add "*" to additionallyAllowedTenants to allow acquiring tokens for any tenant.`,
    { code: 'TENANT_NOT_ALLOWED' },
  )
}
