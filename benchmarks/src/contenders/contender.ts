/**
 * What every contender offers a scenario: one call as an application makes it, and (where the contender has a
 * public way to do so) pre-filling its cache with many users.
 *
 * @module
 */
import type { ContenderId } from '../results.ts'
import type { SyntheticTemplates, SyntheticUser } from '../synthetic.ts'

/** One contender, set up in a scenario process. */
export interface Contender {
  readonly id: ContenderId
  /** Gets a downstream token for the user whose access token is `assertion`, as an app would; returns it. */
  call(assertion: string): Promise<string>
  /**
   * Learns the real shape of this contender's cached entries from a real exchange for `assertion`, so that
   * {@link Contender.prefill} writes entries identical in shape. Absent when the contender has no shared cache.
   */
  readonly learnTemplate?: (assertion: string) => Promise<SyntheticTemplates>
  /** Writes cache entries for `users` through the contender's public API (needs a learned template). */
  readonly prefill?: (users: readonly SyntheticUser[]) => Promise<void>
  /** The token characters the contender keeps per cached user (for the memory overhead figure). */
  readonly tokenBytesPerUser?: () => number
}
