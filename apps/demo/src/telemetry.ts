/**
 * The demo's OpenTelemetry metrics, opt-in: `DEMO_OTEL=console pnpm demo` prints the `@onbehalf/opentelemetry`
 * catalog (acquisitions by outcome and source, token-request durations, throttles, …) to the console every
 * `DEMO_OTEL_INTERVAL_MS` (default 10 s), so a user can watch the hit ratio move while using the page.
 *
 * @module
 */
import { registerOnBehalfOfMetrics } from '@onbehalf/opentelemetry'
import { ConsoleMetricExporter, MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics'

/** What {@link startConsoleTelemetry} returns. */
export interface ConsoleTelemetry {
  /** Exports once more, then stops. */
  close(): Promise<void>
}

/**
 * Exports the token-acquisition metrics of the whole process to the console.
 *
 * @example
 * ```ts
 * const telemetry = startConsoleTelemetry({ intervalMs: 10_000 })
 * await telemetry.close()
 * ```
 */
export function startConsoleTelemetry(options: { readonly intervalMs?: number } = {}): ConsoleTelemetry {
  const meterProvider = new MeterProvider({
    readers: [
      new PeriodicExportingMetricReader({
        exporter: new ConsoleMetricExporter(),
        exportIntervalMillis: options.intervalMs ?? 10_000,
      }),
    ],
  })
  const metrics = registerOnBehalfOfMetrics({ meterProvider })
  return {
    async close() {
      await meterProvider.forceFlush()
      metrics.unregister()
      await meterProvider.shutdown()
    },
  }
}
