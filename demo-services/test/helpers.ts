/**
 * Test helpers: every test run gets its own topic prefix (so its topics, groups and registry
 * subjects are its own), its own data directory, and cleans both up. Services run as real
 * child processes against the real broker and registry.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { parseHeaders } from '../src/lib/envelope.ts';
import { createKafka, type KafkaJs } from '../src/lib/kafka.ts';
import { ServiceProcess } from '../src/supervisor.ts';
import { naming, type Naming } from '../src/topics.ts';

export const BROKERS = process.env.KAFKA_BROKERS ?? '127.0.0.1:9092';
export const REGISTRY_URL = process.env.SCHEMA_REGISTRY_URL ?? 'http://127.0.0.1:8081/apis/ccompat/v7';

export interface TestEnv {
  prefix: string;
  names: Naming;
  dataDir: string;
  orderPort: number;
  env: NodeJS.ProcessEnv;
  kafka: KafkaJs.Kafka;
  processes: ServiceProcess[];
  /** Starts one instance of a service (order waits until it listens). */
  start(service: string, opts?: { instance?: string; env?: NodeJS.ProcessEnv }): Promise<ServiceProcess>;
  store(service: string): Database.Database;
  cleanup(): Promise<void>;
}

export function uniquePrefix(label: string): string {
  return `t-${label}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}.`;
}

export async function freePort(): Promise<number> {
  const net = await import('node:net');
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

export async function createTestEnv(label: string, extraEnv: NodeJS.ProcessEnv = {}): Promise<TestEnv> {
  const prefix = uniquePrefix(label);
  const names = naming(prefix);
  const dataDir = mkdtempSync(path.join(tmpdir(), `demo-${label}-`));
  const orderPort = await freePort();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    KAFKA_BROKERS: BROKERS,
    SCHEMA_REGISTRY_URL: REGISTRY_URL,
    DEMO_TOPIC_PREFIX: prefix,
    DEMO_DATA_DIR: dataDir,
    ORDER_HOST: '127.0.0.1',
    ORDER_PORT: String(orderPort),
    ORDER_URL: `http://127.0.0.1:${orderPort}`,
    DEMO_TRACING: 'off',
    DEMO_LOG_LEVEL: 'warn',
    ...extraEnv,
  };
  const kafka = createKafka([BROKERS], `test-${label}`);
  const processes: ServiceProcess[] = [];
  const stores: Database.Database[] = [];
  const output: string[] = [];
  return {
    prefix,
    names,
    dataDir,
    orderPort,
    env,
    kafka,
    processes,
    async start(service, opts = {}) {
      const p = new ServiceProcess(service, opts.instance ?? service, {
        env: { ...env, ...opts.env },
        output: (line) => {
          output.push(`[${opts.instance ?? service}] ${line}`);
          if (process.env.DEMO_TEST_VERBOSE) console.log(`[${opts.instance ?? service}] ${line}`);
        },
      });
      const ready = p.waitForLine(/^DEMO_READY /, 90_000);
      processes.push(p.start());
      await Promise.race([
        ready,
        p.exit.then((code) => {
          throw new Error(`${service} exited during startup (${code}):\n${output.slice(-20).join('\n')}`);
        }),
      ]);
      return p;
    },
    store(service) {
      const db = new Database(path.join(dataDir, `${prefix}${service}.sqlite`), { readonly: true });
      db.pragma('busy_timeout = 5000');
      stores.push(db);
      return db;
    },
    async cleanup() {
      await Promise.all(processes.map((p) => p.stop()));
      for (const db of stores) db.close();
      const admin = kafka.admin();
      await admin.connect();
      try {
        const topics = (await admin.listTopics()).filter((t) => t.startsWith(prefix));
        if (topics.length) await admin.deleteTopics({ topics });
        const groups = (await admin.listGroups()).groups.map((g) => g.groupId).filter((g) => g.startsWith(prefix));
        if (groups.length) await admin.deleteGroups(groups).catch(() => undefined);
      } finally {
        await admin.disconnect();
      }
      await deleteSubjects(prefix);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export async function deleteSubjects(prefix: string): Promise<void> {
  const res = await fetch(`${REGISTRY_URL}/subjects`);
  const subjects = (await res.json()) as string[];
  for (const s of subjects.filter((x) => x.startsWith(prefix))) {
    await fetch(`${REGISTRY_URL}/subjects/${encodeURIComponent(s)}`, { method: 'DELETE' });
    await fetch(`${REGISTRY_URL}/subjects/${encodeURIComponent(s)}?permanent=true`, { method: 'DELETE' });
  }
}

/** Polls `check` until it returns a truthy value or the deadline passes (then fails with `what`). */
export async function waitFor<T>(
  what: string,
  check: () => T | Promise<T>,
  timeoutMs = 30_000,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v) return v;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${last instanceof Error ? `: ${last.message}` : ''}`,
      );
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

export interface PlacedOrder {
  orderId: string;
  eventId: string;
  status: string;
  total: number;
}

export async function placeOrder(
  port: number,
  body: unknown = { customer: 'ann', items: [{ sku: 'sku-1', quantity: 2, price: 10, currency: 'EUR' }] },
): Promise<PlacedOrder> {
  const res = await fetch(`http://127.0.0.1:${port}/orders`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (res.status !== 201) throw new Error(`POST /orders: ${res.status} ${await res.text()}`);
  return (await res.json()) as PlacedOrder;
}

export async function getOrder(
  port: number,
  id: string,
): Promise<{ status: string; compensated: boolean; timedOut: boolean; reason: string | null }> {
  const res = await fetch(`http://127.0.0.1:${port}/orders/${id}`);
  if (!res.ok) throw new Error(`GET /orders/${id}: ${res.status}`);
  return (await res.json()) as { status: string; compensated: boolean; timedOut: boolean; reason: string | null };
}

/** A record as the tests read it back: headers in record order, by name. */
export interface TopicRecord {
  partition: number;
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  /** Every header value in record order, by name. */
  headers: Map<string, (Buffer | null)[]>;
  /** The record timestamp (CreateTime here), ms since the epoch, as kafkajs gives it. */
  timestamp: string;
  /** The first value of header `name` as UTF-8. */
  text(name: string): string | undefined;
}

/**
 * Reads a topic up to its end offsets at the time of the call, with a consumer group of its
 * own (named after the topic, so a run's prefix cleanup removes it too), deleted afterwards.
 * `missing`: partitions whose end was not reached within `timeoutMs`.
 */
export async function readUpToEnd(
  kafka: KafkaJs.Kafka,
  topic: string,
  timeoutMs = 20_000,
): Promise<{ records: TopicRecord[]; missing: number[] }> {
  const admin = kafka.admin();
  await admin.connect();
  const ends = await admin.fetchTopicOffsets(topic).finally(() => admin.disconnect());
  const remaining = new Map(
    ends.filter((e) => Number(e.high) > Number(e.low)).map((e) => [e.partition, Number(e.high)]),
  );
  const records: TopicRecord[] = [];
  if (remaining.size === 0) return { records, missing: [] };
  const groupId = `${topic}.reader-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 100 });
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    let resolveDone: () => void = () => undefined;
    const done = new Promise<void>((r) => (resolveDone = r));
    await consumer.run({
      eachMessage: ({ partition, message }) => {
        const headers = new Map([...parseHeaders(message.headers)].map(([k, v]) => [k, [...v]]));
        records.push({
          partition,
          offset: message.offset,
          key: message.key,
          value: message.value,
          headers,
          timestamp: message.timestamp,
          text: (name) => headers.get(name)?.[0]?.toString('utf8'),
        });
        if (Number(message.offset) + 1 >= (remaining.get(partition) ?? 0)) remaining.delete(partition);
        if (remaining.size === 0) resolveDone();
        return Promise.resolve();
      },
    });
    const timer = setTimeout(resolveDone, timeoutMs);
    await done;
    clearTimeout(timer);
  } finally {
    await consumer.disconnect();
    const cleanup = kafka.admin();
    await cleanup.connect();
    await cleanup.deleteGroups([groupId]).catch(() => undefined);
    await cleanup.disconnect();
  }
  return { records, missing: [...remaining.keys()] };
}

export interface ReadRecord {
  partition: number;
  offset: string;
  key: string | null;
  value: Buffer | null;
  /** The first value of each header as text (a null-prototype object: names are data). */
  headers: Record<string, string>;
  /** The record timestamp (CreateTime here), ms since the epoch, as kafkajs gives it. */
  timestamp: string;
}

/** Reads every record of a topic up to its current end offsets; throws when an end is not reached. */
export async function readTopic(kafka: KafkaJs.Kafka, topic: string, timeoutMs = 20_000): Promise<ReadRecord[]> {
  const { records, missing } = await readUpToEnd(kafka, topic, timeoutMs);
  if (missing.length > 0)
    throw new Error(`readTopic ${topic}: did not reach the end of partitions ${missing.join(',')}`);
  return records.map((r) => {
    const headers = Object.create(null) as Record<string, string>;
    for (const [name, values] of r.headers) {
      const first = values[0];
      if (first) headers[name] = first.toString();
    }
    return {
      partition: r.partition,
      offset: r.offset,
      key: r.key?.toString() ?? null,
      value: r.value,
      headers,
      timestamp: r.timestamp,
    };
  });
}

/** Sum of committed offsets of a group over a topic (for "the partition keeps flowing" checks). */
export async function committedOffsets(
  kafka: KafkaJs.Kafka,
  groupId: string,
  topic: string,
): Promise<Map<number, number>> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const [entry] = await admin.fetchOffsets({ groupId, topics: [topic] });
    return new Map((entry?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]));
  } finally {
    await admin.disconnect();
  }
}

export async function endOffsets(kafka: KafkaJs.Kafka, topic: string): Promise<Map<number, number>> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return new Map((await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, Number(p.high)]));
  } finally {
    await admin.disconnect();
  }
}
