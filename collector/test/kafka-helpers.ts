/**
 * Helpers for the Kafka monitor's tests against the real broker: unique names, topics,
 * producing with explicit timestamps, consumer groups that really consume, Kafka's own
 * consumer-groups tool; the app and `waitFor` from harness.ts.
 */
import { randomBytes } from 'node:crypto';
import { Admin as OffsetsAdmin } from '@platformatic/kafka';
import { Kafka, logLevel, type Admin, type Consumer, type Producer } from 'kafkajs';
import { afterAll, beforeAll, expect } from 'vitest';
import type { Config } from '../src/config.ts';
import type { GroupLag, PartitionLag } from '../src/lag/types.ts';
import { removeDir, startApp, tempDir, waitFor, type TestApp } from './harness.ts';

export { removeDir, waitFor, type TestApp } from './harness.ts';

export const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');

export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
}

export const kafka = new Kafka({ clientId: 'eventscope-lag-test', brokers, logLevel: logLevel.NOTHING });

export async function connectAdmin(): Promise<Admin> {
  const admin = kafka.admin();
  await admin.connect();
  return admin;
}

/**
 * Commits offsets for a group with no members, as `kafka-consumer-groups --reset-offsets` does:
 * one OffsetCommit through the Admin API (KIP-396). kafkajs' admin.setOffsets joins the group
 * with a consumer of its own to do it, a few seconds each time. `on`: another cluster's brokers.
 */
export async function commitOffsets(
  groupId: string,
  topic: string,
  partitions: readonly { partition: number; offset: number | string }[],
  on: readonly string[] = brokers,
): Promise<void> {
  const admin = new OffsetsAdmin({ clientId: 'eventscope-test-offsets', bootstrapBrokers: [...on] });
  try {
    await admin.alterConsumerGroupOffsets({
      groupId,
      topics: [
        {
          name: topic,
          partitionOffsets: partitions.map((p) => ({ partition: p.partition, offset: BigInt(p.offset) })),
        },
      ],
    });
  } finally {
    await admin.close();
  }
}

/**
 * Waits until every partition of a new topic has a leader. kafkajs' `waitForLeaders` retries only
 * LEADER_NOT_AVAILABLE, but a KRaft broker answers UNKNOWN_TOPIC_OR_PARTITION until the controller's
 * record of the topic reaches it, which on a busy machine is after kafkajs' first metadata request
 * (seen in CI at a load of ~28: "This server does not host this topic-partition").
 */
export async function waitForLeaders(admin: Admin, topic: string, partitions?: number): Promise<void> {
  await waitFor(
    `leaders for the partitions of ${topic}`,
    async () => {
      const [meta] = (await admin.fetchTopicMetadata({ topics: [topic] })).topics;
      const all = meta?.partitions ?? [];
      const led = all.filter((p) => p.leader >= 0).length;
      // Without a partition count (the broker's default), every partition the broker lists.
      return led > 0 && led === (partitions ?? all.length) ? true : undefined;
    },
    60_000,
  );
}

/** admin.createTopics, then waitForLeaders for each topic (never kafkajs' own `waitForLeaders`). */
export async function createTopicsLed(admin: Admin, options: Parameters<Admin['createTopics']>[0]): Promise<void> {
  await admin.createTopics({ ...options, waitForLeaders: false });
  for (const t of options.topics) await waitForLeaders(admin, t.topic, t.numPartitions);
}

/**
 * App settings for tests of the status rules on a suite's groups (`<prefix>-*`): no lag tolerance,
 * a window of 3 polls, per-partition metrics, and a time budget of an hour, so WARN comes from the
 * rules and not from the budget.
 */
export function statusRulesConfig(prefix: string): Partial<Config> {
  return {
    groupsInclude: `${prefix}-*`,
    lagTolerance: 0,
    statusWindow: 3,
    lagBudgetSeconds: 3600,
    perPartitionMetrics: true,
  };
}

/**
 * Idempotent: kafkajs retries a whole produce request when one of its partitions fails (a new
 * topic's partition whose leader is not ready yet), and without idempotence the partitions that
 * succeeded got their records twice (a DLQ of 3 records counted 5 in CI).
 */
export async function connectProducer(): Promise<Producer> {
  const producer = kafka.producer({ allowAutoTopicCreation: false, idempotent: true });
  await producer.connect();
  return producer;
}

/** Produces `count` records to one partition with explicit timestamps (ms). */
export async function produce(
  producer: Producer,
  topic: string,
  partition: number,
  timestamps: number[],
  headers?: Record<string, string>,
): Promise<void> {
  await producer.send({
    topic,
    messages: timestamps.map((ts, i) => ({
      partition,
      key: `k-${i}`,
      value: JSON.stringify({ i }),
      timestamp: String(ts),
      headers,
    })),
  });
}

/** Total committed offset of a group on a topic (for waiting on a running consumer). */
export async function committedSum(admin: Admin, groupId: string, topic: string): Promise<number> {
  const offsets = await admin.fetchOffsets({ groupId, topics: [topic] });
  return (offsets[0]?.partitions ?? []).reduce((s, p) => s + Math.max(0, Number(p.offset)), 0);
}

export interface RunningConsumer {
  consumer: Consumer;
  consumed: () => number;
  stop: () => Promise<void>;
}

/**
 * A real consumer in `groupId` reading `topic` from the beginning, committing after every
 * record; `delayMs` makes it slow; it stops taking records after `limit`.
 */
export async function startConsumer(
  groupId: string,
  topic: string,
  options: { delayMs?: number; limit?: number; clientId?: string } = {},
): Promise<RunningConsumer> {
  const k = new Kafka({
    clientId: options.clientId ?? 'lag-test-consumer',
    brokers,
    logLevel: logLevel.NOTHING,
  });
  const consumer = k.consumer({ groupId, sessionTimeout: 10_000, heartbeatInterval: 1_000, rebalanceTimeout: 10_000 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let n = 0;
  const limit = options.limit ?? Infinity;
  await consumer.run({
    autoCommitThreshold: 1,
    partitionsConsumedConcurrently: 1,
    eachMessage: async ({ topic: t, partition }) => {
      if (n >= limit) {
        consumer.pause([{ topic: t, partitions: [partition] }]);
        throw new Error('limit reached'); // do not resolve (commit) this record
      }
      if (options.delayMs) await new Promise((r) => setTimeout(r, options.delayMs));
      n++;
    },
  });
  return { consumer, consumed: () => n, stop: async () => consumer.disconnect() };
}

/** Consumes exactly `count` records (committed) in a new member of `groupId`, then leaves the group. */
export async function consumeAndLeave(admin: Admin, groupId: string, topic: string, count: number): Promise<void> {
  const c = await startConsumer(groupId, topic, { limit: count });
  await waitFor(`group ${groupId} to commit ${count} records`, async () =>
    (await committedSum(admin, groupId, topic)) >= count ? true : undefined,
  );
  await c.stop();
}

export { kafkaToolDescribe, type ToolRow } from './kafka-tools.ts';

/** The production app with background work off (tests drive pollOnce()) and its own data dir. */
export function buildTestApp(overrides: Partial<Config> = {}, dataDir?: string): Promise<TestApp> {
  return startApp({
    env: { KAFKA_BROKERS: brokers.join(','), SCHEMA_REGISTRY_URL: process.env.SCHEMA_REGISTRY_URL ?? '' },
    overrides,
    dataDir: dataDir ?? tempDir('lag'),
  });
}

/** One poll of the app's Kafka monitor, which must succeed (its errors in the failure message). */
export async function pollOk(t: TestApp, options?: { recordReads?: boolean }) {
  const result = await t.app.kafkaMonitor.pollOnce(options);
  expect(result.ok, JSON.stringify(result.errors)).toBe(true);
  return result;
}

/** The group's entry in the app's last snapshot; throws when it is not there. */
export function snapshotGroup(t: TestApp, name: string) {
  const g = t.app.kafkaMonitor.snapshot?.groups.get(name);
  if (!g) throw new Error(`group ${name} not in the snapshot`);
  return g;
}

/** `count` records stamped now to each of partitions 0..partitions-1 of `topic`. */
export async function produceEach(producer: Producer, topic: string, partitions: number, count: number): Promise<void> {
  const now = Date.now();
  for (let p = 0; p < partitions; p++) {
    await produce(
      producer,
      topic,
      p,
      Array.from({ length: count }, () => now),
    );
  }
}

/**
 * Drives a live consumer slower than its producer until the collector says WARN (status rule 7:
 * the offset moves, the lag never decreases): before each poll it waits for the consumer to take
 * a record per partition (`taken`: records taken so far), then produces 20 records to each of the
 * topic's partitions. Returns the group once it and each of its partitions are WARN and each
 * partition's offset moved at that poll, so that the window stays WARN through one more poll
 * after more records even if the consumer stops taking records.
 */
export async function fallBehind(
  t: TestApp,
  producer: Producer,
  o: { group: string; topic: string; partitions: number; taken: () => number },
): Promise<GroupLag> {
  const moved = ({ samples: s }: PartitionLag) => s.length >= 2 && (s.at(-1)?.offset ?? 0) > (s.at(-2)?.offset ?? 0);
  let taken = 0;
  return waitFor(
    `group ${o.group} to be WARN`,
    async () => {
      await waitFor(
        `group ${o.group}'s consumer to take a record a partition`,
        () => o.taken() >= taken + o.partitions,
        60_000,
      );
      taken = o.taken();
      await produceEach(producer, o.topic, o.partitions, 20);
      await pollOk(t);
      const g = t.app.kafkaMonitor.snapshot?.groups.get(o.group);
      const slow = g?.partitions.length === o.partitions && g.partitions.every((p) => p.status === 'WARN' && moved(p));
      return g?.status === 'WARN' && slow ? g : undefined;
    },
    120_000,
  );
}

/** Rule 7 (WARN) in the partition's status window, with tolerance 0: its offset moved, its lag never decreased nor reached 0. */
export function expectFallingBehind(p: PartitionLag): void {
  const offsets = p.samples.map((x) => x.offset);
  const lags = p.samples.map((x) => x.lag);
  expect(p.status).toBe('WARN');
  expect(offsets.length).toBeGreaterThanOrEqual(2);
  expect(offsets.at(-1)).toBeGreaterThan(offsets[0] ?? Infinity);
  expect(lags).toEqual(lags.toSorted((a, b) => a - b));
  expect(Math.min(...lags)).toBeGreaterThan(0);
}

export interface KafkaSuite {
  admin: Admin;
  producer: Producer;
  /** Topics and groups the suite made: deleted after it. */
  topics: string[];
  groups: string[];
  /** A new topic `<prefix>-t-<random>` with `partitions` partitions (and topic configs), deleted after the suite. */
  newTopic: (partitions: number, configEntries?: { name: string; value: string }[]) => Promise<string>;
  /** A new group name `<prefix>-g-<random>`, deleted after the suite. */
  newGroup: () => string;
  /** buildTestApp(overrides, dataDir): closed, and its data dir removed, after the suite. */
  app: (overrides?: Partial<Config>, dataDir?: string) => Promise<TestApp>;
}

/**
 * For a suite on the real broker whose names start with `prefix`: an admin and a producer, there
 * from the suite's first hook on; after it, its apps closed and their data dirs, groups and
 * topics deleted.
 */
export function useKafka(prefix: string): KafkaSuite {
  const apps: TestApp[] = [];
  const suite: KafkaSuite = {
    admin: undefined as unknown as Admin,
    producer: undefined as unknown as Producer,
    topics: [],
    groups: [],
    newTopic: async (partitions, configEntries) => {
      const topic = uniqueName(`${prefix}-t`);
      // createTopicsLed: kafkajs's own wait for leaders gives up on UNKNOWN_TOPIC_OR_PARTITION, which a
      // KRaft broker answers for a topic just made (lag.test failed so on a loaded CI machine).
      await createTopicsLed(suite.admin, {
        topics: [{ topic, numPartitions: partitions, ...(configEntries ? { configEntries } : {}) }],
      });
      suite.topics.push(topic);
      return topic;
    },
    newGroup: () => {
      const group = uniqueName(`${prefix}-g`);
      suite.groups.push(group);
      return group;
    },
    app: async (overrides, dataDir) => {
      const t = await buildTestApp(overrides, dataDir);
      apps.push(t);
      return t;
    },
  };
  beforeAll(async () => {
    suite.admin = await connectAdmin();
    suite.producer = await connectProducer();
  });
  afterAll(async () => {
    // Every app first: a later app may have reopened an earlier one's data dir.
    for (const t of apps) await t.close().catch(() => undefined);
    for (const t of apps) removeDir(t.dataDir);
    // DeleteGroups removes groups of every type (a share group's state too).
    if (suite.groups.length > 0) await suite.admin?.deleteGroups(suite.groups).catch(() => undefined);
    if (suite.topics.length > 0) await suite.admin?.deleteTopics({ topics: suite.topics }).catch(() => undefined);
    await suite.producer?.disconnect();
    await suite.admin?.disconnect();
  });
  return suite;
}

export interface BrokerApp extends TestApp {
  admin: Admin;
  producer: Producer;
  /** Topics the suite made: deleted after it. */
  topics: string[];
}

/**
 * For a suite on the real broker: an admin, a producer and buildTestApp(overrides), there from
 * the suite's first hook on; after it, the app closed, its data dir and the `topics` deleted.
 */
export function useBrokerApp(overrides: Partial<Config> = {}): BrokerApp {
  const kafka = useKafka('broker-app');
  const suite = { topics: kafka.topics } as BrokerApp;
  beforeAll(async () => {
    Object.assign(suite, await kafka.app(overrides), { admin: kafka.admin, producer: kafka.producer });
  });
  return suite;
}
