/**
 * Cross-instance single-flight: on an L2 miss, one instance takes a short Redis lock (`SET … NX PX`) and asks
 * the IdP; the others poll Redis for its token instead of asking too, within a wait budget that follows how
 * long this instance's own token requests take.
 *
 * @module
 */
import type { CommandRunner } from './command-runner.ts'
import { positive } from './positive-option.ts'
import type { RedisCommands } from './redis-client.ts'

/** Tuning of the optional cross-instance single-flight. */
export interface SingleFlightOptions {
  /** The longest a miss waits for another instance's token. Default 500 ms. */
  readonly maxWaitMs?: number
  /** How often a waiting miss looks in Redis. Default 25 ms. */
  readonly pollMs?: number
  /** How long the lock lives if its holder never writes (it failed or died). Default 2,000 ms. */
  readonly lockTtlMs?: number
}

/** What {@link CrossInstanceLock.acquire} found. */
export type LockOutcome =
  /** This instance holds the lock: it fetches the token (a plain miss). */
  | 'held'
  /** Another instance holds it: poll for its token. */
  | 'other'
  /** Redis could not say: a plain miss. */
  | 'failed'

/** The lock of one cache. */
export interface CrossInstanceLock {
  acquire(key: string, lockName: string): Promise<LockOutcome>
  /**
   * Polls `name` until a value appears or the budget is spent; `undefined` when nothing came (or Redis
   * failed), else the stored text.
   */
  awaitValue(name: string): Promise<string | undefined>
  /** The token for `key` was written: returns whether this instance held its lock (then release it). */
  written(key: string): boolean
  /** This instance gives up the lock it holds for `key` without fetching (the caller deletes it in Redis). */
  release(key: string): void
}

/** Settings after validation. */
interface Settings {
  readonly maxWaitMs: number
  readonly pollMs: number
  readonly lockTtlMs: number
}

const maxLocksTracked = 10_000

/**
 * Creates the lock, or returns `undefined` when single-flight is off.
 *
 * @example
 * ```ts
 * const lock = createCrossInstanceLock(true, commands, runner, asText)
 * if ((await lock?.acquire(key, `${name}:lock`)) === 'other') text = await lock.awaitValue(name)
 * ```
 */
export function createCrossInstanceLock(
  value: boolean | SingleFlightOptions | undefined,
  commands: RedisCommands,
  runner: CommandRunner,
  asText: (value: unknown) => string | undefined,
): CrossInstanceLock | undefined {
  if (value === undefined || value === false) return undefined
  const setIfAbsent = commands.setIfAbsent?.bind(commands)
  if (setIfAbsent === undefined) {
    throw new TypeError(
      'singleFlight needs redis.setIfAbsent (SET NX): use an ioredis or node-redis client, or add it.',
    )
  }
  const settings = settingsOf(value === true ? {} : value)
  // Keys whose lock this instance holds → when it took it; and how long fetches take here.
  const locksHeld = new Map<string, number>()
  let fetchEstimateMs: number | undefined

  return {
    async acquire(key, lockName) {
      const locked = await runner.run(() => setIfAbsent(lockName, '1', settings.lockTtlMs))
      if (!locked.ok) return 'failed'
      if (!locked.value) return 'other'
      if (locksHeld.size >= maxLocksTracked) locksHeld.delete(locksHeld.keys().next().value as string)
      locksHeld.set(key, performance.now())
      return 'held'
    },
    async awaitValue(name) {
      const budgetMs = Math.min(settings.maxWaitMs, fetchEstimateMs ?? settings.maxWaitMs)
      const giveUpAt = performance.now() + budgetMs
      while (performance.now() + settings.pollMs <= giveUpAt) {
        await sleep(settings.pollMs)
        const polled = await runner.run(() => commands.get(name))
        if (!polled.ok) return undefined
        const text = asText(polled.value)
        if (text !== undefined) return text
      }
      return undefined
    },
    release(key) {
      locksHeld.delete(key)
    },
    written(key) {
      const lockedAt = locksHeld.get(key)
      if (lockedAt === undefined) return false
      locksHeld.delete(key)
      // How long this instance's token requests take bounds how long others wait for one.
      const sampleMs = performance.now() - lockedAt
      fetchEstimateMs = fetchEstimateMs === undefined ? sampleMs : fetchEstimateMs * 0.8 + sampleMs * 0.2
      return true
    },
  }
}

function settingsOf(options: SingleFlightOptions): Settings {
  return {
    maxWaitMs: positive(options.maxWaitMs, 500, 'singleFlight.maxWaitMs'),
    pollMs: positive(options.pollMs, 25, 'singleFlight.pollMs'),
    lockTtlMs: Math.ceil(positive(options.lockTtlMs, 2_000, 'singleFlight.lockTtlMs')),
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
