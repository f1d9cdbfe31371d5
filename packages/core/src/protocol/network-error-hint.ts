/**
 * What a failed connection means and the way out, for `NETWORK_ERROR` messages. The two failures new users
 * meet first both look like "fetch failed": an authority that cannot be reached (often instance discovery,
 * which asks Entra's public cloud about any host it does not know, from a machine that is offline or pointed at
 * a local emulator) and a server certificate from a private CA (the emulator's, a private cloud's).
 *
 * @module
 */
import { instanceDiscoveryOrigin } from '../authority-validation.ts'

/** Socket errors that mean the host was never reached: name resolution or the connection itself failed. */
const unreachableCodes: ReadonlySet<string> = new Set([
  'ENOTFOUND',
  'EAI_AGAIN',
  'ECONNREFUSED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
  'ETIMEDOUT',
  'UND_ERR_CONNECT_TIMEOUT',
])

/** OpenSSL verification errors that mean "the chain ends at a CA this process does not trust". */
const untrustedCertificateCodes: ReadonlySet<string> = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_GET_ISSUER_CERT',
  'CERT_UNTRUSTED',
])

/** What the caller of `fetchAttempt` was talking to, for the hint. */
export type NetworkErrorTarget = 'authority' | 'other'

/**
 * The socket-level code of a failed `fetch`: undici (Node's fetch) and `emu.fetch` put it on `cause`, other
 * fetches on the error itself; a happy-eyeballs failure nests it in an `AggregateError`.
 *
 * @example
 * ```ts
 * networkErrorCode(new TypeError('fetch failed', { cause: Object.assign(new Error('x'), { code: 'ENOTFOUND' }) })) // 'ENOTFOUND'
 * ```
 */
export function networkErrorCode(error: unknown): string | undefined {
  for (const candidate of [error instanceof Error ? error.cause : undefined, error]) {
    const code = codeOf(candidate) ?? (candidate instanceof AggregateError ? codeOf(candidate.errors[0]) : undefined)
    if (code !== undefined) return code
  }
  return undefined
}

/**
 * The sentence that follows "Could not reach <host>: <code>." in a `NETWORK_ERROR` message: for an untrusted
 * certificate, how to trust a private CA; for an unreachable authority, `authorityHost` and
 * `disableInstanceDiscovery`; otherwise a generic check. Never contains anything from the request but its URL's
 * host.
 *
 * @example
 * ```ts
 * networkErrorHint('https://login.microsoftonline.com/common/discovery/instance?…', 'ENOTFOUND', 'authority')
 * // 'Instance discovery asks login.microsoftonline.com to vouch for … disableInstanceDiscovery: true.'
 * ```
 */
export function networkErrorHint(url: string, code: string | undefined, target: NetworkErrorTarget): string {
  const host = new URL(url).host
  if (code !== undefined && untrustedCertificateCodes.has(code)) {
    return (
      `The TLS certificate of ${host} is signed by a CA this process does not trust. For a private CA (a local ` +
      'emulator, a private cloud, a TLS-inspecting proxy), pass a `fetch` that trusts it (for ' +
      '@onbehalf/entra-emulator: `fetch: emu.fetch`) or start Node with NODE_EXTRA_CA_CERTS=<the CA PEM file>.'
    )
  }
  if (target === 'authority' && code !== undefined && unreachableCodes.has(code)) {
    const wayOut =
      'For a local emulator or a private cloud, set the authority host (`authorityHost`, or `authority`) to its ' +
      'https origin and `disableInstanceDiscovery: true`.'
    if (isInstanceDiscovery(url)) {
      return (
        `The authority is unreachable: instance discovery asks ${host} to vouch for any authority host it does ` +
        `not know, and ${host} cannot be reached from here. ${wayOut}`
      )
    }
    return `The authority is unreachable: check the authority host and the network. ${wayOut}`
  }
  return target === 'authority' ? 'Check the network and the authority host.' : 'Check the network.'
}

function isInstanceDiscovery(url: string): boolean {
  const parsed = new URL(url)
  return parsed.origin === instanceDiscoveryOrigin && parsed.pathname.endsWith('/discovery/instance')
}

function codeOf(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined
  const code = (value as { code?: unknown }).code
  return typeof code === 'string' && code !== '' ? code : undefined
}
