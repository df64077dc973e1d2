/**
 * One saga across languages: a Java service under the OpenTelemetry Java agent (capture-headers,
 * no eventscope code) places and completes orders; a Node service on kafkajs, instrumented with
 * @opentelemetry/instrumentation-kafkajs and the hooks of docs/instrumenting.md, ships each
 * completed order. Both export to one collector; the saga joins them by correlation id, and
 * the Java event's hop shows the Node group's delivery next to the Java group's.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import type { Span } from '@opentelemetry/api';
import { KafkaJsInstrumentation, type KafkajsMessage } from '@opentelemetry/instrumentation-kafkajs';
import type * as KafkaJs from 'kafkajs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { SagaView } from '../src/flows/schemas.ts';
import { runJavaShop, type JavaShop } from './java-agent.ts';
import { createTopicsLed } from './kafka-helpers.ts';
import { startTracing, type TestTracing } from './otel-sdk.ts';
import { removeDir, startHarness, tempDir, waitFor, type Harness } from './traces-helpers.ts';

const brokers = process.env.KAFKA_BROKERS ?? '127.0.0.1:9092';
const prefix = `polyglot-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}-`;
const TOPICS = [`${prefix}orders`, `${prefix}completions`, `${prefix}payments.dlq`, `${prefix}shipments`];
const SHIPPING = `${prefix}shipping`;

// The hooks of docs/instrumenting.md (Node.js: kafkajs), as a user would paste them.
const header = (message: KafkajsMessage, name: string): string | undefined => {
  const v = message.headers?.[name];
  return (Array.isArray(v) ? v[0] : v)?.toString();
};
function envelope(span: Span, { message }: { message: KafkajsMessage }): void {
  const set = (key: string, value: string | undefined): void => {
    if (value !== undefined) span.setAttribute(key, value);
  };
  set('messaging.message.id', header(message, 'event-id'));
  set('eventscope.event.type', header(message, 'event-type'));
  set('eventscope.correlation.id', header(message, 'correlation-id'));
  set('eventscope.causation.id', header(message, 'causation-id'));
}

let h: Harness;
let tracing: TestTracing | undefined;
let kafka: KafkaJs.Kafka;
let admin: KafkaJs.Admin;
let producer: KafkaJs.Producer;
let consumer: KafkaJs.Consumer;
let shop: JavaShop;
const shipped = new Map<string, string>();
const dataDir = tempDir();

beforeAll(async () => {
  h = await startHarness({}, dataDir);
  tracing = startTracing('node-shipping', h.otlpUrl, [
    new KafkaJsInstrumentation({
      producerHook: envelope,
      consumerHook: (span, info) => {
        envelope(span, info);
        span.setAttribute('messaging.consumer.group.name', SHIPPING);
      },
    }),
  ]);
  // Required after the SDK started: the instrumentation patches kafkajs's CommonJS exports.
  const kafkajs = createRequire(import.meta.url)('kafkajs') as typeof KafkaJs;
  kafka = new kafkajs.Kafka({
    clientId: 'node-shipping',
    brokers: brokers.split(','),
    logLevel: kafkajs.logLevel.NOTHING,
  });
  admin = kafka.admin();
  await admin.connect();
  await createTopicsLed(admin, { topics: TOPICS.map((topic) => ({ topic, numPartitions: 2 })) });
  producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  consumer = kafka.consumer({ groupId: SHIPPING, sessionTimeout: 10_000, heartbeatInterval: 1000 });
  await consumer.connect();
  await consumer.subscribe({ topic: `${prefix}completions`, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      const orderId = header(message, 'correlation-id') ?? '';
      const id = randomUUID();
      shipped.set(orderId, id);
      await producer.send({
        topic: `${prefix}shipments`,
        messages: [
          {
            key: orderId,
            value: JSON.stringify({ orderId }),
            headers: {
              'event-id': id,
              'event-type': 'order.shipped',
              'correlation-id': orderId,
              'causation-id': header(message, 'event-id') ?? '',
            },
          },
        ],
      });
    },
  });
  shop = await runJavaShop({
    protocol: 'http/protobuf',
    endpoint: h.otlpUrl,
    brokers,
    prefix,
    orders: 2,
    poisonEvery: 0,
    serviceName: 'java-shop',
  });
}, 180_000);

afterAll(async () => {
  await consumer?.disconnect().catch(() => undefined);
  await producer?.disconnect().catch(() => undefined);
  await admin?.deleteTopics({ topics: TOPICS }).catch(() => undefined);
  await admin?.deleteGroups([SHIPPING, `${prefix}payments`, `${prefix}orders`]).catch(() => undefined);
  await admin?.disconnect().catch(() => undefined);
  await tracing?.stop();
  await h?.close();
  removeDir(dataDir);
});

it('joins one saga across a Java agent service and a kafkajs service', async () => {
  const order = shop.orders[0];
  if (!order?.completedEventId) throw new Error('the Java shop completed no order');
  const saga = await waitFor(
    `saga ${order.orderId} with the Node hop`,
    async () => {
      const res = await h.app.inject(`/api/sagas/${order.orderId}`);
      const s = res.statusCode === 200 ? res.json<SagaView>() : undefined;
      const done =
        s?.hops.length === 3 && s.hops.every((hop) => hop.deliveries.length > 0 || hop.eventType === 'order.shipped');
      return done && s.hops[1]?.deliveries.length === 2 ? s : undefined;
    },
    45_000,
  );
  expect(saga.status).toBe('completed');
  expect(saga.hops.map((hop) => [hop.eventType, hop.service])).toEqual([
    ['order.placed', 'java-shop'],
    ['order.completed', 'java-shop'],
    ['order.shipped', 'node-shipping'],
  ]);
  const completed = saga.hops[1];
  expect(completed?.eventId).toBe(order.completedEventId);
  expect(completed?.deliveries.map((d) => [d.group, d.service]).sort()).toEqual(
    [
      [`${prefix}orders`, 'java-shop'],
      [SHIPPING, 'node-shipping'],
    ].sort(),
  );
  // The Node consumer continued the Java producer's trace (W3C trace context in the headers).
  const nodeDelivery = completed?.deliveries.find((d) => d.group === SHIPPING);
  expect(nodeDelivery?.traceId).toBe(completed?.traceId);
  expect(saga.hops[2]?.eventId).toBe(shipped.get(order.orderId));
  expect(saga.hops[2]?.causationId).toBe(order.completedEventId);
});
