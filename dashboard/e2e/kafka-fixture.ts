/**
 * Kafka data of the test's own (random names, cleaned up afterwards): a topic with 50 records
 * and a consumer group committed at offset 10 (40 behind, no members), and a DLQ topic with a
 * poison record carrying the dlq-* headers of docs/event-contract.md.
 * kafkajs comes from the workspace root (the collector's dependency).
 */
import { randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';

export interface KafkaFixture {
  topic: string;
  group: string;
  dlqTopic: string;
  poisonEventId: string;
  cleanup(): Promise<void>;
}

/**
 * A topic and its group's DLQ (`<prefix>-<random>`, `…-group.dlq`), one partition each, created
 * on the test broker; the admin client stays connected for the caller's cleanup.
 */
export async function createTopicAndDlq(prefix: string) {
  const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
  const kafka = new Kafka({ clientId: 'eventscope-dashboard-e2e', brokers, logLevel: logLevel.NOTHING });
  const suffix = randomUUID().slice(0, 8);
  const topic = `${prefix}-${suffix}`;
  const group = `${prefix}-${suffix}-group`;
  const dlqTopic = `${group}.dlq`;
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({
    topics: [
      { topic, numPartitions: 1 },
      { topic: dlqTopic, numPartitions: 1 },
    ],
  });
  // Not kafkajs's waitForLeaders: its metadata wait gives up on the UNKNOWN_TOPIC_OR_PARTITION
  // ("does not host this topic-partition") a busy broker answers for a moment after the create.
  // Instead, wait until both topics answer a ListOffsets.
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      await Promise.all([topic, dlqTopic].map((t) => admin.fetchTopicOffsets(t)));
      break;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  return { kafka, admin, topic, group, dlqTopic };
}

export async function createKafkaFixture(): Promise<KafkaFixture> {
  const { kafka, admin, topic, group, dlqTopic } = await createTopicAndDlq('es-dash');
  const poisonEventId = randomUUID();
  const producer = kafka.producer({ idempotent: true }); // a retry adds no copies
  await producer.connect();
  await producer.send({
    topic,
    messages: Array.from({ length: 50 }, (_, i) => ({ key: `order-${i}`, value: JSON.stringify({ n: i }) })),
  });
  await producer.send({
    topic: dlqTopic,
    messages: [
      {
        key: 'order-7',
        value: JSON.stringify({ orderId: 'order-7', amountCents: 1999 }),
        headers: {
          'event-id': poisonEventId,
          'event-type': 'order.placed',
          'correlation-id': 'order-7',
          'dlq-original-topic': topic,
          'dlq-original-partition': '0',
          'dlq-original-offset': '7',
          'dlq-consumer-group': group,
          'dlq-error-class': 'PoisonRecordError',
          'dlq-error-message': 'injected poison record for the dashboard browser test',
          'dlq-attempts': '3',
          'dlq-first-failure-time': new Date(Date.now() - 2000).toISOString(),
          'dlq-last-failure-time': new Date().toISOString(),
        },
      },
    ],
  });
  await producer.disconnect();
  // A group with committed offsets and no members: Kafka reports it, 40 records behind.
  await admin.setOffsets({ groupId: group, topic, partitions: [{ partition: 0, offset: '10' }] });
  return {
    topic,
    group,
    dlqTopic,
    poisonEventId,
    async cleanup() {
      await admin.deleteGroups([group]).catch(() => undefined);
      await admin.deleteTopics({ topics: [topic, dlqTopic] }).catch(() => undefined);
      await admin.disconnect();
    },
  };
}
