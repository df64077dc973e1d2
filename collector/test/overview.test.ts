/**
 * GET /api/overview over real inputs: a saga sent as OTLP/JSON spans, a Kafka poll of the
 * real broker with a lagging group the test makes itself.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Overview } from '../src/api/schemas.ts';
import { removeDir, startHarness, type Harness } from './traces-helpers.ts';

let h: Harness;
const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
const kafka = new Kafka({ clientId: 'overview-test', brokers, logLevel: logLevel.NOTHING });
const suffix = randomBytes(4).toString('hex');
const topic = `overview-${suffix}`;
const group = `overview-group-${suffix}`;

beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h.close();
  removeDir(h.dataDir);
  const admin = kafka.admin();
  await admin.connect();
  await admin.deleteGroups([group]).catch(() => undefined);
  await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
  await admin.disconnect();
});

const hex = (n: number): string => randomBytes(n).toString('hex');
const ns = (ms: number): string => (BigInt(Math.round(ms * 1000)) * 1000n).toString();
const attr = (key: string, v: string) => ({ key, value: { stringValue: v } });

function span(
  kind: 4 | 5,
  t: string,
  eventId: string,
  type: string,
  corr: string,
  startMs: number,
  endMs: number,
  group?: string,
) {
  return {
    traceId: hex(16),
    spanId: hex(8),
    name: `${kind === 4 ? 'send' : 'process'} ${t}`,
    kind,
    startTimeUnixNano: ns(startMs),
    endTimeUnixNano: ns(endMs),
    attributes: [
      attr('messaging.system', 'kafka'),
      attr('messaging.destination.name', t),
      attr('messaging.destination.partition.id', '0'),
      attr('messaging.message.id', eventId),
      attr('eventscope.event.type', type),
      attr('eventscope.correlation.id', corr),
      ...(group ? [attr('messaging.consumer.group.name', group), attr('eventscope.outcome', 'processed')] : []),
    ],
  };
}

describe('GET /api/overview', () => {
  it('reports ended sagas with their end-to-end latency percentiles and outcome counts', async () => {
    const t = Date.now() - 1000;
    const latencies = [120, 250, 400];
    for (const [i, e2e] of latencies.entries()) {
      const corr = `order-${randomUUID()}`;
      const placed = randomUUID();
      const completed = randomUUID();
      const res = await h.app.inject({
        method: 'POST',
        url: '/v1/traces',
        headers: { 'content-type': 'application/json' },
        payload: {
          resourceSpans: [
            {
              resource: { attributes: [attr('service.name', 'order')] },
              scopeSpans: [
                {
                  spans: [
                    span(4, 'order.placed', placed, 'order.placed', corr, t + i, t + i + 1),
                    span(4, 'order.completed', completed, 'order.completed', corr, t + i + e2e - 10, t + i + e2e - 9),
                    span(
                      5,
                      'order.completed',
                      completed,
                      'order.completed',
                      corr,
                      // End-to-end latency ends where the terminal event's processing starts.
                      t + i + e2e,
                      t + i + e2e + 5,
                      'orchestrator',
                    ),
                  ],
                },
              ],
            },
          ],
        },
      });
      expect(res.statusCode).toBe(200);
    }
    await h.app.intake.flush();
    const overview = (await h.app.inject('/api/overview?rangeSeconds=300')).json<Overview>();
    expect(overview.rangeSeconds).toBe(300);
    expect(overview.sagaOutcomes.completed).toBe(3);
    expect(overview.latency).toHaveLength(1);
    expect(overview.latency[0]).toMatchObject({ p50Ms: 250, p95Ms: 400, p99Ms: 400 });
  });

  it('lists the worst consumer groups from the last Kafka poll and samples throughput', async () => {
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
    // The group commits offset 0, then 20 records arrive: it lags and nobody consumes.
    await admin.setOffsets({ groupId: group, topic, partitions: [{ partition: 0, offset: '0' }] });
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
