/**
 * `@onbehalf/opentelemetry`: OpenTelemetry metrics for every token acquisition in the process, from a
 * documented, stable catalog. Tracing needs no package: `@onbehalf/azure` opens its spans through
 * `@azure/core-tracing`.
 *
 * @module
 */
export { registerOnBehalfOfMetrics } from './register-metrics.ts'
export type { OnBehalfOfMetrics, OnBehalfOfMetricsOptions } from './register-metrics.ts'
export { attributeNames, meterName, metricNames } from './catalog.ts'
export { scopeResource } from './resource.ts'
