/**
 * Authority validation, as MSAL does it for security: the authority must be https; well-known Entra cloud hosts
 * pass; any other host must answer instance discovery (once per host per process) unless the caller disabled it.
 *
 * @module
 */
import { OboError, oauthErrorFromBody } from '@onbehalf/core'
import { InvalidResponseError } from './errors.ts'

/**
 * Entra hosts trusted without a discovery request (public, US Gov, China, Germany, sovereign clouds).
 *
 * @example
 * ```ts
 * knownAuthorityHosts.has('login.microsoftonline.us') // true
 * ```
 */
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

/**
 * Normalises an authority host to its https origin, refusing anything else (plain http, paths, credentials).
 *
 * @example
 * ```ts
 * normalizeAuthorityHost('https://login.microsoftonline.com/') // 'https://login.microsoftonline.com'
 * ```
 */
export function normalizeAuthorityHost(authorityHost: string): string {
  let url: URL
  try {
    url = new URL(authorityHost)
  } catch (error) {
    throw new OboError(`The authority host "${authorityHost}" is not a URL. Use e.g. https://login.microsoftonline.com.`, {
      code: 'INVALID_AUTHORITY',
      cause: error,
    })
  }
  if (url.protocol !== 'https:') {
    throw new OboError(
      `The authority host must use https (got ${url.protocol}); client credentials are never sent over plain HTTP.`,
      { code: 'INVALID_AUTHORITY' },
    )
  }
  if ((url.pathname !== '/' && url.pathname !== '') || url.search !== '' || url.hash !== '' || url.username !== '' || url.password !== '') {
    throw new OboError(
      'The authority host must be an origin only (e.g. https://login.microsoftonline.com), without path, query or credentials; the tenant is given per request.',
      { code: 'INVALID_AUTHORITY' },
    )
  }
  return url.origin
}

/** What {@link createAuthorityValidator} needs. */
export interface AuthorityValidatorOptions {
  readonly authorityHost: string
  readonly disableInstanceDiscovery: boolean
  /** Performs the discovery GET; the engine passes its retrying, deadline-bound fetch. */
  readonly get: (url: string) => Promise<{ status: number; body: unknown; retryAfterMs?: number | undefined }>
}

/** Validates an authority once, then answers from memory. */
export interface AuthorityValidator {
  /** Resolves once the host is known valid; one check per host per process, shared by concurrent callers. */
  ensureValid(tenantId: string): Promise<void>
}

// Per process: a host validated once is valid for every engine.
const validatedHosts = new Map<string, Promise<void>>()

/**
 * Creates the validator for one authority host.
 *
 * @example
 * ```ts
 * const validator = createAuthorityValidator({ authorityHost, disableInstanceDiscovery: false, get })
 * await validator.ensureValid(tenantId)
 * ```
 */
export function createAuthorityValidator(options: AuthorityValidatorOptions): AuthorityValidator {
  const host = new URL(options.authorityHost).host.toLowerCase()
  const trusted = options.disableInstanceDiscovery || knownAuthorityHosts.has(host)
  return {
    async ensureValid(tenantId) {
      if (trusted) return
      let pending = validatedHosts.get(options.authorityHost)
      if (pending === undefined) {
        pending = discover(options, tenantId)
        validatedHosts.set(options.authorityHost, pending)
        // A failed check is not remembered: the next request asks again.
        pending.catch(() => validatedHosts.delete(options.authorityHost))
      }
      await pending
    },
  }
}

async function discover(options: AuthorityValidatorOptions, tenantId: string): Promise<void> {
  const authorize = `${options.authorityHost}/${encodeURIComponent(tenantId)}/oauth2/v2.0/authorize`
  const url = `${options.authorityHost}/common/discovery/instance?api-version=1.1&authorization_endpoint=${encodeURIComponent(authorize)}`
  const { status, body, retryAfterMs } = await options.get(url)
  const record = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {}
  if (status === 200 && typeof record['tenant_discovery_endpoint'] === 'string') return
  if (status === 200) throw new InvalidResponseError('Instance discovery answered without tenant_discovery_endpoint', status)
  // Throttled or failing (after retries): the host may be fine, so say so rather than calling it invalid.
  if (status === 429 || status >= 500) throw oauthErrorFromBody(status, record, retryAfterMs === undefined ? {} : { retryAfterMs })
  throw new OboError(
    `The authority ${options.authorityHost} is not a known Entra host and failed instance discovery (HTTP ${status}` +
      `${typeof record['error'] === 'string' ? `, ${record['error']}` : ''}). Check the authority host, or set disableInstanceDiscovery for a private cloud you trust.`,
    { code: 'INVALID_AUTHORITY' },
  )
}

/**
 * Forgets every validated host (tests).
 *
 * @example
 * ```ts
 * clearAuthorityValidationMemo()
 * ```
 */
export function clearAuthorityValidationMemo(): void {
  validatedHosts.clear()
}
