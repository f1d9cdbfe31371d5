/**
 * The real OpenTelemetry SDK for the tests: a meter provider with a reader the test collects on demand, a
 * tracer provider with an in-memory exporter, and `@azure/core-tracing` wired to that tracer the way
 * `@azure/opentelemetry-instrumentation-azure-sdk` wires it (an OpenTelemetry `Context` is the tracing context).
 */
import { useInstrumenter, type Instrumenter, type TracingSpan } from '@azure/core-tracing'
import { context, SpanStatusCode, trace, type Context, type Span } from '@opentelemetry/api'
import {
  AggregationTemporality,
  MeterProvider,
  MetricReader,
  type DataPoint,
  type MetricData,
} from '@opentelemetry/sdk-metrics'
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base'

class CollectingReader extends MetricReader {
  constructor() {
    super({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE })
  }
  protected override onForceFlush(): Promise<void> {
    return Promise.resolve()
  }
  protected override onShutdown(): Promise<void> {
    return Promise.resolve()
  }
}

export interface MetricsHarness {
  readonly meterProvider: MeterProvider
  /** Every metric the SDK exports now (cumulative). */
  collect(): Promise<MetricData[]>
}

export function createMetricsHarness(): MetricsHarness {
  const reader = new CollectingReader()
  const meterProvider = new MeterProvider({ readers: [reader] })
  return {
    meterProvider,
    async collect() {
      const { resourceMetrics, errors } = await reader.collect()
      if (errors.length > 0) throw new AggregateError(errors, 'metric collection failed')
      return resourceMetrics.scopeMetrics.flatMap((scope) => scope.metrics)
    },
  }
}

/** The data points of `name`, or an empty list. */
export function points(metrics: MetricData[], name: string): DataPoint<unknown>[] {
  return metrics.find((metric) => metric.descriptor.name === name)?.dataPoints ?? []
}

/** The sum of a counter's points whose attributes include `match`. */
export function sum(metrics: MetricData[], name: string, match: Record<string, unknown> = {}): number {
  return points(metrics, name)
    .filter((point) => Object.entries(match).every(([key, value]) => point.attributes[key] === value))
    .reduce((total, point) => total + (point.value as number), 0)
}

export interface TracingHarness {
  readonly exporter: InMemorySpanExporter
}

export function createTracingHarness(): TracingHarness {
  const exporter = new InMemorySpanExporter()
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] })
  const tracer = provider.getTracer('onbehalf-tests')
  const wrap = (span: Span): TracingSpan => ({
    setStatus(status) {
      span.setStatus(status.status === 'error' ? { code: SpanStatusCode.ERROR } : { code: SpanStatusCode.OK })
    },
    setAttribute(name, value) {
      if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
        span.setAttribute(name, value)
      }
    },
    end: () => span.end(),
    recordException: (exception) => span.recordException(exception),
    isRecording: () => span.isRecording(),
  })
  const instrumenter: Instrumenter = {
    startSpan(name, options) {
      const parent = (options.tracingContext as Context | undefined) ?? context.active()
      const attributes = Object.fromEntries(
        Object.entries(options.spanAttributes ?? {}).filter(([, value]) => typeof value === 'string'),
      ) as Record<string, string>
      const span = tracer.startSpan(name, { attributes }, parent)
      return { span: wrap(span), tracingContext: trace.setSpan(parent, span) }
    },
    withContext(tracingContext, callback, ...args) {
      return context.with(tracingContext, callback, undefined, ...args)
    },
    parseTraceparentHeader: () => undefined,
    createRequestHeaders: () => ({}),
  }
  useInstrumenter(instrumenter)
  return { exporter }
}
