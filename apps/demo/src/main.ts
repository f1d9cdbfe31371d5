/**
 * `pnpm demo`: starts the emulator (or uses the real tenant the environment names), the downstream API, the
 * middle tier and the page on loopback, prints the page URL, and runs until Ctrl+C (or SIGTERM), which closes
 * every server and exits 0: a normal stop is not a failure.
 *
 * A start-up problem the person can fix (a missing variable, a taken port, no network) is printed as its
 * message alone and exits 1; anything else is a bug and keeps its stack trace.
 *
 * @module
 */
import { DemoError } from './demo-error.ts'
import type { PortChoice } from './listen.ts'
import { startDemoStack, type DemoStack } from './stack.ts'
import { startConsoleTelemetry } from './telemetry.ts'

// Signals first: a Ctrl+C during start-up, or right after the banner, still stops cleanly. pnpm forwards the
// terminal's SIGINT, so a second one (or a SIGTERM) can arrive while closing: closing happens once.
let stack: DemoStack | undefined
let telemetry: { close(): Promise<void> } | undefined
let starting = true
let stopping = false
const stop = (): void => {
  if (stopping) return
  stopping = true
  // With the start-up still running, the code after it sees `stopping` and closes what was started.
  if (stack === undefined && !starting) process.exit(0)
  if (stack !== undefined) void shutdown(stack)
}
process.on('SIGINT', stop)
process.on('SIGTERM', stop)

async function shutdown(running: DemoStack): Promise<void> {
  try {
    await running.close()
    await telemetry?.close()
  } finally {
    process.exit(0)
  }
}

/** `DEMO_PORT` & co.: a port someone chose is used exactly; the default may move to a free port (and says so). */
function portChoice(name: string, preferred: number): PortChoice {
  const value = process.env[name]
  if (value === undefined || value.trim() === '') return { port: preferred, fallback: true }
  const parsed = Number(value)
  if (!Number.isInteger(parsed) || parsed < 0 || parsed > 65_535) {
    throw new DemoError('INVALID_CONFIGURATION', `${name} must be a port number (0–65535), not '${value}'.`)
  }
  return { port: parsed, variable: name }
}

function emulatorPort(): number {
  const choice = portChoice('DEMO_EMULATOR_PORT', 0)
  return typeof choice === 'number' ? choice : choice.port
}

try {
  const pagePort = portChoice('DEMO_PORT', 4000)
  const downstreamPort = portChoice('DEMO_DOWNSTREAM_PORT', 4001)
  const interval = process.env['DEMO_OTEL_INTERVAL_MS']
  telemetry =
    process.env['DEMO_OTEL'] === 'console'
      ? startConsoleTelemetry(interval === undefined || interval === '' ? {} : { intervalMs: Number(interval) })
      : undefined
  stack = await startDemoStack({
    env: process.env,
    port: pagePort,
    downstreamPort,
    emulatorPort: emulatorPort(),
    log: (line) => console.log(`${new Date().toISOString().slice(11, 23)} ${line}`),
  })
} catch (error) {
  starting = false
  if (!(error instanceof DemoError)) throw error
  await telemetry?.close()
  console.error(`\n  onbehalf demo could not start (${error.code}):\n\n${indent(error.message)}\n`)
  process.exit(1)
}
starting = false
if (stopping) await shutdown(stack)
else printBanner(stack)

function printBanner(running: DemoStack): void {
  const { identity } = running
  const moved = [
    movedNote('DEMO_PORT', 4000, running.url),
    movedNote('DEMO_DOWNSTREAM_PORT', 4001, running.downstream.url),
  ].filter((note) => note !== undefined)
  console.log(`
  onbehalf demo is running (${identity.mode === 'emulator' ? 'Entra emulator' : `Entra tenant ${identity.tenantId}`}, ${running.cacheKind} cache)

  Page:            ${running.url}/
  Middle tier:     ${running.url}/api/documents   (stats: ${running.url}/api/stats)
  Downstream API:  ${running.downstream.url}/documents
  Authority:       ${identity.authorityHost}/${identity.tenantId}
${moved.map((note) => `\n  Note:            ${note}`).join('')}
  Metrics:         ${telemetry === undefined ? 'set DEMO_OTEL=console to print OpenTelemetry metrics' : 'printed to the console (OpenTelemetry)'}

  Press Ctrl+C to stop.
`)
}

/** When a default port was taken and the server moved to a free one, the line that says so. */
function movedNote(variable: string, preferred: number, url: string): string | undefined {
  const value = process.env[variable]
  if (value !== undefined && value.trim() !== '') return undefined
  const actual = Number(new URL(url).port)
  if (actual === preferred) return undefined
  return `port ${String(preferred)} is in use, so ${variable === 'DEMO_PORT' ? 'the page' : 'the downstream API'} is on ${String(actual)} instead (set ${variable} to choose one).`
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((line) => `  ${line}`)
    .join('\n')
}
