/**
 * Binding helpers: every server of the demo listens on loopback only.
 *
 * @module
 */
import type { FastifyInstance } from 'fastify'
import { DemoError } from './demo-error.ts'

/** The only address the demo binds. */
export const loopback = '127.0.0.1'

/**
 * Which port to listen on. A bare number is that port exactly (0: any free one): a taken port is an error,
 * because someone chose it. `fallback: true` is a default the demo only prefers: when it is taken, any free
 * port is used instead (the caller sees the difference in the port it gets back and says so).
 */
export type PortChoice =
  | number
  | {
      readonly port: number
      /** Use any free port when `port` is taken. Default false. */
      readonly fallback?: boolean
      /** The environment variable that chose the port, named in the error when it is taken. */
      readonly variable?: string
    }

/**
 * Listens on `127.0.0.1:port` and returns the port. A taken port throws a {@link DemoError} (`PORT_IN_USE`)
 * that says what to do, unless the choice allows a fallback to a free port.
 *
 * @example
 * ```ts
 * const port = await listenOnLoopback(app, { port: 4000, fallback: true }) // 4000, or any free port if taken
 * await listenOnLoopback(other, { port: 4000, variable: 'DEMO_PORT' }) // throws PORT_IN_USE if 4000 is taken
 * ```
 */
export async function listenOnLoopback(app: FastifyInstance, choice: PortChoice): Promise<number> {
  const { port, fallback = false, variable } = typeof choice === 'number' ? { port: choice } : choice
  try {
    await app.listen({ host: loopback, port })
  } catch (error) {
    if (port === 0 || !isAddressInUse(error)) throw error
    if (!fallback) throw await portInUse(port, variable, error)
    await app.listen({ host: loopback, port: 0 })
  }
  const address = app.server.address()
  if (address === null || typeof address === 'string') throw new Error('the server has no TCP address')
  return address.port
}

/**
 * `true` for the error a listen on a taken port fails with.
 *
 * @example
 * ```ts
 * if (isAddressInUse(error)) console.error('taken')
 * ```
 */
export function isAddressInUse(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === 'EADDRINUSE'
}

/**
 * The error for a taken port someone chose: what holds it (another demo, when it answers like one) and how to
 * choose another port.
 *
 * @example
 * ```ts
 * throw await portInUse(4000, 'DEMO_PORT', error)
 * ```
 */
export async function portInUse(port: number, variable: string | undefined, cause: unknown): Promise<DemoError> {
  const p = String(port)
  const holder = (await answersLikeTheDemo(port))
    ? ` by another onbehalf demo (http://${loopback}:${p}/): stop that one first (Ctrl+C in its terminal)`
    : ` by another program (\`lsof -i :${p}\` or \`ss -ltnp 'sport = :${p}'\` shows which)`
  const choose =
    variable === undefined
      ? 'choose another port'
      : `choose another port (${variable}=${String(port === 65_535 ? port - 1 : port + 100)} pnpm demo), or unset ${variable} to let the demo pick a free one`
  return new DemoError(
    'PORT_IN_USE',
    `Port ${p}${variable === undefined ? '' : ` (${variable})`} on ${loopback} is already in use${holder}; ${choose}.`,
    { cause },
  )
}

/** Asks the port's holder for the demo's config route: loopback only, one short request. */
async function answersLikeTheDemo(port: number): Promise<boolean> {
  try {
    const response = await fetch(`http://${loopback}:${String(port)}/demo/config`, {
      signal: AbortSignal.timeout(1_000),
    })
    const body = (await response.json()) as { mode?: unknown; middleTier?: unknown }
    return response.ok && (body.mode === 'emulator' || body.mode === 'entra') && typeof body.middleTier === 'object'
  } catch {
    return false
  }
}
