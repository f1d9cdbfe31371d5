/**
 * Clock helpers for scenario processes.
 *
 * @module
 */

/**
 * Monotonic time in milliseconds with sub-microsecond resolution.
 *
 * @example
 * ```ts
 * const start = nowMs(); work(); const ms = nowMs() - start
 * ```
 */
export function nowMs(): number {
  return Number(process.hrtime.bigint()) / 1e6
}

/**
 * Runs `task` over `items` with at most `limit` in flight; results keep the input order.
 *
 * @example
 * ```ts
 * const tokens = await mapLimit(assertions, 4, (a) => contender.call(a))
 * ```
 */
export async function mapLimit<T, R>(items: readonly T[], limit: number, task: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length)
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++
      out[i] = await task(items[i] as T)
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
  return out
}

/**
 * Collects garbage until the heap stops shrinking (needs `--expose-gc`), then returns `heapUsed`.
 *
 * @throws Error when the process was started without `--expose-gc`.
 * @example
 * ```ts
 * const before = await settledHeapUsed()
 * ```
 */
export async function settledHeapUsed(): Promise<number> {
  const gc = (globalThis as { gc?: () => void }).gc
  if (gc === undefined) throw new Error('start the process with --expose-gc')
  let last = Number.POSITIVE_INFINITY
  for (let round = 0; round < 6; round++) {
    gc()
    await new Promise((resolve) => setImmediate(resolve))
    const used = process.memoryUsage().heapUsed
    if (used >= last - 64 * 1024) return used
    last = used
  }
  return last
}
