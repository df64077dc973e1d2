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
import { BatchSpanProcessor, type SpanExporter, type SpanProcessor } from '@opentelemetry/sdk-trace';
import { tracingEnabled } from '../config.ts';
import { consumerHook, producerHook } from './spans.ts';

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
    spanProcessors: options.spanProcessors ?? [new BatchSpanProcessor({ exporter, scheduledDelayMillis: 1_000 })],
    instrumentations: [new KafkaJsInstrumentation({ producerHook, consumerHook })],
    metricReaders: [],
    logRecordProcessors: [],
  });
  sdk.start();
  current = { enabled: true, shutdown: () => sdk.shutdown() };
  return current;
}
