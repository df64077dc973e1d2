/**
 * Flows from real traffic: kafkajs producers and consumers on the real broker, instrumented
 * with @opentelemetry/instrumentation-kafkajs, exporting through the real OTLP protobuf
 * exporter to a listening collector. One saga crosses an `eachMessage` consumer (process
 * span is a child of the producer span) and an `eachBatch` consumer (new trace per batch,
 * span links only; here it also carries no event id, so only the link can join it).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import type { Span } from '@opentelemetry/api';
import { KafkaJsInstrumentation, type KafkajsMessage } from '@opentelemetry/instrumentation-kafkajs';
import type * as KafkaJs from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventView, SagaView } from '../src/flows/schemas.ts';
import { startTracing, type TestTracing } from './otel-sdk.ts';
import { metricValue, removeDir, startHarness, tempDir, waitFor, type Harness } from './traces-helpers.ts';

const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
const suffix = `${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
const T = {
  orders: `flows-orders-${suffix}`,
  payments: `flows-payments-${suffix}`,
  where: `flows-where-${suffix}`,
  audit: `flows-audit-${suffix}`,
};
const G = {
  orchestrator: `flows-orchestrator-${suffix}`,
  payments: `flows-payments-${suffix}`,
  shipping: `flows-shipping-${suffix}`,
  audit: `flows-audit-${suffix}`,
};
/** The group each test topic is consumed by, for the consumer hook (kafkajs's span has no group). */
const groupOfTopic = new Map([
  [T.orders, G.orchestrator],
  [T.payments, G.payments],
  [T.where, G.shipping],
  [T.audit, G.audit],
]);

const header = (m: KafkajsMessage, name: string): string | undefined => {
  const v = m.headers?.[name];
  const one = Array.isArray(v) ? v[0] : v;
  return one?.toString();
};

function contractAttributes(span: Span, m: KafkajsMessage): void {
  const set = (k: string, v: string | undefined): void => {
    if (v !== undefined) span.setAttribute(k, v);
  };
  set('messaging.message.id', header(m, 'event-id'));
  set('eventscope.event.type', header(m, 'event-type'));
  set('eventscope.correlation.id', header(m, 'correlation-id'));
  set('eventscope.causation.id', header(m, 'causation-id'));
}

const instrumentation = new KafkaJsInstrumentation({
  producerHook: (span, { message }) => contractAttributes(span, message),
  consumerHook: (span, { topic, message }) => {
    // The eachBatch consumer of `payments` sets nothing from headers: it joins by span link only.
    if (topic !== T.payments) contractAttributes(span, message);
    const group = groupOfTopic.get(topic);
    if (group) span.setAttribute('messaging.consumer.group.name', group);
  },
});

let h: Harness;
let tracing: TestTracing | undefined;
let kafka: KafkaJs.Kafka;
let admin: KafkaJs.Admin;
let producer: KafkaJs.Producer;
const consumers: KafkaJs.Consumer[] = [];
const dataDir = tempDir();
let completed: SagaView | undefined;
/** Topics exist before the tap subscribes (a plain kafkajs client, created before the SDK starts). */
async function createTopics(): Promise<boolean> {
  const { Kafka: PlainKafka, logLevel } = await import('kafkajs');
  const a = new PlainKafka({ clientId: 'flows-test-setup', brokers, logLevel: logLevel.NOTHING }).admin();
  await a.connect();
  try {
    return await a.createTopics({
      waitForLeaders: true,
      topics: Object.values(T).map((topic) => ({ topic, numPartitions: 1 })),
    });
  } finally {
    await a.disconnect();
  }
}
/** Polls the lag monitor until its snapshot has the group's committed offset (a cycle may fail on a busy broker). */
async function snapshotShows(group: string, topic: string, committed: number): Promise<void> {
  await waitFor(`${group} committed ${committed} in the lag snapshot`, async () => {
    await h.app.kafkaMonitor.pollOnce();
    return h.app.offsets.committedOffset(group, topic, 0) === committed ? true : undefined;
  });
}
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  h = await startHarness({ tapTopics: [T.where, T.audit] }, dataDir);
  if (!(await createTopics())) throw new Error('test topics existed already');
  // The tap starts before the SDK patches kafkajs, so its own consumer makes no spans.
  await h.app.tap.start();
  tracing = startTracing('flows-test', h.otlpUrl, [instrumentation]);
  // Through require, after the SDK started: the instrumentation patches kafkajs's CommonJS exports.
  const require = createRequire(import.meta.url);
  const kafkajs = require('kafkajs') as typeof KafkaJs;
  kafka = new kafkajs.Kafka({ clientId: 'flows-test', brokers, logLevel: kafkajs.logLevel.NOTHING });
  admin = kafka.admin();
  await admin.connect();
  producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
});

afterAll(async () => {
  for (const c of consumers) await c.disconnect().catch(() => undefined);
  await producer?.disconnect().catch(() => undefined);
  await admin?.deleteTopics({ topics: Object.values(T) }).catch(() => undefined);
  await admin?.deleteGroups(Object.values(G)).catch(() => undefined);
  await admin?.disconnect().catch(() => undefined);
  await tracing?.stop();
  await h?.close();
  removeDir(dataDir);
});

async function startConsumer(
  groupId: string,
  topic: string,
  run: KafkaJs.ConsumerRunConfig,
): Promise<KafkaJs.Consumer> {
  const c = kafka.consumer({ groupId, sessionTimeout: 10_000, heartbeatInterval: 1000 });
  consumers.push(c);
  await c.connect();
  await c.subscribe({ topic, fromBeginning: true });
  const joined = new Promise<void>((resolve) => {
    const off = c.on(c.events.GROUP_JOIN, () => {
      off();
      resolve();
    });
  });
  await c.run(run);
  await joined;
  return c;
}

const event = (type: string, correlationId: string, causationId?: string) => {
  const id = randomUUID();
  return {
    id,
    message: {
      key: correlationId,
      value: JSON.stringify({ type }),
      headers: {
        'event-id': id,
        'event-type': type,
        'correlation-id': correlationId,
        ...(causationId ? { 'causation-id': causationId } : {}),
      },
    },
  };
};

describe('flows from instrumented kafkajs services on the real broker', () => {
  it('assembles one saga across an eachMessage and an eachBatch consumer, with queue and processing times', async () => {
    const corr = `order-${randomUUID()}`;
    const ids: Record<string, string> = {};
    // The orchestrator (eachMessage): order.placed -> payment.requested; order.completed ends the saga.
    await startConsumer(G.orchestrator, T.orders, {
      eachMessage: async ({ message }) => {
        const type = message.headers?.['event-type']?.toString();
        if (type === 'order.placed') {
          await sleep(15);
          const e = event('payment.requested', corr, message.headers?.['event-id']?.toString());
          ids['payment.requested'] = e.id;
          await producer.send({ topic: T.payments, messages: [e.message] });
        } else {
          await sleep(5);
        }
      },
    });
    // Payments (eachBatch): payment.requested -> order.completed.
    await startConsumer(G.payments, T.payments, {
      eachBatch: async (payload) => {
        const { batch } = payload;
        for (const m of batch.messages) {
          await sleep(20);
          const e = event('order.completed', corr, m.headers?.['event-id']?.toString());
          ids['order.completed'] = e.id;
          await producer.send({ topic: T.orders, messages: [e.message] });
          payload.resolveOffset(m.offset);
          await payload.heartbeat();
        }
      },
    });
    const placed = event('order.placed', corr);
    ids['order.placed'] = placed.id;
    await producer.send({ topic: T.orders, messages: [placed.message] });

    const saga = await waitFor(
      'the saga to complete',
      async () => {
        const res = await h.app.inject(`/api/sagas/${corr}`);
        const body = res.statusCode === 200 ? res.json<SagaView>() : undefined;
        return body?.status === 'completed' && body.hops.every((x) => x.deliveries.length > 0) ? body : undefined;
      },
      45_000,
    );
    expect(saga.sagaType).toBe('order');
    expect(saga.terminalEventType).toBe('order.completed');
    expect(saga.hops.map((x) => [x.eventType, x.topic, x.deliveries.map((d) => d.group)])).toEqual([
      ['order.placed', T.orders, [G.orchestrator]],
      ['payment.requested', T.payments, [G.payments]],
      ['order.completed', T.orders, [G.orchestrator]],
    ]);
    const [h1, h2, h3] = saga.hops as [SagaView['hops'][number], SagaView['hops'][number], SagaView['hops'][number]];
    expect(h1.eventId).toBe(ids['order.placed']);
    expect(h2.eventId).toBe(ids['payment.requested']);
    expect(h2.causationId).toBe(ids['order.placed']);
    // eachMessage: the process span continues the producer's trace. eachBatch: a new trace, joined by link.
    const d1 = h1.deliveries[0] as SagaView['hops'][number]['deliveries'][number];
    const d2 = h2.deliveries[0] as SagaView['hops'][number]['deliveries'][number];
    const d3 = h3.deliveries[0] as SagaView['hops'][number]['deliveries'][number];
    expect(d1.traceId).toBe(h1.traceId);
    expect(d2.traceId).not.toBe(h2.traceId);
    // Queue time = delivery start - publish; processing = the consumer span; the handlers slept 15 and 20 ms.
    for (const [hop, d] of [
      [h1, d1],
      [h2, d2],
      [h3, d3],
    ] as const) {
      expect(d.queueTimeMs).toBeCloseTo(d.startMs - (hop.publishedMs as number), 3);
      expect(d.queueTimeMs).toBeGreaterThanOrEqual(0);
      expect(d.outcome).toBe('processed');
      expect(d.offset).not.toBeNull();
    }
    expect(d1.processingTimeMs).toBeGreaterThanOrEqual(15);
    expect(d2.processingTimeMs).toBeGreaterThanOrEqual(20);
    // End to end: first publish to the start of the first processed delivery of the terminal event.
    expect(saga.endToEndMs).toBeCloseTo(d3.startMs - (h1.publishedMs as number), 3);
    expect(saga.startMs).toBe(h1.publishedMs);

    // The eachBatch delivery is found from its event too, and the event from its trace.
    const ev = (await h.app.inject(`/api/events/${ids['payment.requested']}`)).json<EventView>();
    expect(ev.groups).toEqual([expect.objectContaining({ group: G.payments, state: 'processed', processedCount: 1 })]);
    const tr = (await h.app.inject(`/api/traces/${d2.traceId}`)).json<{ eventIds: string[] }>();
    expect(tr.eventIds).toContain(ids['payment.requested']);
    const search = (await h.app.inject(`/api/search?q=${corr}`)).json<{ matches: { kind: string }[] }>();
    expect(search.matches.map((m) => m.kind)).toEqual(['saga']);
    const list = (await h.app.inject(`/api/sagas?q=${corr}&status=completed`)).json<{
      items: { correlationId: string }[];
    }>();
    expect(list.items.map((s) => s.correlationId)).toEqual([corr]);

    // Metrics count what the store's write reported back, which can come a moment after a reader
    // sees the committed saga (the writer is a thread of its own): wait for the count, then check it.
    const orchestratorProcessed = `eventscope_hop_processing_seconds_count{topic="${T.orders}",group="${G.orchestrator}"}`;
    await waitFor('the saga and its deliveries counted in the metrics', async () => {
      const outcomes = await metricValue(h.app, 'eventscope_saga_outcomes_total', { outcome: 'completed' });
      const body = (await h.app.inject('/metrics')).body;
      return outcomes > 0 && body.includes(`${orchestratorProcessed} 2`) ? true : undefined;
    });
    expect(
      await metricValue(h.app, 'eventscope_saga_outcomes_total', { saga_type: 'order', outcome: 'completed' }),
    ).toBe(1);
    const metrics = (await h.app.inject('/metrics')).body;
    expect(metrics).toContain(`eventscope_saga_end_to_end_seconds_count{saga_type="order",outcome="completed"} 1`);
    expect(metrics).toContain(`eventscope_hop_queue_seconds_count{topic="${T.payments}",group="${G.payments}"} 1`);
    expect(metrics).toContain(`${orchestratorProcessed} 2`);

    completed = saga;
  });

  it('says where an event is for a group that has not processed it yet: position behind the committed offset', async () => {
    const corr = `order-${randomUUID()}`;
    // The tap (started in beforeAll) maps offsets to event ids.
    expect(h.app.tap.running).toBe(true);
    let processed = 0;
    const shipping = await startConsumer(G.shipping, T.where, {
      eachMessage: async () => {
        processed++;
        await Promise.resolve();
      },
    });
    const first = event('shipment.requested', corr);
    await producer.send({ topic: T.where, messages: [first.message] });
    await waitFor('the first record consumed', () => (processed === 1 ? true : undefined));
    // The group stops (committing offset 1); three more events arrive behind it.
    await shipping.disconnect();
    const later = [1, 2, 3].map(() => event('shipment.requested', corr));
    for (const e of later) await producer.send({ topic: T.where, messages: [e.message] });
    const last = later[2] as (typeof later)[number];
    await waitFor('the tap to map the last record', async () => {
      const hops = await h.app.store.event(last.id);
      return hops.records.length > 0 && hops.publishes.length > 0 ? true : undefined;
    });
    await snapshotShows(G.shipping, T.where, 1);

    const view = (await h.app.inject(`/api/events/${last.id}`)).json<EventView>();
    expect(view.record).toEqual({ topic: T.where, partition: 0, offset: 3 });
    expect(view.groups).toEqual([
      expect.objectContaining({
        group: G.shipping,
        topic: T.where,
        state: 'pending',
        deliveries: [],
        pending: expect.objectContaining({ committedOffset: 1, position: 2, partition: 0 }) as unknown,
      }),
    ]);
    const done = (await h.app.inject(`/api/events/${first.id}`)).json<EventView>();
    expect(done.groups).toEqual([
      expect.objectContaining({ group: G.shipping, state: 'processed', processedCount: 1, pending: null }),
    ]);
    // The saga view lists the same pending hops.
    const saga = (await h.app.inject(`/api/sagas/${corr}`)).json<SagaView>();
    expect(saga.status).toBe('in_flight');
    expect(saga.hops.map((x) => x.pending.map((p) => p.position))).toEqual([[], [0], [1], [2]]);
    expect(saga.pendingCount).toBe(3);
  });

  it('audits: a re-published event processed twice is a duplicate; records skipped by an offset reset are unaccounted', async () => {
    const corr = `order-${randomUUID()}`;
    let processed = 0;
    const group = await startConsumer(G.audit, T.audit, {
      eachMessage: async () => {
        processed++;
        await Promise.resolve();
      },
    });
    // The same event (same event-id) published twice, e.g. by a producer retry: processed twice.
    const dup = event('invoice.issued', corr);
    await producer.send({ topic: T.audit, messages: [dup.message] });
    await producer.send({ topic: T.audit, messages: [dup.message] });
    await waitFor('both copies consumed', () => (processed === 2 ? true : undefined));
    const dupView = await waitFor('the duplicate deliveries', async () => {
      const v = (await h.app.inject(`/api/events/${dup.id}`)).json<EventView>();
      return v.groups[0]?.processedCount === 2 ? v : undefined;
    });
    expect(dupView.duplicate).toBe(true);
    await group.disconnect();
    // Three records the group never reads: its offset is reset past them (as after a bad rebalance or a reset).
    const skipped = [1, 2, 3].map(() => event('invoice.issued', corr));
    for (const e of skipped) await producer.send({ topic: T.audit, messages: [e.message] });
    await waitFor('the tap to map the skipped records', async () => {
      const hops = await h.app.store.event((skipped[2] as (typeof skipped)[number]).id);
      return hops.records.length > 0 ? true : undefined;
    });
    // The audit sees the group empty at offset 2 before the reset...
    await waitFor('the group empty at offset 2 in the lag snapshot', async () => {
      await h.app.kafkaMonitor.pollOnce();
      return h.app.offsets.groupMembers(G.audit) === 0 && h.app.offsets.committedOffset(G.audit, T.audit, 0) === 2
        ? true
        : undefined;
    });
    expect(await h.app.flows.audit({ graceMs: 0 })).toEqual({ found: [], decided: [], withdrawn: [] });
    await admin.setOffsets({ groupId: G.audit, topic: T.audit, partitions: [{ partition: 0, offset: '5' }] });
    await snapshotShows(G.audit, T.audit, 5);
    // ...so the records the offset moved over while nobody consumed are skipped, at once.
    const run = await h.app.flows.audit({ graceMs: 0 });
    expect(run.found.map((u) => [u.group, u.offset, u.eventId])).toEqual(skipped.map((e, i) => [G.audit, i + 2, e.id]));
    expect(run.decided.map((u) => [u.offset, u.class, u.reason])).toEqual([
      [2, 'skipped', 'offset-reset'],
      [3, 'skipped', 'offset-reset'],
      [4, 'skipped', 'offset-reset'],
    ]);
    // A second run reports nothing new.
    expect(await h.app.flows.audit({ graceMs: 0 })).toEqual({ found: [], decided: [], withdrawn: [] });

    const audit = (await h.app.inject('/api/audit')).json<{
      duplicates: { eventId: string; group: string; count: number }[];
      unaccounted: { group: string; topic: string; offset: number; eventId: string | null }[];
    }>();
    expect(audit.duplicates).toContainEqual(expect.objectContaining({ eventId: dup.id, group: G.audit, count: 2 }));
    expect(
      audit.unaccounted
        .filter((u) => u.group === G.audit)
        .map((u) => u.offset)
        .sort(),
    ).toEqual([2, 3, 4]);
    expect(await metricValue(h.app, 'eventscope_duplicates_total', { group: G.audit })).toBe(1);
    expect(await metricValue(h.app, 'eventscope_unaccounted_total', { group: G.audit, topic: T.audit })).toBe(3);
  });

  it('keeps stored flows across closing and rebuilding the app on the same data directory', async () => {
    expect(completed).toBeDefined();
    const before = completed as SagaView;
    await h.close();
    h = await startHarness({ tapTopics: [T.where, T.audit] }, dataDir);
    const again = (await h.app.inject(`/api/sagas/${before.correlationId}`)).json<SagaView>();
    expect(again.status).toBe('completed');
    expect(again.endToEndMs).toBe(before.endToEndMs);
    expect(again.hops).toEqual(before.hops);
    const hop = before.hops[1] as SagaView['hops'][number];
    expect((await h.app.inject(`/api/events/${hop.eventId}`)).statusCode).toBe(200);
  });
});
