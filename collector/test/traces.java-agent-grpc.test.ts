/**
 * The Java agent test (traces.java-agent.test.ts) over OTLP/gRPC: the same kafka-clients service
 * under the real OpenTelemetry Java agent, configured as docs/instrumenting.md says for gRPC
 * (`otel.exporter.otlp.protocol=grpc`, the endpoint http://<collector>:4317, gzip), exporting to
 * the collector's gRPC receiver on a real port. The agent's gRPC exporter is its own (OkHttp over
 * HTTP/2 without TLS), not grpc-js: this is the interop check of the receiver with another stack.
 * It starts against a full intake queue: the receiver answers UNAVAILABLE with RetryInfo until
 * the queue drains, and every order must still be found (the agent retried; nothing was lost).
 */
import { randomBytes } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventView, SagaView } from '../src/flows/schemas.ts';
import type { SpanData } from '../src/traces/index.ts';
import { runJavaShop, type JavaShop } from './java-agent.ts';
import { metricValue, removeDir, startHarness, tempDir, waitFor, type Harness } from './traces-helpers.ts';
import { createTopicsLed } from './kafka-helpers.ts';

const brokers = process.env.KAFKA_BROKERS ?? '127.0.0.1:9092';
const prefix = `java-grpc-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}-`;
const topics = [`${prefix}orders`, `${prefix}completions`, `${prefix}payments.dlq`];

let h: Harness;
let shop: JavaShop | undefined;
const dataDir = tempDir();
const kafka = new Kafka({ clientId: 'java-agent-grpc-test', brokers: brokers.split(','), logLevel: logLevel.NOTHING });
const admin = kafka.admin();

async function get<T>(url: string): Promise<T | undefined> {
  const res = await h.app.inject({ method: 'GET', url });
  return res.statusCode === 200 ? res.json<T>() : undefined;
}

const theShop = (): JavaShop => {
  if (!shop) throw new Error('the Java shop did not run');
  return shop;
};

beforeAll(async () => {
  // The smallest intake queue, filled by another client while its store is held: every export of
  // the agent is refused (UNAVAILABLE + RetryInfo) until the first refusal opens the store.
  h = await startHarness({ intakeQueueSpans: 100 }, dataDir);
  const app = h.app;
  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));
  app.intake.setConsumer(async (spans) => {
    await held;
    await app.flows.ingest(spans);
  });
  const nowUs = Date.now() * 1000;
  const filler: SpanData[] = Array.from({ length: 100 }, (_, i) => ({
    traceId: randomBytes(16).toString('hex'),
    spanId: (i + 1).toString(16).padStart(16, '0'),
    parentSpanId: null,
    name: 'filler',
    kind: 'internal',
    startUs: nowUs,
    endUs: nowUs,
    attributes: {},
    links: [],
    status: 'unset',
    statusMessage: null,
    service: 'filler',
  }));
  if (!app.intake.offer(filler, 'service filler')) throw new Error('the filler did not fit');
  const grpcPort = await app.otlpGrpc.listen('127.0.0.1', 0);
  await admin.connect();
  await createTopicsLed(admin, { topics: topics.map((topic) => ({ topic, numPartitions: 2 })) });
  const run = runJavaShop({
    protocol: 'grpc',
    endpoint: `http://127.0.0.1:${grpcPort}`,
    brokers,
    prefix,
    orders: 4,
    poisonEvery: 4,
    serviceName: 'java-shop-grpc',
    properties: { 'otel.exporter.otlp.compression': 'gzip' },
  });
  try {
    await waitFor('the agent refused for room', async () => ((await refused()) > 0 ? true : undefined), 120_000);
  } finally {
    release();
  }
  shop = await run;
}, 180_000);

const refused = (): Promise<number> =>
  metricValue(h.app, 'eventscope_otlp_requests_total', { encoding: 'grpc', code: 'UNAVAILABLE' });

afterAll(async () => {
  await admin.deleteTopics({ topics }).catch(() => undefined);
  await admin.deleteGroups([`${prefix}payments`, `${prefix}orders`]).catch(() => undefined);
  await admin.disconnect().catch(() => undefined);
  await h?.close();
  removeDir(dataDir);
});

describe('a kafka-clients service under the Java agent, exporting OTLP/gRPC', () => {
  it('finds an order by event id (publish and delivery by its group), its saga completed, a poison order dead-lettered', async () => {
    const order = theShop().orders.find((o) => !o.poison);
    if (!order?.completedEventId) throw new Error('no completed order');
    const view = await waitFor(`event ${order.placedEventId}`, async () => {
      const v = await get<EventView>(`/api/events/${order.placedEventId}`);
      // Its publish and delivery come in separate exports that may be stored in either order.
      return v?.publish && v.groups.some((g) => g.group === `${prefix}payments` && g.state === 'processed')
        ? v
        : undefined;
    });
    expect(view.eventType).toBe('order.placed');
    expect(view.correlationId).toBe(order.orderId);
    expect(view.publish).toMatchObject({ topic: `${prefix}orders`, service: 'java-shop-grpc' });
    expect(view.record?.offset).not.toBeNull();
    expect(view.groups.find((g) => g.group === `${prefix}payments`)?.deliveries[0]?.service).toBe('java-shop-grpc');

    const saga = await waitFor(`saga ${order.orderId} completed`, async () => {
      const s = await get<SagaView>(`/api/sagas/${order.orderId}`);
      return s?.status === 'completed' ? s : undefined;
    });
    expect(saga.hops.map((hop) => hop.eventType)).toEqual(['order.placed', 'order.completed']);
    expect(saga.endToEndMs).toBeGreaterThan(0);

    const poison = theShop().orders.find((o) => o.poison);
    if (!poison) throw new Error('no poison order');
    const dead = await waitFor(`event ${poison.placedEventId} in the DLQ`, async () => {
      const v = await get<EventView>(`/api/events/${poison.placedEventId}`);
      return v?.deadLettered ? v : undefined;
    });
    expect(dead.republishes.map((p) => p.topic)).toEqual([`${prefix}payments.dlq`]);

    // Every span came over gRPC, none was invalid.
    expect(
      await metricValue(h.app, 'eventscope_otlp_requests_total', { encoding: 'grpc', code: 'OK' }),
    ).toBeGreaterThan(0);
    expect(await metricValue(h.app, 'eventscope_otlp_requests_total', { encoding: 'protobuf' })).toBe(0);
    expect(await metricValue(h.app, 'eventscope_spans_rejected_total', { reason: 'invalid' })).toBe(0);
  });

  it('loses nothing to backpressure: refused exports were retried, every order is found with its deliveries', async () => {
    expect(await refused()).toBeGreaterThan(0);
    expect(await metricValue(h.app, 'eventscope_spans_rejected_total', { reason: 'queue_full' })).toBeGreaterThan(0);
    for (const order of theShop().orders) {
      const view = await waitFor(`event ${order.placedEventId}`, async () => {
        const v = await get<EventView>(`/api/events/${order.placedEventId}`);
        return v?.groups.some((g) => g.group === `${prefix}payments`) ? v : undefined;
      });
      expect(view.publish?.service).toBe('java-shop-grpc');
      if (order.completedEventId === null) continue;
      await waitFor(`saga ${order.orderId} completed`, async () =>
        (await get<SagaView>(`/api/sagas/${order.orderId}`))?.status === 'completed' ? true : undefined,
      );
    }
  });
});
