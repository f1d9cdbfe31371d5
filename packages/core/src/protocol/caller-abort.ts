/**
 * The caller's `AbortSignal` in an engine: one `ABORTED` error, a wait that stops at the abort, and a race that
 * stops waiting for work that cannot itself be cancelled (a shared discovery, an MSAL call).
 *
 * @module
 */
import { OboError } from '../errors.ts'

/**
 * The `ABORTED` error for an aborted `signal`, with the signal's reason as the cause.
 *
 * @example
 * ```ts
 * if (request.signal?.aborted === true) throw abortedError(request.signal)
 * ```
 */
export function abortedError(signal: AbortSignal): OboError {
  return new OboError('The token request was aborted by the caller.', { code: 'ABORTED', cause: signal.reason })
}

/**
 * Resolves or rejects like `work`, or rejects with `ABORTED` as soon as `signal` fires (calling `onAbort`
 * first, e.g. to cancel the work's requests). `work` goes on for other waiters; its later rejection is handled.
 *
 * @example
 * ```ts
 * await raceAbort(validator.ensureValid(tenantId), request.signal)
 * return raceAbort(acquire(), request.signal, () => context.controller.abort())
 * ```
 */
export function raceAbort<T>(
  work: Promise<T>,
  signal: AbortSignal | undefined,
  onAbort: () => void = noop,
): Promise<T> {
  work.catch(noop)
  if (signal === undefined) return work
  if (signal.aborted) {
    onAbort()
    return Promise.reject(abortedError(signal))
  }
  return new Promise<T>((resolve, reject) => {
    const listener = (): void => {
      onAbort()
      reject(abortedError(signal))
    }
    signal.addEventListener('abort', listener, { once: true })
    work.then(
      (value) => {
        signal.removeEventListener('abort', listener)
        resolve(value)
      },
      (error: unknown) => {
        signal.removeEventListener('abort', listener)
        reject(error instanceof Error ? error : new Error(String(error)))
      },
    )
  })
}

/**
 * Resolves after `ms`, or rejects with `ABORTED` as soon as `signal` fires (the timer is cleared).
 *
 * @example
 * ```ts
 * await abortableDelay(250, request.signal)
 * ```
 */
export function abortableDelay(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted === true) {
      reject(abortedError(signal))
      return
    }
    const onAbort = (): void => {
      clearTimeout(timer)
      if (signal !== undefined) reject(abortedError(signal))
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}

function noop(): void {
  // nothing to do
}
