/**
 * The part of a diagnostics channel core uses, implemented by `node:diagnostics_channel` and by the portable
 * fallback.
 *
 * @module
 */

/** A named publish/subscribe channel. */
export interface ChannelLike {
  /** Read on every acquisition: must be a plain property read. */
  readonly hasSubscribers: boolean
  publish(message: unknown): void
}
