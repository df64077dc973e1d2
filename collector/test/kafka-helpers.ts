/**
 * Helpers for the Kafka monitor's tests against the real broker: unique names, topics,
 * producing with explicit timestamps, consumer groups that really consume, Kafka's own
 * consumer-groups tool; the app and `waitFor` from harness.ts.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { DEFAULT_KAFKA_VERSION, findJava, kafkaClasspath } from '@eventscope/devstack';
import { Kafka, logLevel, type Admin, type Consumer, type Producer } from 'kafkajs';
import { afterAll, beforeAll } from 'vitest';
import type { Config } from '../src/config.ts';
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

export async function connectProducer(): Promise<Producer> {
  const producer = kafka.producer({ allowAutoTopicCreation: false });
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

export interface ToolRow {
  topic: string;
  partition: number;
  currentOffset: number | null;
  logEndOffset: number;
  lag: number | null;
}

const exec = promisify(execFile);

/** Kafka's own ConsumerGroupCommand (from the broker's jars) --describe, parsed. */
export async function kafkaToolDescribe(groupId: string): Promise<ToolRow[]> {
  const jdk = await findJava(17);
  if (!jdk) throw new Error('no Java 17+ for the consumer-groups tool');
  const { stdout } = await exec(
    jdk.java,
    [
      '-cp',
      kafkaClasspath(DEFAULT_KAFKA_VERSION),
      'org.apache.kafka.tools.consumer.group.ConsumerGroupCommand',
      '--bootstrap-server',
      brokers[0] ?? '127.0.0.1:9092',
      '--describe',
      '--group',
      groupId,
    ],
    { timeout: 60_000 },
  );
  const lines = stdout.split('\n').filter((l) => l.trim() !== '');
  const headerIndex = lines.findIndex((l) => l.startsWith('GROUP'));
  if (headerIndex < 0) throw new Error(`unexpected consumer-groups output:\n${stdout}`);
  const header = (lines[headerIndex] ?? '').trim().split(/\s+/);
  const col = (name: string): number => header.indexOf(name);
  const num = (s: string | undefined): number | null => (s === undefined || s === '-' ? null : Number(s));
  return lines.slice(headerIndex + 1).map((line) => {
    const f = line.trim().split(/\s+/);
    return {
      topic: f[col('TOPIC')] ?? '',
      partition: Number(f[col('PARTITION')]),
      currentOffset: num(f[col('CURRENT-OFFSET')]),
      logEndOffset: Number(f[col('LOG-END-OFFSET')]),
      lag: num(f[col('LAG')]),
    };
  });
}

/** The production app with background work off (tests drive pollOnce()) and its own data dir. */
export function buildTestApp(overrides: Partial<Config> = {}, dataDir?: string): Promise<TestApp> {
  return startApp({
    env: { KAFKA_BROKERS: brokers.join(','), SCHEMA_REGISTRY_URL: process.env.SCHEMA_REGISTRY_URL ?? '' },
    overrides,
    dataDir: dataDir ?? tempDir('lag'),
  });
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
  const suite = { topics: [] as string[] } as BrokerApp;
  let started = false;
  beforeAll(async () => {
    suite.admin = await connectAdmin();
    suite.producer = await connectProducer();
    Object.assign(suite, await buildTestApp(overrides));
    started = true;
  });
  afterAll(async () => {
    if (started) {
      await suite.close();
      removeDir(suite.dataDir);
    }
    await suite.admin?.deleteTopics({ topics: suite.topics }).catch(() => undefined);
    await suite.producer?.disconnect();
    await suite.admin?.disconnect();
  });
  return suite;
}
