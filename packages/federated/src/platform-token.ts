/**
 * A platform token (managed identity token, projected service-account token, agent T1) cached until shortly
 * before it expires, fetched once under concurrency, and never handed out when it could expire while the
 * token request that carries it is still in flight.
 *
 * @module
 */
import { OboError } from '@onbehalf/core'

/** A token from the platform and when it expires (epoch milliseconds). */
export interface PlatformToken {
  readonly token: string
  readonly expiresAt: number
}

/**
 * Timing of the platform-token cache inside each assertion callback of this package
 * ({@link managedIdentityAssertion}, {@link workloadIdentityAssertion}, {@link agentIdentityAssertion}).
 *
 * @example
 * ```ts
 * const getClientAssertion = managedIdentityAssertion({ renewBeforeExpiryMs: 10 * 60_000 })
 * ```
 */
export interface PlatformTokenCacheOptions {
  /** Renew this long before expiry (capped at half the token's lifetime). Default 5 minutes. */
  readonly renewBeforeExpiryMs?: number
  /**
   * A token with less validity left than this is never handed out: the token request carrying it (30 s
   * deadline by default) must not reach Entra after it expired. Default 60 s.
   */
  readonly minValidityMs?: number
  /** Clock in epoch milliseconds; default `Date.now`. */
  readonly now?: () => number
}

/** A cached platform token source. */
export interface PlatformTokenCache {
  /** The cached token while it is fresh; else one fetch for all concurrent callers. */
  get(): Promise<string>
  /** How many times the platform was asked (successful or not). */
  readonly fetches: number
}

const defaultRenewBeforeExpiryMs = 5 * 60_000
const defaultMinValidityMs = 60_000

interface Held extends PlatformToken {
  readonly renewAt: number
}

/**
 * Wraps `fetchToken` in a cache: fresh → the cached token; due for renewal → one fetch shared by every
 * concurrent caller, falling back to the cached token (while it is still valid for at least `minValidityMs`)
 * when the renewal fails; a failed fetch never sticks.
 *
 * @throws OboError `INVALID_RESPONSE` when the platform hands out a token that is already (nearly) expired;
 *   whatever `fetchToken` throws when there is no usable cached token.
 * @example
 * ```ts
 * const cache = createPlatformTokenCache(() => askImds())
 * const getClientAssertion = () => cache.get()
 * ```
 */
export function createPlatformTokenCache(
  fetchToken: () => Promise<PlatformToken>,
  options: PlatformTokenCacheOptions = {},
): PlatformTokenCache {
  const now = options.now ?? Date.now
  const renewBeforeMs = options.renewBeforeExpiryMs ?? defaultRenewBeforeExpiryMs
  const minValidityMs = options.minValidityMs ?? defaultMinValidityMs
  let held: Held | undefined
  let flight: Promise<Held> | undefined
  let fetches = 0

  const usable = (token: Held | undefined): token is Held =>
    token !== undefined && now() < token.expiresAt - minValidityMs

  const renew = (): Promise<Held> => {
    flight ??= (async (): Promise<Held> => {
      fetches += 1
      const fetchedAt = now()
      try {
        const token = await fetchToken()
        if (token.expiresAt - now() <= minValidityMs) {
          throw new OboError(
            `The platform issued a token that expires within ${Math.round(minValidityMs / 1000)} s; check the host's clock and the token lifetime policy.`,
            { code: 'INVALID_RESPONSE' },
          )
        }
        const lifetimeMs = token.expiresAt - fetchedAt
        const next: Held = { ...token, renewAt: token.expiresAt - Math.min(renewBeforeMs, lifetimeMs / 2) }
        held = next
        return next
      } finally {
        flight = undefined
      }
    })()
    return flight
  }

  return {
    async get() {
      const current = held
      if (current !== undefined && now() < current.renewAt && usable(current)) return current.token
      try {
        return (await renew()).token
      } catch (error) {
        // Renewal ahead of time failed: the held token still serves while it cannot expire in flight.
        if (usable(held)) return held.token
        throw error
      }
    },
    get fetches() {
      return fetches
    },
  }
}
