/**
 * GET /api/overview over real inputs: a saga sent as OTLP/JSON spans, a Kafka poll of the
 * real broker with a lagging group the test makes itself.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, describe, expect, it } from 'vitest';
import type { Overview } from '../src/api/schemas.ts';
import { removeDir, startApp } from './harness.ts';
import { commitOffsets, createTopicsLed } from './kafka-helpers.ts';
import { kafkaSpan, postSpans, serviceSpans, useListeningApp } from './traces-helpers.ts';

const h = useListeningApp();
const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
const kafka = new Kafka({ clientId: 'overview-test', brokers, logLevel: logLevel.NOTHING });
const suffix = randomBytes(4).toString('hex');
const topic = `overview-${suffix}`;
const group = `overview-group-${suffix}`;

afterAll(async () => {
  const admin = kafka.admin();
  await admin.connect();
  await admin.deleteGroups([group]).catch(() => undefined);
  await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
  await admin.disconnect();
});

/** A hop of a saga whose topic is named after its event type. */
function span(
  kind: 'producer' | 'consumer',
  type: string,
  eventId: string,
  corr: string,
  startMs: number,
  endMs: number,
  group?: string,
) {
  return kafkaSpan({
    kind,
    topic: type,
    type,
    eventId,
    corr,
    startMs,
    endMs,
    ...(group ? { group, outcome: 'processed' } : {}),
  });
}

describe('GET /api/overview', () => {
  it('reports ended sagas with their end-to-end latency percentiles and outcome counts', async () => {
    const t = Date.now() - 1000;
    const latencies = [120, 250, 400];
    for (const [i, e2e] of latencies.entries()) {
      const corr = `order-${randomUUID()}`;
      const placed = randomUUID();
      const completed = randomUUID();
      await postSpans(h.app, [
        serviceSpans('order', [
          span('producer', 'order.placed', placed, corr, t + i, t + i + 1),
          span('producer', 'order.completed', completed, corr, t + i + e2e - 10, t + i + e2e - 9),
          // End-to-end latency ends where the terminal event's processing starts.
          span('consumer', 'order.completed', completed, corr, t + i + e2e, t + i + e2e + 5, 'orchestrator'),
        ]),
      ]);
    }
    const overview = (await h.app.inject('/api/overview?rangeSeconds=300')).json<Overview>();
    expect(overview.rangeSeconds).toBe(300);
    expect(overview.sagaOutcomes.completed).toBe(3);
    expect(overview.latency).toHaveLength(1);
    expect(overview.latency[0]).toMatchObject({ p50Ms: 250, p95Ms: 400, p99Ms: 400 });
  });

  it('lists the worst consumer groups from the last Kafka poll and samples throughput', async () => {
    const admin = kafka.admin();
    await admin.connect();
    await createTopicsLed(admin, { topics: [{ topic, numPartitions: 1 }] });
    // The group commits offset 0, then 20 records arrive: it lags and nobody consumes.
    await commitOffsets(group, topic, [{ partition: 0, offset: '0' }]);
    await admin.disconnect();
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic, messages: Array.from({ length: 20 }, (_, i) => ({ value: `r${i}` })) });
    await producer.disconnect();

    await h.app.kafkaMonitor.pollOnce();
    await h.app.kafkaMonitor.pollOnce();
    const overview = (await h.app.inject('/api/overview')).json<Overview>();
    expect(overview.snapshotTime).toBeGreaterThan(0);
    expect(overview.throughput.length).toBeGreaterThanOrEqual(1);
    const ours = overview.worstGroups.find((g) => g.group === group);
    expect(ours).toBeDefined();
    expect(ours?.lag).toBe(20);
    // Worst first: no group listed before ours may be healthier than it.
    const severity = ['OK', 'WARN', 'REWIND', 'STALL', 'STOP', 'ERR'];
    const idx = overview.worstGroups.findIndex((g) => g.group === group);
    for (const g of overview.worstGroups.slice(0, idx)) {
      expect(severity.indexOf(g.status)).toBeGreaterThanOrEqual(severity.indexOf(ours?.status ?? 'OK'));
    }
  });

  it('refuses a range outside 60 s .. 6 h with a 400 naming the field', async () => {
    const res = await h.app.inject('/api/overview?rangeSeconds=5');
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({
      error: 'BAD_REQUEST',
      message: expect.stringContaining('rangeSeconds') as unknown,
    });
  });
});

describe('GET /api/overview: setup facts, whatever the range', () => {
  it('says whether spans ever arrived, names the configured OTLP ports and the DLQ pattern', async () => {
    const t = await startApp({ overrides: { otlpPort: 14318, otlpGrpcPort: 0, dlqPattern: 'constructor.*' } });
    try {
      const before = (await t.app.inject('/api/overview?rangeSeconds=60')).json<Overview>();
      expect(before.setup).toEqual({
        hopsStored: 0,
        lastSpanAt: null,
        otlpHttpPort: 14318,
        otlpGrpcPort: null, // 0: gRPC off
        dlqPattern: 'constructor.*',
      });
      // A publish whose span time lies two days back: outside the range, yet it arrived now.
      const sentAt = Date.now();
      const old = sentAt - 2 * 86_400_000;
      await postSpans(t.app, [
        serviceSpans('order', [span('producer', 'order.placed', randomUUID(), `order-${randomUUID()}`, old, old + 1)]),
      ]);
      const after = (await t.app.inject('/api/overview?rangeSeconds=60')).json<Overview>();
      expect(Object.values(after.sagaOutcomes).reduce((a, b) => a + b, 0)).toBe(0);
      expect(after.setup.hopsStored).toBe(1);
      // Stored with a wall-clock second: within the second before the post and now.
      expect(after.setup.lastSpanAt).toBeGreaterThanOrEqual(Math.floor(sentAt / 1000) * 1000);
      expect(after.setup.lastSpanAt).toBeLessThanOrEqual(Date.now());
    } finally {
      await t.close();
      removeDir(t.dataDir);
    }
  });
});
