/**
 * Authority host normalisation: an https origin, never plain HTTP, never credentials in the URL.
 *
 * @module
 */

/** Well-known Entra authority hosts. */
export const AzureAuthorityHosts = {
  /** The public cloud. */
  AzurePublicCloud: 'https://login.microsoftonline.com',
  /** Microsoft Azure operated by 21Vianet (China). */
  AzureChina: 'https://login.chinacloudapi.cn',
  /** Azure US Government. */
  AzureGovernment: 'https://login.microsoftonline.us',
} as const

const hasScheme = /^[a-z][a-z0-9+.-]*:/i
const hostWithPort = /^[^/:]+:\d+(?:\/|$)/

/**
 * Normalises an authority host to an https origin (`https://host[:port]`). A bare host (with or without a
 * port) gets `https://`.
 *
 * @throws TypeError naming `argumentName` for `http:`, other schemes, user info, or a malformed URL.
 * @example
 * ```ts
 * normalizeAuthorityHost('login.microsoftonline.com') // 'https://login.microsoftonline.com'
 * normalizeAuthorityHost('login.example.com:8443') // 'https://login.example.com:8443'
 * ```
 */
export function normalizeAuthorityHost(authority: string, argumentName = 'authority'): string {
  if (typeof authority !== 'string' || authority.trim() === '') {
    throw new TypeError(`${argumentName} must be a non-empty https URL or host name.`)
  }
  const trimmed = authority.trim()
  // `host:port` (no scheme) would parse as the scheme `host:`: a scheme is only read when the text after the
  // colon is not a port.
  const text = hasScheme.test(trimmed) && !hostWithPort.test(trimmed) ? trimmed : `https://${trimmed}`
  let url: URL
  try {
    url = new URL(text)
  } catch (error) {
    throw new TypeError(
      `${argumentName} is not a valid URL; pass an https URL such as https://login.microsoftonline.com.`,
      {
        cause: error,
      },
    )
  }
  if (url.protocol !== 'https:') {
    throw new TypeError(
      `${argumentName} must use https (got ${url.protocol}); tokens and client secrets are never sent over an unencrypted connection.`,
    )
  }
  if (url.username !== '' || url.password !== '') {
    throw new TypeError(`${argumentName} must not contain user info; pass just the https host.`)
  }
  if (url.search !== '' || url.hash !== '') {
    throw new TypeError(`${argumentName} must not contain a query or fragment; pass just the https host.`)
  }
  return url.origin
}
