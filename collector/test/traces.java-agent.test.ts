/**
 * The service most users run: plain kafka-clients under the OpenTelemetry Java agent 2.x,
 * configured only as the agent's docs say (docs/instrumenting.md, Java): capture-headers for our
 * envelope, OTLP http/protobuf to the collector. No eventscope code in the service. The agent
 * never sets messaging.message.id for Kafka; the envelope arrives as `messaging.header.event_id`
 * string arrays (default mode) or `messaging.header.event-id` (stable messaging semconv).
 */
import { randomBytes } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventView, SagaView } from '../src/flows/schemas.ts';
import { runJavaShop, type JavaShop } from './java-agent.ts';
import { removeDir, startHarness, tempDir, waitFor, type Harness } from './traces-helpers.ts';
import { createTopicsLed } from './kafka-helpers.ts';

const brokers = process.env.KAFKA_BROKERS ?? '127.0.0.1:9092';
const suffix = `${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
const prefixes = { plain: `java-${suffix}-`, stable: `java-stable-${suffix}-` };
const topicsOf = (p: string): string[] => [`${p}orders`, `${p}completions`, `${p}payments.dlq`];

let h: Harness;
const dataDir = tempDir();
const kafka = new Kafka({ clientId: 'java-agent-test', brokers: brokers.split(','), logLevel: logLevel.NOTHING });
const admin = kafka.admin();
const shops = new Map<string, JavaShop>();

async function get<T>(url: string): Promise<T | undefined> {
  const res = await h.app.inject({ method: 'GET', url });
  return res.statusCode === 200 ? res.json<T>() : undefined;
}

beforeAll(async () => {
  h = await startHarness({}, dataDir);
  await admin.connect();
  await createTopicsLed(admin, {
    topics: [...topicsOf(prefixes.plain), ...topicsOf(prefixes.stable)].map((topic) => ({ topic, numPartitions: 2 })),
  });
  // Both JVMs at once: the agent's start is most of a run's time.
  const [plain, stable] = await Promise.all([
    runJavaShop({
      protocol: 'http/protobuf',
      endpoint: h.otlpUrl,
      brokers,
      prefix: prefixes.plain,
      orders: 6,
      poisonEvery: 3,
      serviceName: 'java-shop',
    }),
    runJavaShop({
      protocol: 'http/protobuf',
      endpoint: h.otlpUrl,
      brokers,
      prefix: prefixes.stable,
      orders: 3,
      poisonEvery: 3,
      serviceName: 'java-shop-stable',
      properties: { 'otel.semconv-stability.opt-in': 'messaging' },
    }),
  ]);
  shops.set('plain', plain);
  shops.set('stable', stable);
}, 180_000);

afterAll(async () => {
  await admin
    .deleteTopics({ topics: [...topicsOf(prefixes.plain), ...topicsOf(prefixes.stable)] })
    .catch(() => undefined);
  await admin
    .deleteGroups(Object.values(prefixes).flatMap((p) => [`${p}payments`, `${p}orders`]))
    .catch(() => undefined);
  await admin.disconnect().catch(() => undefined);
  await h?.close();
  removeDir(dataDir);
});

describe.each([
  ['default mode', 'plain'],
  ['otel.semconv-stability.opt-in=messaging', 'stable'],
] as const)('a kafka-clients service under the Java agent (%s)', (_mode, which) => {
  const prefix = prefixes[which];
  const shop = (): JavaShop => {
    const s = shops.get(which);
    if (!s) throw new Error('the Java shop did not run');
    return s;
  };

  it('finds an order by event id: the publish with its position, the delivery by its group', async () => {
    const order = shop().orders.find((o) => !o.poison);
    if (!order) throw new Error('no healthy order');
    const view = await waitFor(`event ${order.placedEventId}`, async () => {
      const v = await get<EventView>(`/api/events/${order.placedEventId}`);
      // Its publish and delivery may come in separate exports, stored in either order.
      return v?.publish && v.groups.some((g) => g.group === `${prefix}payments` && g.state === 'processed')
        ? v
        : undefined;
    });
    expect(view.eventType).toBe('order.placed');
    expect(view.correlationId).toBe(order.orderId);
    expect(view.publish?.topic).toBe(`${prefix}orders`);
    expect(view.publish?.service).toBe(which === 'plain' ? 'java-shop' : 'java-shop-stable');
    // Partition and offset from the producer span (known once acknowledged) place the record.
    expect(view.record).toMatchObject({ topic: `${prefix}orders` });
    expect(view.record?.offset).not.toBeNull();
    const payments = view.groups.find((g) => g.group === `${prefix}payments`);
    expect(payments?.deliveries[0]?.service).toBe(which === 'plain' ? 'java-shop' : 'java-shop-stable');
    expect(payments?.deliveries[0]?.queueTimeMs).toBeGreaterThanOrEqual(0);
    expect(view.deadLettered).toBe(false);
    // The search box finds it too.
    const search = await get<{ matches: { kind: string }[] }>(`/api/search?q=${order.placedEventId}`);
    expect(search?.matches.map((m) => m.kind)).toEqual(['event']);
  });

  it('resolves the saga by correlation id, completed, with its end-to-end latency', async () => {
    const order = shop().orders.find((o) => !o.poison);
    if (!order?.completedEventId) throw new Error('no completed order');
    const saga = await waitFor(`saga ${order.orderId} completed`, async () => {
      const s = await get<SagaView>(`/api/sagas/${order.orderId}`);
      return s?.status === 'completed' ? s : undefined;
    });
    expect(saga.terminalEventType).toBe('order.completed');
    expect(saga.endToEndMs).toBeGreaterThan(0);
    const types = saga.hops.map((hop) => hop.eventType);
    expect(types).toEqual(['order.placed', 'order.completed']);
    const completed = saga.hops[1];
    expect(completed?.eventId).toBe(order.completedEventId);
    expect(completed?.causationId).toBe(order.placedEventId);
    expect(completed?.deliveries.map((d) => d.group)).toEqual([`${prefix}orders`]);
  });

  it('shows a poison order dead-lettered by the payments group', async () => {
    const poison = shop().orders.find((o) => o.poison);
    if (!poison) throw new Error('no poison order');
    const view = await waitFor(`event ${poison.placedEventId} in the DLQ`, async () => {
      const v = await get<EventView>(`/api/events/${poison.placedEventId}`);
      return v?.deadLettered && v.publish ? v : undefined;
    });
    expect(view.republishes.map((p) => p.topic)).toEqual([`${prefix}payments.dlq`]);
    // The agent reports no outcome: the group's copy to its own DLQ is what says it dead-lettered the event.
    expect(view.groups.find((g) => g.group === `${prefix}payments`)?.state).toBe('dead_lettered');
    expect(view.publish?.topic).toBe(`${prefix}orders`);
    const saga = await get<SagaView>(`/api/sagas/${poison.orderId}`);
    expect(saga?.status).not.toBe('completed');
    expect(saga?.dlqSteps).toMatchObject([
      {
        eventId: poison.placedEventId,
        group: `${prefix}payments`,
        topic: `${prefix}orders`,
        dlqTopic: `${prefix}payments.dlq`,
      },
    ]);
  });
});
