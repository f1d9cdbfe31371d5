/**
 * A portable stand-in for `node:diagnostics_channel` in Web-standard runtimes without it: named channels in
 * a registry on `globalThis`, so every copy of core loaded in the same realm publishes to the same
 * subscribers. Chosen by the `default` condition of `#diagnostics-channel`.
 *
 * @module
 */
import type { ChannelLike } from './diagnostics-channel-types.ts'

class PortableChannel implements ChannelLike {
  #listeners: readonly ((message: unknown) => void)[] = []

  get hasSubscribers(): boolean {
    return this.#listeners.length > 0
  }

  publish(message: unknown): void {
    // A copy-on-write array: a listener that unsubscribes while being called does not skip the next one.
    for (const listener of this.#listeners) {
      try {
        listener(message)
      } catch {
        // As in Node: a subscriber's bug must not break the publisher.
      }
    }
  }

  add(listener: (message: unknown) => void): void {
    this.#listeners = [...this.#listeners, listener]
  }

  remove(listener: (message: unknown) => void): void {
    this.#listeners = this.#listeners.filter((l) => l !== listener)
  }
}

const registryKey = Symbol.for('@onbehalf/core/diagnostics-channels')

function registry(): Map<string, PortableChannel> {
  const holder = globalThis as { [registryKey]?: Map<string, PortableChannel> }
  return (holder[registryKey] ??= new Map())
}

function portable(name: string): PortableChannel {
  const channels = registry()
  let channel = channels.get(name)
  if (channel === undefined) {
    channel = new PortableChannel()
    channels.set(name, channel)
  }
  return channel
}

/** The named channel (shared by every copy of this module in the realm). */
export function openChannel(name: string): ChannelLike {
  return portable(name)
}

/** Subscribes `listener` to the named channel. */
export function subscribeChannel(name: string, listener: (message: unknown) => void): void {
  portable(name).add(listener)
}

/** Removes a listener added with {@link subscribeChannel}. */
export function unsubscribeChannel(name: string, listener: (message: unknown) => void): void {
  portable(name).remove(listener)
}
