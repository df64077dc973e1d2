/**
 * Garbage never stops a demo consumer (eventscope issue #17): the isolated demo on the real
 * broker gets every kind of bad record (no headers, header values that are null, empty,
 * binary, repeated, huge or named `__proto__`/`constructor`/`toString`, null keys, tombstones,
 * empty values, values that are not Avro or name an unknown schema, a record too large to
 * copy to the DLQ whole) on every topic a demo consumer group reads, from kafkajs and from
 * Kafka's Java producer. Each lands in the right `<group>.dlq` with its reason in the dlq-*
 * headers, every group commits past it, orders placed afterwards all complete, and no
 * service process or consumer died on the way.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deletePrefixed, isolatedDemoEnv, startIsolatedDemo, type IsolatedDemoOptions } from '../src/isolated.ts';
import { createKafka, kafkaModule, type KafkaJs } from '../src/lib/kafka.ts';
import type { LoadgenSummary } from '../src/loadgen/run.ts';
import type { RunningDemo } from '../src/run-all.ts';
import { ServiceProcess } from '../src/supervisor.ts';
import { CONSUMER_SERVICES, EVENT_TYPES, naming } from '../src/topics.ts';
import { produceGarbage, produceNullHeaders, readAll, type DlqEntry, type GarbageRecord } from './garbage.ts';
import { BROKERS, REGISTRY_URL, getOrder, placeOrder, uniquePrefix, waitFor } from './helpers.ts';

const prefix = uniquePrefix('hostile');
const names = naming(prefix);
const dataDir = mkdtempSync(path.join(tmpdir(), 'demo-hostile-'));
const lines: string[] = [];
let demo: RunningDemo | undefined;
let kafka: KafkaJs.Kafka;
let admin: KafkaJs.Admin;
/** Topics each consumer group reads, from the group's own member metadata on the broker. */
const subscriptions = new Map<string, Set<string>>();
const pids = new Map<string, number | undefined>();

async function readSubscriptions(): Promise<void> {
  const { AssignerProtocol } = kafkaModule();
  const groups = CONSUMER_SERVICES.map((s) => names.group(s));
  const { groups: described } = await admin.describeGroups(groups);
  for (const g of described) {
    const topics = new Set<string>();
    for (const m of g.members) {
      for (const t of AssignerProtocol.MemberMetadata.decode(m.memberMetadata)?.topics ?? []) topics.add(t);
    }
    if (g.state === 'Stable' && topics.size > 0) subscriptions.set(g.groupId, topics);
  }
}

const demoOptions: IsolatedDemoOptions = {
  prefix,
  dataDir,
  brokers: BROKERS,
  registryUrl: REGISTRY_URL,
  tracing: false,
  withLoadgen: false,
  output: (line) => lines.push(line),
};

beforeAll(async () => {
  demo = await startIsolatedDemo(demoOptions);
  for (const s of demo.services) pids.set(s.name, s.pid);
  kafka = createKafka([BROKERS], `${prefix}hostile-test`);
  admin = kafka.admin();
  await admin.connect();
  // The services print DEMO_READY after their consumers joined; the groups are stable soon after.
  await waitFor('every demo group stable with its subscription', async () => {
    await readSubscriptions();
    return subscriptions.size === CONSUMER_SERVICES.length;
  });
}, 120_000);

afterAll(async () => {
  await demo?.stop();
  await admin?.disconnect();
  await deletePrefixed({ prefix, brokers: BROKERS, registryUrl: REGISTRY_URL });
  rmSync(dataDir, { recursive: true, force: true });
}, 90_000);

describe('garbage on every consumed topic', () => {
  it('dead-letters each record with its reason, commits past it and keeps every saga going', async () => {
    const consumed = new Set<string>([...subscriptions.values()].flatMap((s) => [...s]));
    const types = EVENT_TYPES.filter((t) => consumed.has(names.topic(t)));
    // Every event type is read by some group; this suite must cover all of them.
    expect(types).toEqual([...EVENT_TYPES]);

    // The load generator (a consumer of order.placed, order.completed and order.failed too)
    // places orders before, while and after the garbage arrives.
    const summaryFile = path.join(dataDir, 'loadgen.json');
    const loadgen = new ServiceProcess('loadgen', 'loadgen', {
      env: { ...process.env, ...isolatedDemoEnv(demoOptions), ORDER_URL: `http://127.0.0.1:${demo!.orderPort}` },
      args: ['--count', '30', '--rate', '5', '--duplicate-rate', '0.3', '--quiet', '--json-out', summaryFile],
      output: (line) => lines.push(`[loadgen] ${line}`),
    }).start();
    await waitFor('the load generator to join its group', async () => {
      const ids = (await admin.listGroups()).groups
        .map((g) => g.groupId)
        .filter((g) => g.startsWith(`${prefix}loadgen-`));
      return ids.length > 0 && (await admin.describeGroups(ids)).groups.some((g) => g.state === 'Stable');
    });

    const linesBefore = lines.length;
    const [fromKafkajs, fromJava] = await Promise.all([
      produceGarbage(kafka, names, types, REGISTRY_URL),
      produceNullHeaders(
        BROKERS,
        types.map((t) => names.topic(t)),
        { zstd: true },
      ),
    ]);
    const garbage = [...fromKafkajs, ...fromJava];

    // Normal orders after the garbage: every saga completes.
    const orders = await Promise.all(Array.from({ length: 5 }, () => placeOrder(demo!.orderPort)));
    for (const o of orders) {
      const done = await waitFor(
        `order ${o.orderId} completed after the garbage`,
        async () => {
          const v = await getOrder(demo!.orderPort, o.orderId);
          return v.status !== 'PENDING' ? v : undefined;
        },
        45_000,
      );
      expect(done.status, `order ${o.orderId}: ${done.reason}`).toBe('COMPLETED');
    }

    expect(await loadgen.exit, 'load generator exit code').toBe(0);
    const summary = JSON.parse(readFileSync(summaryFile, 'utf8')) as LoadgenSummary;
    expect(summary).toMatchObject({ placed: 30, completed: 30, pending: 0, httpErrors: 0 });

    // Every garbage record is in the DLQ of every group that reads its topic, with its reason.
    const expected: { group: string; record: GarbageRecord }[] = [];
    for (const record of garbage) {
      for (const [group, topics] of subscriptions) if (topics.has(record.topic)) expected.push({ group, record });
    }
    const dlqs = new Map<string, DlqEntry[]>();
    await waitFor(
      'every garbage record in its DLQs',
      async () => {
        for (const group of subscriptions.keys()) dlqs.set(group, await readAll(kafka, `${group}.dlq`));
        return expected.every(({ group, record }) => find(dlqs.get(group) ?? [], record) !== undefined);
      },
      30_000,
    ).catch((error: unknown) => {
      const missing = expected.filter(({ group, record }) => !find(dlqs.get(group) ?? [], record));
      throw new Error(
        `${String(error)}\nmissing: ${missing.map(({ group, record }) => `${group} <- ${record.label} ${record.topic}@${record.offset}`).join('\n')}`,
      );
    });
    for (const { group, record } of expected) {
      const entry = find(dlqs.get(group)!, record)!;
      const what = `${record.label} on ${record.topic} in ${group}.dlq`;
      expect(entry.text('dlq-consumer-group'), what).toBe(group);
      expect(entry.text('dlq-error-class'), what).toBe('DecodeError');
      expect(entry.text('dlq-error-message'), what).toMatch(record.reason);
      expect(entry.text('dlq-attempts'), what).toBe('1');
      expect(Number.isNaN(Date.parse(entry.text('dlq-last-failure-time') ?? '')), what).toBe(false);
      for (const [name, value] of record.keeps ?? []) {
        expect(entry.headers.get(name)?.[0]?.equals(value), `${what}: header ${name}`).toBe(true);
      }
      // Exactly one set of dlq-* headers, ours.
      expect(entry.headers.get('dlq-original-topic'), what).toHaveLength(1);
    }

    // Every group committed past every record of its topics (nothing is stuck behind garbage).
    for (const [group, topics] of subscriptions) {
      for (const topic of topics) {
        const ends = new Map((await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, Number(p.high)]));
        await waitFor(`${group} committed to the end of ${topic}`, async () => {
          const [entry] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
          // A partition nothing was written to (a group's retry topic here) has no commit to check.
          const caughtUp = (end: number, offset: string): boolean => end === 0 || Number(offset) >= end;
          return (entry?.partitions ?? []).every((p) => caughtUp(ends.get(p.partition) ?? 0, p.offset));
        });
      }
    }

    // No process died or was restarted, and no consumer crashed inside a live process.
    for (const s of demo!.services) {
      expect(s.running, `${s.name} running`).toBe(true);
      expect(s.pid, `${s.name} pid`).toBe(pids.get(s.name));
    }
    expect(lines.slice(linesBefore).filter((l) => /crashed|uncaught|unhandled/i.test(l))).toEqual([]);
    const before = new Map(subscriptions);
    await readSubscriptions();
    expect([...subscriptions.keys()].sort()).toEqual([...before.keys()].sort());
  }, 90_000);
});

function find(entries: DlqEntry[], record: GarbageRecord): DlqEntry | undefined {
  return entries.find(
    (e) =>
      e.text('dlq-original-topic') === record.topic &&
      e.text('dlq-original-partition') === String(record.partition) &&
      e.text('dlq-original-offset') === record.offset,
  );
}
