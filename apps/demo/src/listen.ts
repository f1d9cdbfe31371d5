/**
 * Binding helpers: every server of the demo listens on loopback only.
 *
 * @module
 */
import type { FastifyInstance } from 'fastify'

/** The only address the demo binds. */
export const loopback = '127.0.0.1'

/**
 * Listens on `127.0.0.1:port`; when that port is taken, on a free one instead (port 0). Returns the port.
 *
 * @example
 * ```ts
 * const port = await listenOnLoopback(app, 4000) // 4000, or any free port if 4000 is in use
 * ```
 */
export async function listenOnLoopback(app: FastifyInstance, port: number): Promise<number> {
  try {
    await app.listen({ host: loopback, port })
  } catch (error) {
    if (port === 0 || (error as { code?: unknown }).code !== 'EADDRINUSE') throw error
    await app.listen({ host: loopback, port: 0 })
  }
  const address = app.server.address()
  if (address === null || typeof address === 'string') throw new Error('the server has no TCP address')
  return address.port
}
