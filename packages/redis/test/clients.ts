/** Real Redis clients for the tests, configured the way the README recommends (fail fast when offline). */
import { Redis } from 'ioredis'
import { createClient } from 'redis'
import type { IoredisLike, NodeRedisLike } from '../src/index.ts'

export interface TestClient {
  readonly kind: 'ioredis' | 'node-redis'
  readonly client: IoredisLike | NodeRedisLike
  close(): Promise<void>
}

export async function connectIoredis(port: number, options: { subscriber?: boolean } = {}): Promise<TestClient> {
  const client = new Redis({
    host: '127.0.0.1',
    port,
    lazyConnect: true,
    // A subscriber keeps its offline queue: ioredis re-subscribes through it after a reconnect.
    enableOfflineQueue: options.subscriber === true,
    maxRetriesPerRequest: 1,
    retryStrategy: () => 100,
  })
  // ioredis logs unhandled connection errors; the cache reports failed commands itself.
  client.on('error', () => undefined)
  await client.connect()
  return {
    kind: 'ioredis',
    client,
    close: async () => {
      client.disconnect()
    },
  }
}

export async function connectNodeRedis(port: number, _options: { subscriber?: boolean } = {}): Promise<TestClient> {
  const client = createClient({
    url: `redis://127.0.0.1:${port}`,
    disableOfflineQueue: true,
    socket: { reconnectStrategy: () => 100, connectTimeout: 1_000 },
  })
  // node-redis throws from its emitter without an error listener.
  client.on('error', () => undefined)
  await client.connect()
  return {
    kind: 'node-redis',
    client,
    close: async () => {
      client.destroy()
    },
  }
}

export const clientKinds = [
  ['ioredis', connectIoredis],
  ['node-redis', connectNodeRedis],
] as const

/** A plain ioredis connection for looking at what the cache stored. */
export function inspector(port: number): Redis {
  return new Redis({ host: '127.0.0.1', port, maxRetriesPerRequest: 1 })
}
