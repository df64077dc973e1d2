/**
 * One Kafka hop through the real OpenTelemetry SDK, for the OTLP/HTTP and OTLP/gRPC intake
 * tests: a publish and a delivery of a new event, with exact times, through any exporter.
 */
import { randomUUID } from 'node:crypto';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { SimpleSpanProcessor, TracerProvider, type SpanExporter } from '@opentelemetry/sdk-trace';

/** The result an exporter hands its callback. */
type ExportResult = Parameters<Parameters<SpanExporter['export']>[1]>[0];

export interface SdkHop {
  eventId: string;
  correlationId: string;
  t0: number;
  traceId: string;
  /** What the exporter answered, one a span (the processor exports each span on its own). */
  results: ExportResult[];
}

/**
 * Emits `send orders` (t0 .. t0+3) and `process orders` (t0+20 .. t0+32, linked to the send,
 * offset 17, group payments, attempt 1) from `service`. A refused export does not throw: the
 * caller reads `results`.
 */
export async function emitHop(exporter: SpanExporter, service: string): Promise<SdkHop> {
  const results: ExportResult[] = [];
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': service }),
    spanProcessors: [
      new SimpleSpanProcessor({
        exporter: {
          export: (spans, done) =>
            exporter.export(spans, (r) => {
              results.push(r);
              done(r);
            }),
          shutdown: () => exporter.shutdown(),
          forceFlush: () => exporter.forceFlush?.() ?? Promise.resolve(),
        },
      }),
    ],
  });
  const tracer = provider.getTracer('test');
  const eventId = randomUUID();
  const correlationId = `order-${randomUUID()}`;
  const t0 = Date.now() - 1000;
  const common = {
    'messaging.system': 'kafka',
    'messaging.destination.name': 'orders',
    'messaging.destination.partition.id': '2',
    'messaging.message.id': eventId,
    'eventscope.event.type': 'order.placed',
    'eventscope.correlation.id': correlationId,
  };
  const send = tracer.startSpan('send orders', { kind: SpanKind.PRODUCER, startTime: t0, attributes: common });
  send.end(t0 + 3);
  const process = tracer.startSpan('process orders', {
    kind: SpanKind.CONSUMER,
    startTime: t0 + 20,
    links: [{ context: send.spanContext() }],
    attributes: {
      ...common,
      'messaging.kafka.offset': '17',
      'messaging.consumer.group.name': 'payments',
      'messaging.operation.type': 'process',
      'eventscope.outcome': 'processed',
      'eventscope.attempt': 1,
    },
  });
  process.setStatus({ code: SpanStatusCode.OK });
  process.end(t0 + 32);
  // A refused export rejects the flush too; `results` has what the exporter was told.
  await provider.forceFlush().catch(() => undefined);
  await provider.shutdown().catch(() => undefined);
  return { eventId, correlationId, t0, traceId: send.spanContext().traceId, results };
}
