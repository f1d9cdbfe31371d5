/**
 * A standalone ioredis subscriber whose connection drops and comes back: the cache re-subscribes itself (ioredis's
 * own re-subscription leaves its promise unhandled, and a connection that drops again before the reply turns it
 * into an unhandled rejection, which ends a Node process), and invalidations reach the instance again.
 */
import { randomBytes } from 'node:crypto'
import { createConnection, createServer } from 'node:net'
import type { AddressInfo, Socket } from 'node:net'
import { sha256Base64Url } from '@onbehalf/core/engine'
import type { CachedToken, TokenCacheContext } from '@onbehalf/core'
import type { Redis } from 'ioredis'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { RedisCacheEvent, RedisTokenCache } from '../src/index.ts'
import { connectIoredis, inspector } from '@onbehalf/test-kit/redis-clients'
import type { TestClient } from '@onbehalf/test-kit/redis-clients'
import { startRedisServer } from '@onbehalf/test-kit/redis-server'
import type { RedisServer } from '@onbehalf/test-kit/redis-server'
import { openFleetInstance } from './fleet-instance.ts'
import { until } from './until.ts'

const keys = [{ id: 'k1', key: new Uint8Array(randomBytes(32)) }]
const prefix = 'resubscribe:'
const context: TokenCacheContext = { tenantId: 'organizations', userAssertion: 'eyJhbGciOiJSUzI1NiJ9.e30.sig' }
const token = (): CachedToken => ({
  accessToken: `eyJ.access.${randomBytes(24).toString('hex')}`,
  tokenType: 'Bearer',
  expiresAt: Date.now() + 3_600_000,
})

let server: RedisServer
let raw: Redis
const open: TestClient<Redis>[] = []

beforeAll(async () => {
  server = await startRedisServer()
  raw = inspector(server.port)
})

afterEach(async () => {
  await Promise.all(open.splice(0).map((client) => client.close()))
})

afterAll(async () => {
  raw.disconnect()
  await server.stop()
})

const instance = (): Promise<{ cache: RedisTokenCache; subscriber: Redis }> =>
  openFleetInstance({ connect: connectIoredis, port: server.port, keys, keyPrefix: prefix, open })

describe('an ioredis subscriber whose connection drops', () => {
  it('leaves no unhandled rejection when the connection closes before the re-subscription is answered', async () => {
    const rejections: unknown[] = []
    const record = (reason: unknown): void => {
      rejections.push(reason)
    }
    process.on('unhandledRejection', record)
    const proxy = await startWithholdingProxy(server.port)
    try {
      const events: RedisCacheEvent[] = []
      const { cache, subscriber } = await openFleetInstance({
        connect: connectIoredis,
        port: server.port,
        subscriberPort: proxy.port,
        keys,
        keyPrefix: prefix,
        open,
        onEvent: (event) => events.push(event),
      })
      // The connection drops; ioredis comes back through the proxy, which answers the handshake but withholds
      // the reply to the SUBSCRIBE that follows. The application shuts the client down meanwhile.
      proxy.dropConnections()
      await until(() => proxy.withheld)
      subscriber.disconnect()
      await until(() => subscriber.status === 'end')
      // Unhandled rejections are reported once the microtasks of the turn that made them have run.
      await new Promise((resolve) => setTimeout(resolve, 20))
      expect(rejections).toEqual([])
      // The failed re-subscription is reported, and L1 was emptied all the same.
      expect(events.filter((event) => event.type === 'subscribe-failed')).toHaveLength(1)
      expect(cache.stats().l1Resets).toBe(1)
    } finally {
      process.off('unhandledRejection', record)
      proxy.close()
    }
  })

  it('is subscribed again when it comes back: L1 is dropped, and invalidations arrive again', async () => {
    const a = await instance()
    const b = await instance()
    const key = sha256Base64Url(randomBytes(16).toString('hex'))
    await a.cache.set(key, token(), 3_600_000, context)
    await until(() => b.cache.stats().invalidationsReceived >= 1)
    await b.cache.get(key, context)
    expect(b.cache.get(key, context)).not.toBeInstanceOf(Promise) // an L1 hit

    await raw.call('CLIENT', 'KILL', 'TYPE', 'pubsub')
    await until(() => b.cache.stats().l1Resets >= 1 && a.cache.stats().l1Resets >= 1)
    expect(b.cache.stats().l1Size).toBe(0)

    // Back in b's L1, then replaced by a: the message reaches b only if b subscribed again.
    await b.cache.get(key, context)
    expect(b.cache.get(key, context)).not.toBeInstanceOf(Promise)
    const received = b.cache.stats().invalidationsReceived
    const replacement = token()
    await a.cache.set(key, replacement, 3_600_000, context)
    await until(() => b.cache.stats().invalidationsReceived > received)
    expect(await b.cache.get(key, context)).toEqual(replacement)
  })
})

/**
 * A loopback TCP proxy to Redis. From its second connection on (a reconnect), once the client has sent a
 * SUBSCRIBE it forwards nothing more from Redis: that command stays unanswered.
 */
async function startWithholdingProxy(redisPort: number): Promise<{
  readonly port: number
  readonly withheld: boolean
  dropConnections(): void
  close(): void
}> {
  const sockets = new Set<Socket>()
  let connections = 0
  let withheld = false
  const proxy = createServer((client) => {
    connections++
    const reconnect = connections > 1
    const upstream = createConnection({ host: '127.0.0.1', port: redisPort })
    let holding = false
    for (const socket of [client, upstream]) {
      sockets.add(socket)
      socket.on('error', () => undefined)
      socket.on('close', () => {
        sockets.delete(socket)
        client.destroy()
        upstream.destroy()
      })
    }
    client.on('data', (chunk: Buffer) => {
      if (reconnect && /subscribe/i.test(chunk.toString('latin1'))) holding = true
      upstream.write(chunk)
    })
    upstream.on('data', (chunk: Buffer) => {
      if (holding) withheld = true
      else client.write(chunk)
    })
  })
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve))
  return {
    port: (proxy.address() as AddressInfo).port,
    get withheld() {
      return withheld
    },
    dropConnections() {
      for (const socket of sockets) socket.destroy()
    },
    close() {
      for (const socket of sockets) socket.destroy()
      proxy.close()
    },
  }
}
