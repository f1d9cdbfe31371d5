/**
 * Starts one scenario process and answers its questions until it reports.
 *
 * @module
 */
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import {
  childSpecVariable,
  type ChildOutcome,
  type ChildQuestion,
  type ChildSpec,
  type ParentAnswer,
} from './child-protocol.ts'
import type { EmulatorLane } from './emulator-lane.ts'

const childEntry = fileURLToPath(new URL('./child.ts', import.meta.url))
const packageDir = fileURLToPath(new URL('..', import.meta.url))

/**
 * Runs `spec` in a fresh Node process (`--expose-gc`, TypeScript through tsx, workspace packages from source)
 * that trusts the lane's emulator CA, and returns its result.
 *
 * @throws Error with the child's message or exit code when it fails or exceeds `timeoutMs`.
 * @example
 * ```ts
 * const result = await runChild(lane, { scenario: 'cold', contender: 'msal-node', emulator: lane.access, params }, 60_000)
 * ```
 */
export function runChild(lane: EmulatorLane, spec: ChildSpec, timeoutMs: number): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      // No @onbehalf/source condition: the contenders' packages resolve to their built dist, the code that
      // is published (tsx only runs the harness itself).
      ['--expose-gc', '--import', 'tsx', childEntry],
      {
        cwd: packageDir,
        env: {
          ...process.env,
          NODE_EXTRA_CA_CERTS: lane.caFile,
          [childSpecVariable]: JSON.stringify(spec),
        },
        stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      },
    )
    let output = ''
    const keep = (chunk: Buffer): void => {
      output = (output + chunk.toString('utf8')).slice(-4_000)
    }
    child.stdout?.on('data', keep)
    child.stderr?.on('data', keep)
    let outcome: ChildOutcome | undefined
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`${spec.scenario}/${spec.contender} exceeded ${timeoutMs} ms`))
    }, timeoutMs)
    child.on('message', (message: ChildQuestion | ChildOutcome) => {
      if (message.type === 'result' || message.type === 'failed') {
        outcome = message
        return
      }
      let answer: ParentAnswer
      try {
        answer =
          message.type === 'users'
            ? { id: message.id, users: lane.users(message.count) }
            : { id: message.id, counts: lane.counts() }
      } catch (error) {
        answer = { id: message.id, error: error instanceof Error ? error.message : String(error) }
      }
      child.send(answer)
    })
    child.on('error', (error) => {
      clearTimeout(timer)
      reject(error)
    })
    child.on('exit', (code) => {
      clearTimeout(timer)
      if (outcome?.type === 'result') resolve(outcome.result)
      else if (outcome?.type === 'failed') {
        reject(new Error(`${spec.scenario}/${spec.contender} failed: ${outcome.message}`))
      } else {
        reject(
          new Error(`${spec.scenario}/${spec.contender} exited with code ${String(code)} without a result:\n${output}`),
        )
      }
    })
  })
}
