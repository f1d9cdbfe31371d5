/**
 * The child side of the IPC channel: ask the parent for user assertions and request counts, report the result.
 *
 * @module
 */
import type { ChildOutcome, ChildQuestion, ParentAnswer } from './child-protocol.ts'
import type { RequestCounts } from './results.ts'

/** What a scenario may ask the parent. */
export interface ParentClient {
  /** The first `count` assertions of the shared user pool (signed by the emulator, one user each). */
  users(count: number): Promise<readonly string[]>
  /** The emulator's request counters now. */
  counts(): Promise<RequestCounts>
}

type Question = ChildQuestion extends infer Q ? (Q extends { id: number } ? Omit<Q, 'id'> : never) : never

/**
 * Connects to the parent over the IPC channel this process was started with.
 *
 * @throws Error when the process has no IPC channel (it was not started by the harness).
 * @example
 * ```ts
 * const parent = connectToParent()
 * const [assertion] = await parent.users(1)
 * ```
 */
export function connectToParent(): ParentClient {
  const send = process.send?.bind(process)
  if (send === undefined) {
    throw new Error('This script is a scenario process: start it through the benchmark harness.')
  }
  const pending = new Map<number, { resolve: (a: ParentAnswer) => void; reject: (e: Error) => void }>()
  let nextId = 1
  process.on('message', (message: ParentAnswer) => {
    const waiter = pending.get(message.id)
    if (waiter === undefined) return
    pending.delete(message.id)
    if (message.error !== undefined) waiter.reject(new Error(message.error))
    else waiter.resolve(message)
  })
  const ask = (question: Question): Promise<ParentAnswer> =>
    new Promise((resolve, reject) => {
      const id = nextId++
      pending.set(id, { resolve, reject })
      send({ ...question, id })
    })
  return {
    users: async (count) => (await ask({ type: 'users', count })).users ?? [],
    counts: async () => {
      const answer = await ask({ type: 'counts' })
      if (answer.counts === undefined) throw new Error('the parent sent no counts')
      return answer.counts
    },
  }
}

/**
 * Sends the scenario's outcome and closes the channel, so the process can exit.
 *
 * @example
 * ```ts
 * await reportOutcome({ type: 'result', result })
 * ```
 */
export function reportOutcome(outcome: ChildOutcome): Promise<void> {
  return new Promise((resolve) => {
    if (process.send === undefined) {
      resolve()
      return
    }
    process.send(outcome, () => {
      process.disconnect()
      resolve()
    })
  })
}
