/**
 * Process-level watchers: unhandled rejections, and the resources (file descriptors, active handles and
 * timers) a leak would leave behind.
 *
 * @module
 */
import { readdirSync } from 'node:fs'

/** Records every unhandled rejection while installed. */
export interface RejectionWatch {
  readonly rejections: readonly unknown[]
  stop(): void
}

/**
 * Installs a `process.on('unhandledRejection')` listener until `stop()`.
 *
 * @example
 * ```ts
 * const watch = watchUnhandledRejections()
 * // … run the scenario, let microtasks settle …
 * expect(watch.rejections).toEqual([])
 * watch.stop()
 * ```
 */
export function watchUnhandledRejections(): RejectionWatch {
  const rejections: unknown[] = []
  const listener = (reason: unknown): void => {
    rejections.push(reason)
  }
  process.on('unhandledRejection', listener)
  return {
    rejections,
    stop: () => {
      process.off('unhandledRejection', listener)
    },
  }
}

/**
 * Lets pending promise callbacks and one turn of the event loop run, so a late rejection surfaces as
 * `unhandledRejection` before the test looks.
 *
 * @example
 * ```ts
 * await settle()
 * ```
 */
export async function settle(ms = 20): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms))
  await new Promise((resolve) => setImmediate(resolve))
}

/** Open file descriptors of this process (Linux `/proc/self/fd`). */
export function openFileDescriptors(): number {
  return readdirSync('/proc/self/fd').length
}

/** Active resources by type (`Timeout`, `TCPSocketWrap`, …), from `process.getActiveResourcesInfo()`. */
export function activeResources(): Record<string, number> {
  const counts: Record<string, number> = {}
  for (const type of process.getActiveResourcesInfo()) counts[type] = (counts[type] ?? 0) + 1
  return counts
}
