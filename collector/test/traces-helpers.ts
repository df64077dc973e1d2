/**
 * Shared by the traces/flows/tap tests: an app on a temporary data dir, listening on free ports,
 * and the one way they build Kafka hop spans in OTLP/JSON and post them.
 */
import { randomBytes } from 'node:crypto';
import { expect } from 'vitest';
import type { Config } from '../src/config.ts';
import type { App } from '../src/app.ts';
import { encodeProtobufRequest } from '../src/traces/otlp/protobuf.ts';
import type { SdkHop } from './sdk-hop.ts';
import { startListeningApp, tempDir as newTempDir, waitFor, type ListeningApp } from './harness.ts';

export { removeDir, useListeningApp, waitFor } from './harness.ts';

export type Harness = ListeningApp;

export function tempDir(): string {
  return newTempDir('flows');
}

export function startHarness(overrides: Partial<Config> = {}, dataDir = tempDir()): Promise<Harness> {
  return startListeningApp({ overrides, dataDir });
}

/** A metric's value from the app's registry (sum over label sets matching `labels`). */
export async function metricValue(app: App, name: string, labels: Record<string, string> = {}): Promise<number> {
  const m = await app.metrics.getSingleMetric(name)?.get();
  if (!m) return 0;
  return m.values
    .filter((v) => Object.entries(labels).every(([k, val]) => String(v.labels[k]) === val))
    .reduce((n, v) => n + v.value, 0);
}

export const hex = (bytes: number): string => randomBytes(bytes).toString('hex');
/** Milliseconds since the epoch as OTLP/JSON's decimal nanoseconds. */
export const nsOf = (ms: number): string => (BigInt(Math.round(ms * 1000)) * 1000n).toString();
/** One OTLP/JSON attribute: an int for a number, else a string. */
export const attr = (key: string, v: string | number) =>
  typeof v === 'number' ? { key, value: { intValue: String(v) } } : { key, value: { stringValue: v } };

/** A Kafka hop as an instrumented producer (publish) or consumer (process) reports it. */
export interface KafkaSpan {
  kind: 'producer' | 'consumer';
  topic: string;
  eventId: string;
  startMs: number;
  /** Default: startMs + 1. */
  endMs?: number;
  /** eventscope.event.type, eventscope.correlation.id, eventscope.causation.id: left out when absent. */
  type?: string;
  corr?: string;
  causationId?: string;
  group?: string;
  outcome?: string;
  dlqTopic?: string;
  offset?: number;
  traceId?: string;
  spanId?: string;
  links?: { traceId: string; spanId: string }[];
}

/** The span in OTLP/JSON, named `send <topic>` or `process <topic>`, on partition 0. */
export function kafkaSpan(s: KafkaSpan) {
  const optional: [string, string | number | undefined][] = [
    ['eventscope.event.type', s.type],
    ['eventscope.correlation.id', s.corr],
    ['eventscope.causation.id', s.causationId],
    ['messaging.kafka.offset', s.offset],
    ['messaging.consumer.group.name', s.group],
    ['eventscope.outcome', s.outcome],
    ['eventscope.dlq.topic', s.dlqTopic],
  ];
  return {
    traceId: s.traceId ?? hex(16),
    spanId: s.spanId ?? hex(8),
    name: `${s.kind === 'producer' ? 'send' : 'process'} ${s.topic}`,
    kind: s.kind === 'producer' ? 4 : 5,
    startTimeUnixNano: nsOf(s.startMs),
    endTimeUnixNano: nsOf(s.endMs ?? s.startMs + 1),
    links: s.links ?? [],
    attributes: [
      attr('messaging.system', 'kafka'),
      attr('messaging.destination.name', s.topic),
      attr('messaging.destination.partition.id', '0'),
      attr('messaging.message.id', s.eventId),
      ...optional.flatMap(([key, v]) => (v === undefined ? [] : [attr(key, v)])),
    ],
  };
}

/** One resourceSpans entry: `spans` (kafkaSpan's) from the service named. */
export function serviceSpans(service: string, spans: ReturnType<typeof kafkaSpan>[]) {
  return { resource: { attributes: [attr('service.name', service)] }, scopeSpans: [{ spans }] };
}

/** Posts the resourceSpans as OTLP/JSON to the app (with these headers: a token), expects a 200 and waits for the store. */
export async function postSpans(
  app: App,
  resourceSpans: ReturnType<typeof serviceSpans>[],
  headers: Record<string, string> = {},
): Promise<void> {
  const res = await app.inject({
    method: 'POST',
    url: '/v1/traces',
    headers: { 'content-type': 'application/json', ...headers },
    payload: { resourceSpans },
  });
  expect(res.statusCode, res.body).toBe(200);
  await app.intake.flush();
}

/** The resourceSpans as an OTLP protobuf ExportTraceServiceRequest (hex ids become the bytes protobuf carries). */
export function protobufExport(resourceSpans: ReturnType<typeof serviceSpans>[]): Buffer {
  const withBytes = resourceSpans.map((rs) => ({
    ...rs,
    scopeSpans: rs.scopeSpans.map((ss) => ({
      spans: ss.spans.map((s) => ({
        ...s,
        traceId: Buffer.from(s.traceId, 'hex'),
        spanId: Buffer.from(s.spanId, 'hex'),
      })),
    })),
  }));
  return Buffer.from(encodeProtobufRequest({ resourceSpans: withBytes }));
}

/**
 * Checks that the SDK's hop (sdk-hop.ts) was accepted and is stored whole: the event's view once
 * it has both its publish and its delivery. An SDK exports each span on its own request, and an
 * accepted export is stored a moment later, so either can be seen alone first (requests race).
 */
export async function expectHopStored(app: App, sent: SdkHop): Promise<void> {
  expect(sent.results.map((r) => r.code)).toEqual([0, 0]); // ExportResultCode.SUCCESS
  const body = await waitFor(`event ${sent.eventId} with its publish and its delivery`, async () => {
    const res = await app.inject(`/api/events/${sent.eventId}`);
    const view = res.statusCode === 200 ? res.json<{ publish: unknown; groups: unknown[] }>() : undefined;
    return view && view.publish !== null && view.groups.length > 0 ? view : undefined;
  });
  expect(body).toMatchObject({
    eventId: sent.eventId,
    eventType: 'order.placed',
    correlationId: sent.correlationId,
    record: { topic: 'orders', partition: 2, offset: 17 },
    publish: { topic: 'orders', partition: 2, timeMs: sent.t0, endMs: sent.t0 + 3, traceId: sent.traceId },
    groups: [
      {
        group: 'payments',
        topic: 'orders',
        state: 'processed',
        processedCount: 1,
        duplicate: false,
        deliveries: [{ startMs: sent.t0 + 20, endMs: sent.t0 + 32, queueTimeMs: 20, processingTimeMs: 12 }],
      },
    ],
  });
}
