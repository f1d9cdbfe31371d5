/**
 * Starts a real, throw-away `redis-server` on a free loopback port (no persistence), and lets a test stop it
 * by its pid, freeze it, and start it again on the same port.
 */
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { createServer } from 'node:net'

export const redisServerBinary = process.env['REDIS_SERVER_BIN'] ?? '/usr/bin/redis-server'

export interface RedisServer {
  readonly port: number
  readonly url: string
  /** The pid of the running server (changes on restart). */
  readonly pid: number
  readonly running: boolean
  /** Stops the server by its pid and waits until it has exited. */
  stop(signal?: NodeJS.Signals): Promise<void>
  /** Starts it again on the same port (empty: nothing is persisted). */
  restart(): Promise<void>
  /** SIGSTOP: the server keeps its connections but answers nothing (a hung Redis). */
  freeze(): void
  /** SIGCONT. */
  thaw(): void
}

export async function startRedisServer(): Promise<RedisServer> {
  if (!existsSync(redisServerBinary)) {
    throw new Error(
      `redis-server not found at ${redisServerBinary}. These tests need a real Redis: ` +
        'install it with `apt-get install -y redis-server` (or set REDIS_SERVER_BIN).',
    )
  }
  let lastError: unknown
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort()
    try {
      const child = await launch(port)
      return wrap(port, child)
    } catch (error) {
      // Another process may have taken the port between probing and binding: try another.
      lastError = error
    }
  }
  throw lastError
}

function wrap(port: number, first: ChildProcess): RedisServer {
  let child: ChildProcess | undefined = first
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    get pid() {
      if (child?.pid === undefined) throw new Error('redis-server is not running.')
      return child.pid
    },
    get running() {
      return child !== undefined
    },
    async stop(signal = 'SIGTERM') {
      const current = child
      if (current === undefined) return
      child = undefined
      const exited = new Promise<void>((resolve) => {
        if (current.exitCode !== null || current.signalCode !== null) resolve()
        else current.once('exit', () => resolve())
      })
      // A frozen server ignores SIGTERM until it runs again.
      if (current.pid !== undefined) {
        process.kill(current.pid, 'SIGCONT')
        process.kill(current.pid, signal)
      }
      await exited
    },
    async restart() {
      if (child !== undefined) throw new Error('redis-server is still running.')
      let lastError: unknown
      // The old socket may linger for a moment after a kill.
      for (let attempt = 0; attempt < 20; attempt++) {
        try {
          child = await launch(port)
          return
        } catch (error) {
          lastError = error
          await new Promise((resolve) => setTimeout(resolve, 100))
        }
      }
      throw lastError
    },
    freeze() {
      if (child?.pid !== undefined) process.kill(child.pid, 'SIGSTOP')
    },
    thaw() {
      if (child?.pid !== undefined) process.kill(child.pid, 'SIGCONT')
    },
  }
}

/** Starts `redis-server` on `port` with extra arguments and resolves once it accepts connections. */
export function launch(port: number, extraArgs: readonly string[] = []): Promise<ChildProcess> {
  const args = [
    ...extraArgs,
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--save',
    '',
    '--appendonly',
    'no',
    '--loglevel',
    'notice',
  ]
  const child = spawn(redisServerBinary, args, { stdio: ['ignore', 'pipe', 'pipe'] })
  return new Promise<ChildProcess>((resolve, reject) => {
    let output = ''
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`redis-server did not become ready on port ${port} within 10 s:\n${output}`))
    }, 10_000)
    const onData = (chunk: Buffer): void => {
      output += chunk.toString('utf8')
      if (output.includes('Ready to accept connections')) {
        clearTimeout(timer)
        child.stdout?.off('data', onData)
        // Keep draining so a full pipe never blocks the server.
        child.stdout?.resume()
        resolve(child)
      }
    }
    child.stdout?.on('data', onData)
    child.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8')
    })
    child.once('error', (error) => {
      clearTimeout(timer)
      reject(error)
    })
    child.once('exit', (code, signal) => {
      clearTimeout(timer)
      reject(new Error(`redis-server exited before it was ready (code ${code}, signal ${signal}):\n${output}`))
    })
  })
}

/** A port that was free a moment ago on loopback. */
export function freePort(): Promise<number> {
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
