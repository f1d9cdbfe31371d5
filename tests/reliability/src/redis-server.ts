/**
 * A throw-away `redis-server` for the suite: a free loopback port, no persistence, stopped by its own pid and
 * restartable on the same port (the soak run restarts it under traffic).
 *
 * @module
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { createServer } from 'node:net'
import { Redis } from 'ioredis'

/** Where the binary is looked for; `REDIS_SERVER_BIN` overrides. */
export const redisServerPath = process.env['REDIS_SERVER_BIN'] ?? '/usr/bin/redis-server'

/** A running (or stopped, restartable) Redis server. */
export interface TestRedis {
  readonly port: number
  readonly running: boolean
  /** Stops the server (SIGTERM to its own pid) and waits for the exit. */
  stop(): Promise<void>
  /** Starts a fresh, empty server on the same port. */
  start(): Promise<void>
}

/**
 * Starts `redis-server` on a free port. Fails with a message that says how to install it when it is absent.
 *
 * @example
 * ```ts
 * const redis = await startTestRedis()
 * await redis.stop()
 * ```
 */
export async function startTestRedis(): Promise<TestRedis> {
  if (!existsSync(redisServerPath)) {
    throw new Error(
      `redis-server is required by the reliability suite and was not found at ${redisServerPath}. ` +
        'Install it (apt-get install -y redis-server) or set REDIS_SERVER_BIN.',
    )
  }
  const port = await freePort()
  let child: ChildProcess | undefined = await launch(port)
  return {
    port,
    get running() {
      return child !== undefined
    },
    async stop() {
      const current = child
      child = undefined
      if (current === undefined) return
      const exited = new Promise<void>((resolve) => {
        if (current.exitCode !== null || current.signalCode !== null) resolve()
        else current.once('exit', () => resolve())
      })
      if (current.pid !== undefined) process.kill(current.pid, 'SIGTERM')
      await exited
    },
    async start() {
      if (child !== undefined) return
      let lastError: unknown
      for (let attempt = 0; attempt < 30; attempt++) {
        try {
          child = await launch(port)
          return
        } catch (error) {
          // The port may be held for a moment after the previous server exited.
          lastError = error
          await new Promise((resolve) => setTimeout(resolve, 100))
        }
      }
      throw lastError
    },
  }
}

function launch(port: number): Promise<ChildProcess> {
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no']
  const child = spawn(redisServerPath, args, { stdio: ['ignore', 'pipe', 'pipe'] })
  return new Promise((resolve, reject) => {
    let output = ''
    let ready = false
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`redis-server did not start on port ${port} within 10 s:\n${output}`))
    }, 10_000)
    const onExit = (code: number | null): void => {
      clearTimeout(timer)
      reject(new Error(`redis-server exited (code ${code}) before it was ready:\n${output}`))
    }
    // Both pipes stay drained after start-up so a chatty server never blocks on a full pipe.
    child.stdout?.on('data', (chunk: Buffer) => {
      if (ready) return
      output += chunk.toString('utf8')
      if (output.includes('Ready to accept connections')) {
        ready = true
        clearTimeout(timer)
        child.off('exit', onExit)
        resolve(child)
      }
    })
    child.stderr?.on('data', (chunk: Buffer) => {
      if (!ready) output += chunk.toString('utf8')
    })
    child.once('exit', onExit)
    child.once('error', (error) => {
      clearTimeout(timer)
      reject(error)
    })
  })
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address !== null ? address.port : 0
      server.close(() => resolve(port))
    })
  })
}

/**
 * An ioredis client set up as `@onbehalf/redis` recommends: no offline queue, one retry, reconnect every
 * 100 ms, errors observed (a stopped server is expected in the soak run).
 *
 * @example
 * ```ts
 * const client = await connectIoredis(redis.port)
 * client.disconnect()
 * ```
 */
export async function connectIoredis(port: number): Promise<Redis> {
  const client = new Redis({
    host: '127.0.0.1',
    port,
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    retryStrategy: () => 100,
  })
  client.on('error', () => undefined)
  await client.connect()
  return client
}

/**
 * Every key and raw value in the Redis database, for the secret scan.
 *
 * @example
 * ```ts
 * for (const [key, value] of await dumpRedis(client)) scanner.record('redis', `${key} ${value}`)
 * ```
 */
export async function dumpRedis(client: Redis): Promise<Map<string, string>> {
  const entries = new Map<string, string>()
  let cursor = '0'
  do {
    const [next, keys] = await client.scan(cursor, 'COUNT', 500)
    cursor = next
    for (const key of keys) {
      const value = await client.get(key)
      if (value !== null) entries.set(key, value)
    }
  } while (cursor !== '0')
  return entries
}
