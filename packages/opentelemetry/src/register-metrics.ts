/**
 * Maps core's process-wide diagnostics to OpenTelemetry instruments (the catalog in `catalog.ts`).
 *
 * @module
 */
import { metrics, type Attributes, type MeterProvider, type ObservableResult } from '@opentelemetry/api'
import {
  subscribeOboDiagnostics,
  type AcquisitionDiagnostic,
  type OboDiagnostic,
  type TokenRequestStartDiagnostic,
} from '@onbehalf/core'
import { attributeNames as a, meterName, metricNames } from './catalog.ts'
import { scopeResource } from './resource.ts'

/** Options for {@link registerOnBehalfOfMetrics}. */
export interface OnBehalfOfMetricsOptions {
  /** Default: the global meter provider (`metrics.getMeterProvider()`). */
  readonly meterProvider?: MeterProvider
}

/** What {@link registerOnBehalfOfMetrics} returns. */
export interface OnBehalfOfMetrics {
  /** Stops listening; the instruments report nothing new afterwards. Idempotent. */
  unregister(): void
}

interface AcquisitionCount {
  readonly attributes: Attributes
  count: number
}

const circuitValues = { closed: 0, 'half-open': 1, open: 2 } as const

/**
 * Records every token acquisition in the process as OpenTelemetry metrics. Call once at start-up, after the
 * SDK's meter provider is set (or pass it). Nothing per credential: every `OnBehalfOfCredential`, token
 * provider and Redis cache in the process is observed.
 *
 * @example
 * ```ts
 * import { MeterProvider, PeriodicExportingMetricReader, ConsoleMetricExporter } from '@opentelemetry/sdk-metrics'
 * import { registerOnBehalfOfMetrics } from '@onbehalf/opentelemetry'
 *
 * const meterProvider = new MeterProvider({
 *   readers: [new PeriodicExportingMetricReader({ exporter: new ConsoleMetricExporter() })],
 * })
 * const onBehalfOfMetrics = registerOnBehalfOfMetrics({ meterProvider })
 * // on shutdown
 * onBehalfOfMetrics.unregister()
 * ```
 */
export function registerOnBehalfOfMetrics(options: OnBehalfOfMetricsOptions = {}): OnBehalfOfMetrics {
  const meter = (options.meterProvider ?? metrics.getMeterProvider()).getMeter(meterName)
  const acquisitionCounter = meter.createObservableCounter(metricNames.acquisitions, {
    description: 'getToken calls by cache outcome and token source.',
    unit: '{acquisition}',
  })
  const duration = meter.createHistogram(metricNames.tokenRequestDuration, {
    description: 'Duration of token requests to the identity provider.',
    unit: 's',
    advice: { explicitBucketBoundaries: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30] },
  })
  const active = meter.createUpDownCounter(metricNames.activeTokenRequests, {
    description: 'Token requests in flight.',
    unit: '{request}',
  })
  const throttles = meter.createCounter(metricNames.throttles, {
    description: 'Throttled acquisitions: a 429 from the identity provider, or a caller blocked by its Retry-After.',
    unit: '{throttle}',
  })
  const refreshFailures = meter.createCounter(metricNames.refreshFailures, {
    description: 'Proactive refreshes that failed; the caller got the still-valid cached token.',
    unit: '{failure}',
  })
  const cacheErrors = meter.createCounter(metricNames.cacheErrors, {
    description: 'Distributed cache operations that failed (reads became misses, writes were dropped).',
    unit: '{error}',
  })
  const circuitGauge = meter.createObservableGauge(metricNames.cacheCircuitState, {
    description: 'Circuit breaker of the distributed cache: 0 closed, 1 half-open, 2 open.',
    unit: '1',
  })

  // Hits are the hot path: count them in a map and report at collection time, so a hit costs a map lookup
  // rather than an SDK attribute hash.
  // engine → tenant → resource → outcome (and level for hits): lookups on the caller's own strings, whose
  // hashes the engine has already computed, and no key string built per hit.
  const acquisitions = new Map<string, Map<string, Map<string, Map<string, AcquisitionCount>>>>()
  function countAcquisition(event: AcquisitionDiagnostic): void {
    const resource = scopeResource(event.scopes[0])
    const outcomeKey = event.source === 'l2' ? 'hit-l2' : event.outcome
    let byTenant = acquisitions.get(event.engine)
    if (byTenant === undefined) {
      acquisitions.set(event.engine, (byTenant = new Map<string, Map<string, Map<string, AcquisitionCount>>>()))
    }
    let byScope = byTenant.get(event.tenantId)
    if (byScope === undefined) {
      byTenant.set(event.tenantId, (byScope = new Map<string, Map<string, AcquisitionCount>>()))
    }
    let byOutcome = byScope.get(resource)
    if (byOutcome === undefined) byScope.set(resource, (byOutcome = new Map<string, AcquisitionCount>()))
    const entry = byOutcome.get(outcomeKey)
    if (entry !== undefined) {
      entry.count++
      return
    }
    byOutcome.set(outcomeKey, {
      count: 1,
      attributes: {
        [a.cacheOutcome]: snake(event.outcome),
        ...(event.source === undefined ? {} : { [a.tokenSource]: snake(event.source) }),
        [a.engine]: event.engine,
        [a.tenantId]: event.tenantId,
        [a.resource]: resource,
      },
    })
  }
  const circuits = new Map<string, number>()
  const activeIds = new Set<number>()
  const observeAcquisitions = (result: ObservableResult): void => {
    for (const byTenant of acquisitions.values()) {
      for (const byScope of byTenant.values()) {
        for (const byOutcome of byScope.values()) {
          for (const { attributes, count } of byOutcome.values()) result.observe(count, attributes)
        }
      }
    }
  }
  const observeCircuits = (result: ObservableResult): void => {
    for (const [system, value] of circuits) result.observe(value, { [a.cacheSystem]: system })
  }
  acquisitionCounter.addCallback(observeAcquisitions)
  circuitGauge.addCallback(observeCircuits)

  function onEvent(event: OboDiagnostic): void {
    switch (event.type) {
      case 'acquisition': {
        if (event.outcome === 'throttled') {
          throttles.add(1, { ...common(event), [a.throttleOrigin]: 'retry_after' })
        }
        countAcquisition(event)
        return
      }
      case 'token-request-start':
        activeIds.add(event.id)
        active.add(1, requestAttributes(event))
        return
      case 'token-request-end': {
        const attributes = requestAttributes(event)
        // Only a request this registration saw start moves the up-down counter back.
        if (activeIds.delete(event.id)) active.add(-1, attributes)
        const failure =
          event.outcome === 'failure'
            ? {
                ...(event.errorCode === undefined ? {} : { [a.errorType]: event.errorCode }),
                ...(event.stsErrorCode === undefined ? {} : { [a.stsErrorCode]: `AADSTS${event.stsErrorCode}` }),
                ...(event.httpStatus === undefined ? {} : { [a.httpStatus]: event.httpStatus }),
              }
            : {}
        duration.record(event.durationMs / 1000, {
          ...attributes,
          [a.grant]: snake(event.grant),
          [a.outcome]: event.outcome,
          ...failure,
        })
        if (event.errorCode === 'THROTTLED') {
          throttles.add(1, { ...common(event), [a.throttleOrigin]: 'identity_provider' })
        }
        return
      }
      case 'refresh-failed':
        refreshFailures.add(1, {
          ...common(event),
          [a.errorType]: event.errorCode,
          ...(event.stsErrorCode === undefined ? {} : { [a.stsErrorCode]: `AADSTS${event.stsErrorCode}` }),
        })
        return
      case 'cache':
        if (event.event === 'circuit') {
          if (event.state !== undefined) circuits.set(event.cache, circuitValues[event.state])
          return
        }
        cacheErrors.add(1, {
          [a.cacheSystem]: event.cache,
          [a.cacheOperation]: event.event.slice(0, event.event.indexOf('-')),
          ...(event.reason === undefined ? {} : { [a.cacheErrorReason]: event.reason }),
        })
        return
    }
  }

  const unsubscribe = subscribeOboDiagnostics(onEvent)
  let registered = true
  return {
    unregister() {
      if (!registered) return
      registered = false
      unsubscribe()
      acquisitionCounter.removeCallback(observeAcquisitions)
      circuitGauge.removeCallback(observeCircuits)
    },
  }
}

function common(event: { readonly engine: string; readonly tenantId: string; readonly scopes: readonly string[] }) {
  return { [a.engine]: event.engine, [a.tenantId]: event.tenantId, [a.resource]: scopeResource(event.scopes[0]) }
}

function requestAttributes(event: Omit<TokenRequestStartDiagnostic, 'type'>): Attributes {
  return { ...common(event), [a.reason]: snake(event.reason) }
}

function snake(value: string): string {
  return value.replaceAll('-', '_')
}
