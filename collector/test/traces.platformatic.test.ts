/**
 * A Node service on @platformatic/kafka, traced by @platformatic/kafka-opentelemetry as its README
 * says (processWithTracing around each message) plus the hooks of docs/instrumenting.md, exporting
 * through the real OTLP protobuf exporter. Its consumer spans carry no offset: each delivery joins
 * its publish through trace context and the envelope attributes the hooks add.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { Span } from '@opentelemetry/api';
import {
  Admin,
  Consumer,
  MessagesStreamModes,
  Producer,
  stringDeserializers,
  stringSerializers,
} from '@platformatic/kafka';
import { KafkaInstrumentation, processWithTracing } from '@platformatic/kafka-opentelemetry';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { EventView, SagaView } from '../src/flows/schemas.ts';
import { startTracing, type TestTracing } from './otel-sdk.ts';
import { removeDir, startHarness, tempDir, waitFor, type Harness } from './traces-helpers.ts';

const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
const suffix = `${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
const TOPIC = `plt-orders-${suffix}`;
const GROUP = `plt-billing-${suffix}`;

const text = (v: unknown): string | undefined =>
  typeof v === 'string' ? v : Buffer.isBuffer(v) ? v.toString('utf8') : undefined;

/** A header of a produced or consumed message, whatever shape @platformatic/kafka gives it. */
function header(headers: unknown, name: string): string | undefined {
  if (headers instanceof Map) {
    for (const [k, v] of headers as Map<unknown, unknown>) if (text(k) === name) return text(v);
    return undefined;
  }
  if (headers !== null && typeof headers === 'object' && Object.hasOwn(headers, name)) {
    return text(Object.getOwnPropertyDescriptor(headers, name)?.value);
  }
  return undefined;
}

// The hooks of docs/instrumenting.md (Node.js: @platformatic/kafka).
function envelope(message: { headers?: unknown }, span: Span): void {
  const set = (key: string, value: string | undefined): void => {
    if (value !== undefined) span.setAttribute(key, value);
  };
  set('messaging.message.id', header(message.headers, 'event-id'));
  set('eventscope.event.type', header(message.headers, 'event-type'));
  set('eventscope.correlation.id', header(message.headers, 'correlation-id'));
  set('eventscope.causation.id', header(message.headers, 'causation-id'));
}

let h: Harness;
let tracing: TestTracing | undefined;
const admin = new Admin({ clientId: 'plt-test-admin', bootstrapBrokers: brokers });
const producer = new Producer({ clientId: 'plt-shop', bootstrapBrokers: brokers, serializers: stringSerializers });
const consumer = new Consumer({
  clientId: 'plt-billing',
  groupId: GROUP,
  bootstrapBrokers: brokers,
  deserializers: stringDeserializers,
});
const dataDir = tempDir();
const orders = [0, 1].map(() => ({ orderId: `order-${randomUUID()}`, eventId: randomUUID() }));

beforeAll(async () => {
  h = await startHarness({}, dataDir);
  tracing = startTracing('plt-shop', h.otlpUrl, [
    new KafkaInstrumentation({
      beforeProduce: (message, span) => envelope(message, span),
      beforeProcess: (message, span) => {
        envelope(message, span);
        span.setAttribute('messaging.consumer.group.name', GROUP);
      },
    }),
  ]);
  await admin.createTopics({ topics: [TOPIC], partitions: 2, replicas: 1 });
  await producer.send({
    messages: orders.map((o) => ({
      topic: TOPIC,
      key: o.orderId,
      value: JSON.stringify(o),
      headers: { 'event-id': o.eventId, 'event-type': 'order.placed', 'correlation-id': o.orderId },
    })),
  });
  const stream = await consumer.consume({ topics: [TOPIC], mode: MessagesStreamModes.EARLIEST });
  let seen = 0;
  for await (const message of stream) {
    await processWithTracing(message, async () => {
      await new Promise((resolve) => setTimeout(resolve, 5));
    });
    if (++seen === orders.length) break;
  }
  await stream.close();
}, 120_000);

afterAll(async () => {
  await consumer.close(true).catch(() => undefined);
  await producer.close().catch(() => undefined);
  await admin.deleteTopics({ topics: [TOPIC] }).catch(() => undefined);
  await admin.deleteGroups({ groups: [GROUP] }).catch(() => undefined);
  await admin.close().catch(() => undefined);
  await tracing?.stop();
  await h?.close();
  removeDir(dataDir);
});

it('finds each event with its publish and its delivery by the group, joined without an offset', async () => {
  for (const o of orders) {
    const view = await waitFor(`event ${o.eventId}`, async () => {
      const res = await h.app.inject(`/api/events/${o.eventId}`);
      const v = res.statusCode === 200 ? res.json<EventView>() : undefined;
      // Its publish and delivery come in separate exports that may be stored in either order.
      return v?.publish && v.groups.some((g) => g.group === GROUP && g.state === 'processed') ? v : undefined;
    });
    expect(view.publish).toMatchObject({ topic: TOPIC, service: 'plt-shop', eventType: 'order.placed' });
    const delivery = view.groups.find((g) => g.group === GROUP)?.deliveries[0];
    // The instrumentation writes no offset on either side; the process span continues the send span's trace.
    expect(delivery?.offset).toBeNull();
    expect(delivery?.traceId).toBe(view.publish?.traceId);
    expect(delivery?.processingTimeMs).toBeGreaterThanOrEqual(4);
    const saga = (await h.app.inject(`/api/sagas/${o.orderId}`)).json<SagaView>();
    expect(saga.hops.map((x) => x.eventId)).toEqual([o.eventId]);
  }
});
