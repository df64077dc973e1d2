/**
 * OpenTelemetry for a demo process: the Node SDK with the kafkajs instrumentation (and our
 * hooks, src/tracing/spans.ts), exporting OTLP/HTTP. Endpoint, headers and protocol come from
 * the standard variables (OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT,
 * OTEL_EXPORTER_OTLP_[TRACES_]PROTOCOL = http/protobuf (default) or http/json), so any OTLP
 * backend works. OTEL_SDK_DISABLED=true or DEMO_TRACING=off turns tracing off entirely.
 *
 * Must run before kafkajs is loaded (src/lib/kafka.ts loads it lazily for that reason).
 */
import { KafkaJsInstrumentation } from '@opentelemetry/instrumentation-kafkajs';
import { OTLPTraceExporter as OTLPJsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OTLPProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { NodeSDK } from '@opentelemetry/sdk-node';
import type { Context } from '@opentelemetry/api';
import {
  BatchSpanProcessor,
  type ReadableSpan,
  type Span,
  type SpanExporter,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace';
import { tracingEnabled } from '../config.ts';
import { DROPPED_ATTR, consumerHook, producerHook } from './spans.ts';

/** Leaves out the spans the fault injection marked (DEMO_FAULT_SKIP_EVERY), passes on the rest. */
class DroppingProcessor implements SpanProcessor {
  readonly #inner: SpanProcessor;
  constructor(inner: SpanProcessor) {
    this.#inner = inner;
  }
  onStart(span: Span, parentContext: Context): void {
    this.#inner.onStart(span, parentContext);
  }
  onEnd(span: ReadableSpan): void {
    if (span.attributes[DROPPED_ATTR] !== true) this.#inner.onEnd(span);
  }
  forceFlush(): Promise<void> {
    return this.#inner.forceFlush();
  }
  shutdown(): Promise<void> {
    return this.#inner.shutdown();
  }
}

/**
 * The export schedule: every second (not the SDK's 5 s), so a SIGKILL loses at most about a
 * second of spans; OTEL_BSP_SCHEDULE_DELAY overrides it. The queue and batch sizes are the SDK's
 * (OTEL_BSP_MAX_QUEUE_SIZE, default 2048; OTEL_BSP_MAX_EXPORT_BATCH_SIZE, default 512): see the
 * README's "What a SIGKILL costs" for sizing them.
 */
function scheduledDelayMillis(env: NodeJS.ProcessEnv = process.env): number {
  const raw = Number(env.OTEL_BSP_SCHEDULE_DELAY);
  return env.OTEL_BSP_SCHEDULE_DELAY && Number.isFinite(raw) && raw > 0 ? raw : 1_000;
}

export interface Tracing {
  enabled: boolean;
  shutdown(): Promise<void>;
}

let current: Tracing | undefined;

export function otlpProtocol(env: NodeJS.ProcessEnv = process.env): 'http/protobuf' | 'http/json' {
  const p = env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL || env.OTEL_EXPORTER_OTLP_PROTOCOL || 'http/protobuf';
  if (p !== 'http/protobuf' && p !== 'http/json') {
    throw new Error(`OTEL_EXPORTER_OTLP_PROTOCOL=${p}: the demo supports http/protobuf and http/json`);
  }
  return p;
}

export function startTracing(
  serviceName: string,
  options: { spanProcessors?: SpanProcessor[]; exporter?: SpanExporter } = {},
): Tracing {
  if (current) return current;
  if (!tracingEnabled()) {
    current = { enabled: false, shutdown: () => Promise.resolve() };
    return current;
  }
  const exporter =
    options.exporter ?? (otlpProtocol() === 'http/json' ? new OTLPJsonExporter() : new OTLPProtoExporter());
  const sdk = new NodeSDK({
    serviceName: process.env.OTEL_SERVICE_NAME || serviceName,
    spanProcessors: options.spanProcessors ?? [
      new DroppingProcessor(new BatchSpanProcessor({ exporter, scheduledDelayMillis: scheduledDelayMillis() })),
    ],
    instrumentations: [new KafkaJsInstrumentation({ producerHook, consumerHook })],
    metricReaders: [],
    logRecordProcessors: [],
  });
  sdk.start();
  let stopped: Promise<void> | undefined;
  // Once: a crash handler and a signal handler may both ask; the SDK's second shutdown is a no-op anyway.
  current = { enabled: true, shutdown: () => (stopped ??= sdk.shutdown()) };
  return current;
}

/**
 * The clean crash path: an uncaught exception or an unhandled rejection flushes the spans still
 * in the exporter's buffer (at most `flushMs`) before the process exits with 1, so a crash costs
 * no telemetry. Only SIGKILL (and a hard OOM) still loses the buffer: see the README.
 */
export function flushOnCrash(tracing: Tracing, flushMs = 5_000): void {
  let crashing = false;
  const crash = (error: unknown): void => {
    console.error(error);
    if (crashing) return;
    crashing = true;
    process.exitCode = 1;
    const force = setTimeout(() => process.exit(1), flushMs);
    force.unref();
    void tracing
      .shutdown()
      .catch(() => undefined)
      .finally(() => process.exit(1));
  };
  process.on('uncaughtException', crash);
  process.on('unhandledRejection', crash);
}
