/**
 * The engine's authority host: an https origin and nothing else. Whether the host is a real Entra instance is
 * core's `createAuthorityValidator` (instance discovery, as MSAL does it).
 *
 * @module
 */
import { OboError } from '@onbehalf/core'

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
