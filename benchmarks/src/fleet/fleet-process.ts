/**
 * The parent's handle on one instance process: forked with TypeScript through tsx, the published builds of the
 * packages, and the emulator's CA trusted; commands are answered in order of their ids.
 *
 * @module
 */
import { fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { fleetConfigVariable } from './protocol.ts'
import type { FleetCommand, FleetInstanceConfig, FleetReply, SeenMessage } from './protocol.ts'

const instanceEntry = fileURLToPath(new URL('./instance.ts', import.meta.url))
const packageDir = fileURLToPath(new URL('../..', import.meta.url))

export interface FleetProcess {
  readonly pid: number
  /** Sends a command and resolves with its result (rejects with the instance's error message). */
  ask<T>(command: FleetCommand): Promise<T>
  /** Resolves when the instance reports that the watched `assertion` was seen gone or changed. */
  seen(assertion: string): Promise<SeenMessage>
  close(): Promise<void>
}

/**
 * Forks one instance process.
 *
 * @example
 * ```ts
 * const instance = await startFleetProcess(config, caFile)
 * await instance.ask({ op: 'open', cache: { name: 'a', keyPrefix: 'fleet:a:', lock: true } })
 * ```
 */
export function startFleetProcess(config: FleetInstanceConfig, caFile: string): FleetProcess {
  const child = fork(instanceEntry, [], {
    cwd: packageDir,
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, NODE_EXTRA_CA_CERTS: caFile, [fleetConfigVariable]: JSON.stringify(config) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  let nextId = 0
  const pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>()
  const seenWaiters = new Map<string, (message: SeenMessage) => void>()
  const early = new Map<string, SeenMessage>()
  let exited: Error | undefined
  child.on('message', (message: FleetReply | SeenMessage) => {
    if ('seen' in message) {
      const waiter = seenWaiters.get(message.seen)
      if (waiter === undefined) early.set(message.seen, message)
      else {
        seenWaiters.delete(message.seen)
        waiter(message)
      }
      return
    }
    const waiting = pending.get(message.id)
    if (waiting === undefined) return
    pending.delete(message.id)
    if (message.ok) waiting.resolve(message.result)
    else waiting.reject(new Error(`instance ${child.pid}: ${message.error}`))
  })
  child.on('exit', (code, signal) => {
    exited = new Error(`instance ${child.pid} exited (code ${String(code)}, signal ${String(signal)})`)
    for (const waiting of pending.values()) waiting.reject(exited)
    pending.clear()
  })
  return {
    pid: child.pid ?? -1,
    ask<T>(command: FleetCommand): Promise<T> {
      if (exited !== undefined) return Promise.reject(exited)
      const id = nextId++
      return new Promise<T>((resolve, reject) => {
        pending.set(id, { resolve: resolve as (value: unknown) => void, reject })
        child.send({ ...command, id })
      })
    },
    seen(assertion) {
      const already = early.get(assertion)
      if (already !== undefined) {
        early.delete(assertion)
        return Promise.resolve(already)
      }
      return new Promise((resolve) => seenWaiters.set(assertion, resolve))
    },
    async close() {
      if (exited !== undefined) return
      const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()))
      await this.ask({ op: 'close' }).catch(() => undefined)
      await gone
    },
  }
}
