/**
 * `pnpm demo`: starts the emulator (or uses the real tenant the environment names), the downstream API, the
 * middle tier and the page on loopback, prints the page URL, and runs until Ctrl+C.
 *
 * @module
 */
import { startDemoStack } from './stack.ts'
import { startConsoleTelemetry } from './telemetry.ts'

const port = (name: string, fallback: number): number => {
  const value = process.env[name]
  if (value === undefined || value === '') return fallback
  const parsed = Number(value)
  if (!Number.isInteger(parsed) || parsed < 0 || parsed > 65_535) throw new TypeError(`${name} must be a port number.`)
  return parsed
}

const interval = process.env['DEMO_OTEL_INTERVAL_MS']
const telemetry =
  process.env['DEMO_OTEL'] === 'console'
    ? startConsoleTelemetry(interval === undefined || interval === '' ? {} : { intervalMs: Number(interval) })
    : undefined

const stack = await startDemoStack({
  env: process.env,
  port: port('DEMO_PORT', 4000),
  downstreamPort: port('DEMO_DOWNSTREAM_PORT', 4001),
  emulatorPort: port('DEMO_EMULATOR_PORT', 0),
  log: (line) => console.log(`${new Date().toISOString().slice(11, 23)} ${line}`),
})

const { identity } = stack
console.log(`
  onbehalf demo is running (${identity.mode === 'emulator' ? 'Entra emulator' : `Entra tenant ${identity.tenantId}`}, ${stack.cacheKind} cache)

  Page:            ${stack.url}/
  Middle tier:     ${stack.url}/api/documents   (stats: ${stack.url}/api/stats)
  Downstream API:  ${stack.downstream.url}/documents
  Authority:       ${identity.authorityHost}/${identity.tenantId}

  Metrics:         ${telemetry === undefined ? 'set DEMO_OTEL=console to print OpenTelemetry metrics' : 'printed to the console (OpenTelemetry)'}

  Press Ctrl+C to stop.
`)

let stopping = false
const stop = (): void => {
  if (stopping) return
  stopping = true
  void stack
    .close()
    .then(() => telemetry?.close())
    .then(() => process.exit(0))
}
process.on('SIGINT', stop)
process.on('SIGTERM', stop)
