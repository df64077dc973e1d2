import { Kafka, logLevel, type Admin } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireEnv, uniqueName } from './helpers.ts';

const brokers = requireEnv('KAFKA_BROKERS').split(',');
const kafka = new Kafka({ clientId: 'devstack-smoke', brokers, logLevel: logLevel.WARN });

describe(`Kafka broker at ${brokers.join(',')}`, () => {
  let admin: Admin;
  const topic = uniqueName('smoke');

  beforeAll(async () => {
    admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true });
  });

  afterAll(async () => {
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
  });

  it('answers metadata requests for a single-node cluster', async () => {
    const cluster = await admin.describeCluster();
    expect(cluster.brokers).toHaveLength(1);
    expect(cluster.controller).toBe(cluster.brokers[0]?.nodeId);
    const metadata = await admin.fetchTopicMetadata({ topics: [topic] });
    expect(metadata.topics[0]?.partitions).toHaveLength(3);
  });

  it('delivers produced records with keys and headers to a consumer group, in order per key', async () => {
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const sent = Array.from({ length: 30 }, (_, i) => ({
      key: `order-${i % 5}`,
      value: JSON.stringify({ seq: i }),
      headers: { 'event-id': `e-${i}` },
    }));
    await producer.send({ topic, messages: sent });
    await producer.disconnect();

    const groupId = uniqueName('smoke-group');
    const consumer = kafka.consumer({ groupId });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const received: { key: string; seq: number; eventId: string }[] = [];
    const done = new Promise<void>((resolve) => {
      void consumer.run({
        eachMessage: async ({ message }) => {
          received.push({
            key: message.key?.toString() ?? '',
            seq: (JSON.parse(message.value?.toString() ?? '{}') as { seq: number }).seq,
            eventId: message.headers?.['event-id']?.toString() ?? '',
          });
          if (received.length === sent.length) resolve();
          return Promise.resolve();
        },
      });
    });
    await Promise.race([
      done,
      new Promise((_, reject) =>
        setTimeout(() => reject(new Error(`only ${received.length} of 30 records arrived`)), 30_000),
      ),
    ]);
    await consumer.disconnect();

    expect(received).toHaveLength(30);
    expect(new Set(received.map((r) => r.eventId)).size).toBe(30);
    for (const key of new Set(received.map((r) => r.key))) {
      const seqs = received.filter((r) => r.key === key).map((r) => r.seq);
      expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    }
    // The group's committed offsets account for every record.
    const offsets = await admin.fetchOffsets({ groupId, topics: [topic] });
    const committed = offsets[0]?.partitions.reduce((sum, p) => sum + Number(p.offset), 0);
    expect(committed).toBe(30);
    await admin.deleteGroups([groupId]);
  });
});
