/**
 * Per-call state that MSAL cannot carry for us. MSAL owns the call stack between `acquireTokenOnBehalfOf` and
 * our network client, so the state travels in an `AsyncLocalStorage`: the network client records the raw
 * answer of the token endpoint (for exact error mapping and the refresh token MSAL hides), and the caller's
 * abort reaches the in-flight `fetch`.
 *
 * @module
 */
import { AsyncLocalStorage } from 'node:async_hooks'
import type { OboError } from '@onbehalf/core'

/** A token-endpoint answer exactly as it arrived. */
export interface RawTokenResponse {
  readonly status: number
  readonly headers: Readonly<Record<string, string>>
  readonly body: Readonly<Record<string, unknown>>
  /** When the request that produced this answer was sent (epoch ms); expiry times count from here. */
  readonly sentAt: number
}

/** What one engine call shares with the network client and the assertion callback. */
export interface CallContext {
  /** Aborted when the caller's signal fires: cancels this call's network requests. */
  readonly controller: AbortController
  /** The last successful token-endpoint answer. */
  tokenResponse: RawTokenResponse | undefined
  /** The typed failure the network client or callback saw; wins over whatever MSAL makes of it. */
  failure: OboError | undefined
}

const storage = new AsyncLocalStorage<CallContext>()

/**
 * A fresh context for one engine call.
 *
 * @example
 * ```ts
 * const context = createCallContext()
 * await runInCallContext(context, () => app.acquireTokenOnBehalfOf(request))
 * ```
 */
export function createCallContext(): CallContext {
  return { controller: new AbortController(), tokenResponse: undefined, failure: undefined }
}

/**
 * Runs `work` with `context` visible to {@link currentCallContext} in everything it awaits.
 *
 * @example
 * ```ts
 * await runInCallContext(createCallContext(), () => app.acquireTokenByRefreshToken(request))
 * ```
 */
export function runInCallContext<T>(context: CallContext, work: () => Promise<T>): Promise<T> {
  return storage.run(context, work)
}

/**
 * The context of the engine call that is running, if any.
 *
 * @example
 * ```ts
 * const signal = currentCallContext()?.controller.signal
 * ```
 */
export function currentCallContext(): CallContext | undefined {
  return storage.getStore()
}
