/**
 * Process-wide diagnostics: every token provider (and every distributed cache that opts in) publishes what it
 * does on one named channel, `node:diagnostics_channel` where the runtime has it and a portable channel
 * elsewhere. Subscribers (the OpenTelemetry bridge, a log, a test) see every acquisition in the process
 * without touching call sites. With nobody subscribed, publishers pay one `hasSubscribers` read and build no
 * event object.
 *
 * Events carry names, hashes, codes and timings only: never a token, an assertion, a secret or a user
 * identifier.
 *
 * @module
 */
import { openChannel, subscribeChannel, unsubscribeChannel } from '#diagnostics-channel'
import type { ChannelLike } from './diagnostics-channel-types.ts'
import type { OboErrorCode } from './errors.ts'

/**
 * The channel name. On Node, `diagnostics_channel.subscribe(oboDiagnosticsChannelName, listener)` works as
 * well as {@link subscribeOboDiagnostics}.
 */
export const oboDiagnosticsChannelName = 'onbehalf:token'

/** Where a token came from: the first cache level (memory), the distributed cache, or a token request. */
export type TokenSource = 'l1' | 'l2' | 'identity-provider'

/** What one `getToken` call found when it looked at the cache. */
export type AcquisitionOutcome = 'hit' | 'miss' | 'coalesced' | 'refresh' | 'claims-bypass' | 'throttled'

/**
 * Why a token request was made (MSAL.NET's `CacheRefreshReason`, in our words): no cached token, the cached
 * one had expired, the cached one was due for proactive refresh, or a claims challenge bypassed the cache.
 */
export type TokenRequestReason = 'no-cached-token' | 'expired' | 'proactive-refresh' | 'claims'

/** Fields every token event has. */
export interface OboDiagnosticBase {
  /** The engine's name (`jose`, `msal`, …). */
  readonly engine: string
  /** The tenant the token is for (a directory ID or domain, never a user's). */
  readonly tenantId: string
  /** The requested scopes (normalized). */
  readonly scopes: readonly string[]
}

/** One `getToken` call's cache decision. Published for every call, hits included. */
export interface AcquisitionDiagnostic extends OboDiagnosticBase {
  readonly type: 'acquisition'
  readonly outcome: AcquisitionOutcome
  /** For hits: the cache level that answered. For calls that wait on a token request: `identity-provider`. */
  readonly source?: TokenSource
}

/** A token request (a flight) started. */
export interface TokenRequestStartDiagnostic extends OboDiagnosticBase {
  readonly type: 'token-request-start'
  /** Pairs this event with its `token-request-end`; unique in the process. */
  readonly id: number
  readonly reason: TokenRequestReason
  /** The grant: the OBO exchange, or redemption of a cached refresh token. */
  readonly grant: 'on-behalf-of' | 'refresh-token'
}

/** A token request finished. */
export interface TokenRequestEndDiagnostic extends Omit<TokenRequestStartDiagnostic, 'type'> {
  readonly type: 'token-request-end'
  readonly durationMs: number
  readonly outcome: 'success' | 'failure'
  /** Our stable error code, on failure. */
  readonly errorCode?: OboErrorCode
  /** Entra's first `error_codes` entry (the AADSTS number), when Entra answered with an error. */
  readonly stsErrorCode?: number
  /** The HTTP status of Entra's error answer. */
  readonly httpStatus?: number
}

/** A proactive refresh failed; the caller got the still-valid cached token. */
export interface RefreshFailedDiagnostic extends OboDiagnosticBase {
  readonly type: 'refresh-failed'
  readonly errorCode: OboErrorCode
  readonly stsErrorCode?: number
}

/** A distributed cache's health: a failed read or write, or its circuit breaker changing state. */
export interface CacheDiagnostic {
  readonly type: 'cache'
  /** The cache's kind, e.g. `redis`. */
  readonly cache: string
  readonly event: 'read-failed' | 'write-failed' | 'delete-failed' | 'decode-failed' | 'circuit'
  /** Why it failed (`timeout`, `error`, `circuit-open`, …). */
  readonly reason?: string
  /** For `circuit`: the breaker's new state. */
  readonly state?: 'closed' | 'open' | 'half-open'
}

/** Everything published on {@link oboDiagnosticsChannelName}. */
export type OboDiagnostic =
  | AcquisitionDiagnostic
  | TokenRequestStartDiagnostic
  | TokenRequestEndDiagnostic
  | RefreshFailedDiagnostic
  | CacheDiagnostic

/**
 * The channel publishers use. Publishers check `hasSubscribers` before they build an event.
 *
 * @example
 * ```ts
 * if (oboDiagnostics.hasSubscribers) oboDiagnostics.publish({ type: 'cache', cache: 'redis', event: 'circuit', state: 'open' })
 * ```
 */
export const oboDiagnostics: {
  readonly hasSubscribers: boolean
  publish(event: OboDiagnostic): void
} = openChannel(oboDiagnosticsChannelName) satisfies ChannelLike

/**
 * Subscribes to every token event in the process (all providers, all credentials, all caches that publish).
 * Returns the function that unsubscribes. A listener that throws does not break token acquisition.
 *
 * @example
 * ```ts
 * const stop = subscribeOboDiagnostics((event) => {
 *   if (event.type === 'token-request-end') console.log(event.outcome, event.durationMs, event.stsErrorCode)
 * })
 * // later
 * stop()
 * ```
 */
export function subscribeOboDiagnostics(listener: (event: OboDiagnostic) => void): () => void {
  const onMessage = (message: unknown): void => {
    try {
      listener(message as OboDiagnostic)
    } catch {
      // A subscriber's bug must not break token acquisition.
    }
  }
  subscribeChannel(oboDiagnosticsChannelName, onMessage)
  let subscribed = true
  return () => {
    if (!subscribed) return
    subscribed = false
    unsubscribeChannel(oboDiagnosticsChannelName, onMessage)
  }
}
