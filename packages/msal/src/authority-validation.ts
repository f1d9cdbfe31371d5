/**
 * Authority validation with the same rule as the jose engine: well-known Entra hosts pass; any other host
 * must answer instance discovery (`/common/discovery/instance` on that host) once per process, unless the
 * caller set `disableInstanceDiscovery`. MSAL's own instance discovery would always ask
 * `login.microsoftonline.com`, which private clouds and the emulator cannot answer, so the engine validates
 * here and then names the host in MSAL's `knownAuthorities`.
 *
 * @module
 */
import { OboError, oauthErrorFromBody, optional } from '@onbehalf/core'

/** Entra hosts trusted without a discovery request (MSAL's hard-coded clouds). */
const knownHosts: ReadonlySet<string> = new Set([
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
  'login.sovcloud-identity.fr',
  'login.sovcloud-identity.de',
  'login.sovcloud-identity.sg',
])

/** The answer of a discovery GET. */
export interface DiscoveryAnswer {
  readonly status: number
  readonly body: unknown
  /** From `Retry-After`, when the answer had one. */
  readonly retryAfterMs?: number
}

/** Options of {@link createAuthorityValidator}. */
export interface AuthorityValidatorOptions {
  /** An https origin. */
  readonly authorityHost: string
  readonly disableInstanceDiscovery: boolean
  readonly get: (url: string) => Promise<DiscoveryAnswer>
}

/** Validates the authority host once per process, then answers from memory. */
export interface AuthorityValidator {
  ensureValid(tenantId: string): Promise<void>
}

const validated = new Map<string, Promise<void>>()

/**
 * Creates the validator of one authority host.
 *
 * @example
 * ```ts
 * const validator = createAuthorityValidator({ authorityHost, disableInstanceDiscovery: false, get })
 * await validator.ensureValid(tenantId)
 * ```
 */
export function createAuthorityValidator(options: AuthorityValidatorOptions): AuthorityValidator {
  const trusted = options.disableInstanceDiscovery || knownHosts.has(new URL(options.authorityHost).hostname.toLowerCase())
  return {
    ensureValid(tenantId: string): Promise<void> {
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

/**
 * Forgets every validated host (tests only: a fresh process's view).
 *
 * @example
 * ```ts
 * clearAuthorityValidationMemo()
 * ```
 */
export function clearAuthorityValidationMemo(): void {
  validated.clear()
}

async function discover(options: AuthorityValidatorOptions, tenantId: string): Promise<void> {
  const authorize = `${options.authorityHost}/${encodeURIComponent(tenantId)}/oauth2/v2.0/authorize`
  const url = `${options.authorityHost}/common/discovery/instance?api-version=1.1&authorization_endpoint=${encodeURIComponent(authorize)}`
  const { status, body, retryAfterMs } = await options.get(url)
  const record = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {}
  if (status === 200 && typeof record['tenant_discovery_endpoint'] === 'string') return
  // Throttled or failing after the retries: the host may well be valid, so do not call it invalid.
  if (status === 429 || status >= 500) throw oauthErrorFromBody(status, record, { ...optional('retryAfterMs', retryAfterMs) })
  throw new OboError(
    `The authority ${options.authorityHost} is not a known Entra host and failed instance discovery (HTTP ${status}` +
      `${typeof record['error'] === 'string' ? `, ${record['error']}` : ''}). ` +
      'Check the authority host, or set disableInstanceDiscovery for a private cloud you trust.',
    { code: status === 200 ? 'INVALID_RESPONSE' : 'INVALID_AUTHORITY' },
  )
}
