/**
 * Node's `node:diagnostics_channel`, the process-wide publish/subscribe that undici and fastify use: a channel
 * with no subscriber costs one `hasSubscribers` read. Chosen by the `node` condition of `#diagnostics-channel`.
 *
 * @module
 */
import { channel, subscribe, unsubscribe } from 'node:diagnostics_channel'
import type { ChannelLike } from './diagnostics-channel-types.ts'

/** The named channel (shared by every copy of this module in the process, and by Node's own API). */
export function openChannel(name: string): ChannelLike {
  return channel(name)
}

/** Subscribes `listener` to the named channel. */
export function subscribeChannel(name: string, listener: (message: unknown) => void): void {
  subscribe(name, listener)
}

/** Removes a listener added with {@link subscribeChannel}. */
export function unsubscribeChannel(name: string, listener: (message: unknown) => void): void {
  unsubscribe(name, listener)
}
