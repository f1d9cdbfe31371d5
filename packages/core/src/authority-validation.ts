/**
 * Authority validation as MSAL does it, shared by every engine: a known Entra cloud host is trusted; any other
 * host is sent once per process to Entra's instance-discovery endpoint on the public cloud, which vouches for
 * the hosts it knows and answers `invalid_instance` (AADSTS50049) for the rest. Asking the unknown host about
 * itself would prove nothing. `disableInstanceDiscovery` skips the check for private clouds the caller trusts.
 *
 * @module
 */
import { OboError, oauthErrorFromBody, optional } from './errors.ts'

/** Entra hosts trusted without a discovery request (the clouds MSAL hard-codes). */
export const knownAuthorityHosts: ReadonlySet<string> = new Set([
  'login.microsoftonline.com',
  'login.windows.net',
  'login.microsoft.com',
  'sts.windows.net',
  'login.microsoftonline.us',
  'login.usgovcloudapi.net',
  'login-us.microsoftonline.com',
  'login.chinacloudapi.cn',
  'login.partner.microsoftonline.cn',
  'login.microsoftonline.de',
  'login.sts.microsoft.com',
  'login.sovcloud-identity.fr',
  'login.sovcloud-identity.de',
  'login.sovcloud-identity.sg',
])

/** Where instance discovery is asked: Entra's public cloud, as in MSAL. */
export const instanceDiscoveryOrigin = 'https://login.microsoftonline.com'

/** The answer of a discovery GET, as the engine's HTTP layer returns it (after its retries). */
export interface DiscoveryAnswer {
  readonly status: number
  readonly body: unknown
  readonly retryAfterMs?: number | undefined
}

/** Options for {@link createAuthorityValidator}. */
export interface AuthorityValidatorOptions {
  /** The normalised authority origin, e.g. `https://login.microsoftonline.com`. */
  readonly authorityHost: string
  readonly disableInstanceDiscovery: boolean
  /** Sends a GET through the engine's own fetch, retries and deadline. */
  readonly get: (url: string) => Promise<DiscoveryAnswer>
}

/** Checks, once per process and host, that an authority host is a real Entra instance. */
export interface AuthorityValidator {
  /** Resolves when the host is trusted; rejects with `INVALID_AUTHORITY` (or the failure of the check). */
  ensureValid(tenantId: string): Promise<void>
}

const validated = new Map<string, Promise<void>>()

/**
 * Creates the validator an engine awaits before it sends a credential anywhere.
 *
 * @example
 * ```ts
 * const validator = createAuthorityValidator({ authorityHost, disableInstanceDiscovery: false, get: getJson })
 * await validator.ensureValid(tenantId)
 * ```
 */
export function createAuthorityValidator(options: AuthorityValidatorOptions): AuthorityValidator {
  const trusted =
    options.disableInstanceDiscovery || knownAuthorityHosts.has(new URL(options.authorityHost).hostname.toLowerCase())
  return {
    ensureValid(tenantId) {
      if (trusted) return Promise.resolve()
      let pending = validated.get(options.authorityHost)
      if (pending === undefined) {
        pending = discover(options, tenantId)
        validated.set(options.authorityHost, pending)
        // A failed check is not remembered: the next call asks again.
        pending.catch(() => validated.delete(options.authorityHost))
      }
      return pending
    },
  }
}

/** Forgets which hosts were validated (for tests). */
export function clearAuthorityValidationMemo(): void {
  validated.clear()
}

async function discover(options: AuthorityValidatorOptions, tenantId: string): Promise<void> {
  const authorize = `${options.authorityHost}/${encodeURIComponent(tenantId)}/oauth2/v2.0/authorize`
  const url = `${instanceDiscoveryOrigin}/common/discovery/instance?api-version=1.1&authorization_endpoint=${encodeURIComponent(authorize)}`
  const { status, body, retryAfterMs } = await options.get(url)
  const record = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {}
  if (status === 200 && typeof record['tenant_discovery_endpoint'] === 'string') return
  // Throttled or failing after the retries: the host may well be valid, so do not call it invalid.
  if (status === 429 || status >= 500) {
    throw oauthErrorFromBody(status, record, { ...optional('retryAfterMs', retryAfterMs) })
  }
  throw new OboError(
    `The authority ${options.authorityHost} is not a known Entra host and Entra's instance discovery did not vouch for it (HTTP ${status}` +
      `${typeof record['error'] === 'string' ? `, ${record['error']}` : ''}). ` +
      'Check the authority host, or set disableInstanceDiscovery for a private cloud you trust.',
    { code: status === 200 ? 'INVALID_RESPONSE' : 'INVALID_AUTHORITY' },
  )
}
