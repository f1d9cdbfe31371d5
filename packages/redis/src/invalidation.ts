/**
 * L1 invalidation across instances over Redis pub/sub. A subscribed connection can send nothing else, so the
 * application passes a second client (`redis.duplicate()`). When that connection comes back after a drop, the
 * messages sent meanwhile are lost: the instance then drops its whole L1 (the safe fallback).
 *
 * @module
 */
import type { IoredisLike, NodeRedisLike } from './redis-client.ts'

/** The part of an ioredis client used as a subscriber. */
export interface IoredisSubscriberLike extends IoredisLike {
  /** ioredis's options; the cache turns `autoResubscribe` off and re-subscribes itself (see {@link subscribe}). */
  options?: { autoResubscribe?: boolean | undefined }
  subscribe(channel: string): Promise<unknown>
  on(event: 'message', listener: (channel: string, message: string) => void): unknown
  on(event: 'ready', listener: () => void): unknown
}

/** The part of a node-redis client used as a subscriber. */
export interface NodeRedisSubscriberLike extends NodeRedisLike {
  subscribe(channel: string, listener: (message: string, channel: string) => void): Promise<unknown>
  on(event: 'ready', listener: () => void): unknown
}

/** A subscriber client: ioredis or node-redis, connected, used for nothing else. */
export type RedisSubscriberLike = IoredisSubscriberLike | NodeRedisSubscriberLike

/**
 * Subscribes `client` to `channel`. `onMessage` gets each message; `onResubscribed` runs whenever the
 * subscription is back after the connection dropped (node-redis and an ioredis Cluster re-subscribe by
 * themselves; a standalone ioredis client is re-subscribed here), with the error when that failed.
 *
 * @example
 * ```ts
 * await subscribe(redis.duplicate(), 'onbehalf:token:invalidate', handle, () => l1.clear())
 * ```
 */
export async function subscribe(
  client: RedisSubscriberLike,
  channel: string,
  onMessage: (message: string) => void,
  onResubscribed: (error?: unknown) => void,
): Promise<void> {
  if (typeof client !== 'object' || client === null || typeof client.subscribe !== 'function') {
    throw new TypeError('subscriber must be a second ioredis or node-redis client (e.g. redis.duplicate()).')
  }
  let subscribed = false
  if ('isOpen' in client && typeof client.isOpen === 'boolean') {
    const nodeRedis = client
    nodeRedis.on('ready', () => {
      if (subscribed) onResubscribed()
    })
    await nodeRedis.subscribe(channel, (message) => onMessage(message))
  } else {
    const ioredis = client as IoredisSubscriberLike
    // ioredis re-subscribes by itself when a connection comes back, but leaves that SUBSCRIBE's promise
    // unhandled: a connection that drops again before the reply (a flapping Redis, a shutdown) rejects it, and an
    // unhandled rejection ends a Node process. The subscriber is the cache's alone, so the cache re-subscribes
    // itself, handles the outcome, and drops L1 once the subscription is back (what was published before is lost).
    const options = ioredis.options
    // A standalone client has the option (a Cluster, without it, re-subscribes through its own subscriber node).
    const resubscribeHere = typeof options?.autoResubscribe === 'boolean'
    if (resubscribeHere) options.autoResubscribe = false
    ioredis.on('message', (from, message) => {
      if (from === channel) onMessage(message)
    })
    ioredis.on('ready', () => {
      if (!subscribed) return
      if (!resubscribeHere) {
        onResubscribed()
        return
      }
      // Failed: L1 is dropped all the same (nothing in it can be trusted); the next 'ready' subscribes again.
      ioredis.subscribe(channel).then(
        () => onResubscribed(),
        (error: unknown) => onResubscribed(error ?? new Error('SUBSCRIBE failed')),
      )
    })
    await ioredis.subscribe(channel)
  }
  subscribed = true
}
