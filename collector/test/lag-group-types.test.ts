/**
 * Every group type Kafka 4 has, with Kafka's own Java clients on the real broker: a
 * consumer-protocol group (KIP-848, `group.protocol=consumer`: invisible to kafkajs) live and
 * then stopped, and a share group (KIP-932) that acknowledged part of a topic and stopped, and
 * a slow member of each (WARN), their figures per partition equal to Kafka's consumer-groups and
 * share-groups tools on the same broker. The API, /metrics and the status rules carry the group's type.
 */
import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KafkaConnection } from '../src/kafka/connection.ts';
import { describeShareGroupOffsetsV0 } from '../src/kafka/protocol.ts';
import type { GroupDetail, GroupList } from '../src/lag/schemas.ts';
import type { GroupLag } from '../src/lag/types.ts';
import {
  brokers,
  expectFallingBehind,
  fallBehind,
  kafkaToolDescribe,
  pollOk,
  produce,
  produceEach,
  snapshotGroup,
  statusRulesConfig,
  uniqueName,
  useKafka,
  waitFor,
  type TestApp,
} from './kafka-helpers.ts';
import { kafkaTool, shareToolDescribe, startSlowConsumer, type JavaApp } from './kafka-tools.ts';

const PREFIX = uniqueName('gtypes');
const k = useKafka(PREFIX);
const newTopic = k.newTopic;
let t: TestApp;
const children: ChildProcess[] = [];
const apps: JavaApp[] = [];

const poll = () => pollOk(t);
const group = (name: string) => snapshotGroup(t, name);

/** Kafka's Java console consumer, as a user runs it; killed in afterAll if still running. */
function javaConsumer(mainClass: string, args: string[]): Promise<ChildProcess> {
  return kafkaTool(mainClass, args).then((child) => {
    children.push(child);
    return child;
  });
}

const exited = (child: ChildProcess, timeoutMs: number): Promise<number | null> =>
  new Promise((resolve, reject) => {
    if (child.exitCode !== null) return resolve(child.exitCode);
    const timer = setTimeout(() => reject(new Error(`${String(child.spawnargs[3])} did not exit`)), timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });

beforeAll(async () => {
  k.groups.push(`${PREFIX}-kip848`, `${PREFIX}-share`, `${PREFIX}-share-live`);
  t = await k.app(statusRulesConfig(PREFIX));
});

afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  for (const a of apps) a.kill();
});

/**
 * A slow member of a new group of `type` (java/EventscopeSlowConsumer.java: 200 ms per record)
 * on a new topic, driven until the collector says WARN; then held (its offset stands still) while
 * 20 more records come, and polled once more: still WARN (its window saw the offset move and the
 * lag never fall), and its figures stand still for Kafka's tool to compare. The group as seen then.
 */
async function slowThenHeld(type: 'consumer' | 'share'): Promise<GroupLag> {
  const topic = await newTopic(1);
  const g = k.newGroup();
  await produceEach(k.producer, topic, 1, 20);
  const c = await startSlowConsumer(type, g, topic, 200);
  apps.push(c);
  await fallBehind(t, k.producer, { group: g, topic, partitions: 1, taken: c.consumed }).catch((err: unknown) => {
    throw new Error(`${String(err)}\nslow consumer: ${c.stdout.slice(-5).join(' | ')}\n${c.stderr}`);
  });
  await c.hold();
  await produceEach(k.producer, topic, 1, 20);
  await poll();
  const s = group(g);
  expect(s).toMatchObject({ groupType: type, status: 'WARN', state: 'Stable' });
  expect(s.members).toHaveLength(1);
  expect(s.partitions).toHaveLength(1);
  for (const p of s.partitions) expectFallingBehind(p);
  const metrics = (await t.app.inject('/metrics')).body;
  expect(metrics).toContain(`eventscope_consumergroup_status{cluster="default",group="${g}",group_type="${type}"} 1`);
  expect(metrics).toContain(
    `eventscope_consumergroup_partition_status{cluster="default",group="${g}",group_type="${type}",topic="${topic}",partition="0"} 1`,
  );
  const list = (await t.app.inject('/api/groups')).json<GroupList>();
  expect(list.groups.find((x) => x.group === g)).toMatchObject({ groupType: type, status: 'WARN', lag: s.lag });
  return s;
}

describe('every group type on the real broker', () => {
  it('the broker has every group API, and /api/groups says nothing is missing', async () => {
    await poll();
    expect(t.app.kafka.capabilities?.groupTypes).toEqual(['classic', 'consumer', 'share', 'streams']);
    const list = (await t.app.inject('/api/groups')).json<GroupList>();
    expect(list.missingGroupTypes).toEqual([]);
  });

  it('consumer-protocol group (KIP-848): members with epochs and assignments, then stopped with lag equal to the consumer-groups tool', async () => {
    const topic = await newTopic(3);
    const g = `${PREFIX}-kip848`;
    const now = Date.now();
    for (let p = 0; p < 3; p++) {
      await produce(
        k.producer,
        topic,
        p,
        Array.from({ length: 10 }, (_, i) => now - 60_000 + i),
      );
    }
    // A live member: Kafka's console consumer with the consumer protocol.
    const live = await javaConsumer('org.apache.kafka.tools.consumer.ConsoleConsumer', [
      '--topic',
      topic,
      '--group',
      g,
      '--from-beginning',
      '--consumer-property',
      'group.protocol=consumer',
      '--consumer-property',
      'auto.commit.interval.ms=200',
    ]);
    await waitFor(
      'the KIP-848 group to show its member with all 3 partitions, caught up',
      async () => {
        await poll();
        const s = t.app.kafkaMonitor.snapshot?.groups.get(g);
        const assigned = Object.values(s?.members[0]?.assignment ?? {}).flat();
        const committed = s?.partitions.filter((p) => p.committedOffset === 10).length;
        return s?.groupType === 'consumer' && assigned.length === 3 && committed === 3 ? true : undefined;
      },
      60_000,
    );
    const seen = group(g);
    const m = seen.members[0];
    expect(seen.members).toHaveLength(1);
    expect(seen.state).toBe('Stable');
    expect(m?.memberEpoch).toBeGreaterThan(0);
    expect(seen.groupEpoch).toBeGreaterThan(0);
    expect(
      Object.values(m?.targetAssignment ?? {})
        .flat()
        .sort(),
    ).toEqual([0, 1, 2]);
    expect(seen.partitions.map((p) => p.owner?.memberId)).toEqual([m?.memberId, m?.memberId, m?.memberId]);
    const detail = (await t.app.inject(`/api/groups/${encodeURIComponent(g)}`)).json<GroupDetail>();
    expect(detail.group).toMatchObject({ groupType: 'consumer', groupEpoch: seen.groupEpoch, status: 'OK' });
    expect(detail.group.members[0]?.memberEpoch).toBe(m?.memberEpoch);
    expect(detail.group.members[0]?.targetAssignment?.flatMap((a) => a.partitions).sort()).toEqual([0, 1, 2]);

    // Stopped (it commits on close): 30 records committed, then 6 more produced that nobody reads.
    live.kill('SIGTERM');
    await exited(live, 30_000);
    await waitFor('the stopped group to have no members', async () => {
      await poll();
      return group(g).members.length === 0 ? true : undefined;
    });
    for (let p = 0; p < 3; p++) await produce(k.producer, topic, p, [Date.now() - 1000, Date.now()]);
    await poll();
    const s = group(g);
    expect(s.lag).toBe(6);
    expect(s.status).toBe('STOP');
    const rows = (await kafkaToolDescribe(g)).filter((r) => r.currentOffset !== null);
    expect(rows.length).toBe(3);
    expect(s.partitions.map((p) => [p.topic, p.partition, p.committedOffset, p.endOffset, p.lag]).sort()).toEqual(
      rows.map((r) => [r.topic, r.partition, r.currentOffset, r.logEndOffset, r.lag]).sort(),
    );

    const list = (await t.app.inject('/api/groups')).json<GroupList>();
    expect(list.groups.find((x) => x.group === g)).toMatchObject({ groupType: 'consumer', status: 'STOP', lag: 6 });
    const metrics = (await t.app.inject('/metrics')).body;
    expect(metrics).toContain(
      `eventscope_consumergroup_lag_messages{cluster="default",group="${g}",group_type="consumer",topic="${topic}"} 6`,
    );
    expect(metrics).toContain(
      `eventscope_consumergroup_status{cluster="default",group="${g}",group_type="consumer"} 4`,
    );
  });

  it('share group (KIP-932): start offset and lag per partition equal to the share-groups tool', async () => {
    const topic = await newTopic(1);
    const g = `${PREFIX}-share`;
    // A share group starts at the latest offset unless told otherwise (a group config).
    const config = await javaConsumer('org.apache.kafka.tools.ConfigCommand', [
      '--alter',
      '--entity-type',
      'groups',
      '--entity-name',
      g,
      '--add-config',
      'share.auto.offset.reset=earliest',
    ]);
    expect(await exited(config, 60_000)).toBe(0);
    const now = Date.now();
    await produce(
      k.producer,
      topic,
      0,
      Array.from({ length: 20 }, (_, i) => now - 30_000 + i),
    );
    const share = await javaConsumer('org.apache.kafka.tools.consumer.ConsoleShareConsumer', [
      '--topic',
      topic,
      '--group',
      g,
      '--max-messages',
      '8',
    ]);
    expect(await exited(share, 60_000)).toBe(0);

    const tool = await waitFor('the share-groups tool to show the partition', async () => {
      const r = await shareToolDescribe(g);
      return r.length === 1 && r[0]?.startOffset !== null ? r : undefined;
    });
    // STOP once the start offset stood still over the status window with nobody consuming.
    await waitFor('the share group to be STOP', async () => {
      await poll();
      return t.app.kafkaMonitor.snapshot?.groups.get(g)?.status === 'STOP' ? true : undefined;
    });
    const s = group(g);
    expect(s.groupType).toBe('share');
    expect(s.partitions.map((p) => [p.topic, p.partition, p.committedOffset, p.lag]).sort()).toEqual(
      tool.map((r) => [r.topic, r.partition, r.startOffset, r.lag]).sort(),
    );
    // 8 of 20 records acknowledged: the rest is lag, and nobody is consuming.
    expect(s.lag).toBe(12);
    // A broker without KIP-1226 (DescribeShareGroupOffsets v0 only, Kafka 4.1) answers the same
    // start offset and no lag (the collector then counts end - start offset).
    const conn = new KafkaConnection({ brokers, clientId: 'eventscope-test-share-v0' });
    try {
      await conn.connect();
      const answers = await conn.onCoordinators(
        [g],
        async (c, ids) => (await describeShareGroupOffsetsV0.async(c, ids)).groups,
      );
      expect(
        answers.flatMap((a) =>
          a.topics.flatMap((x) =>
            x.partitions.map((p) => [x.topicName, p.partitionIndex, Number(p.startOffset), p.lag]),
          ),
        ),
      ).toEqual([[topic, 0, 8, null]]);
    } finally {
      await conn.close();
    }
    expect(s.members).toEqual([]);
    const metrics = (await t.app.inject('/metrics')).body;
    expect(metrics).toContain(`eventscope_consumergroup_members{cluster="default",group="${g}",group_type="share"} 0`);
  });

  it('share group (KIP-932) with a live member: member epoch and assignment from ShareGroupDescribe', async () => {
    const topic = await newTopic(2);
    const g = `${PREFIX}-share-live`;
    const live = await javaConsumer('org.apache.kafka.tools.consumer.ConsoleShareConsumer', [
      '--topic',
      topic,
      '--group',
      g,
    ]);
    await waitFor(
      'the share group to show its member with both partitions',
      async () => {
        await poll();
        const s = t.app.kafkaMonitor.snapshot?.groups.get(g);
        const assigned = Object.values(s?.members[0]?.assignment ?? {}).flat();
        return s?.groupType === 'share' && assigned.length === 2 ? true : undefined;
      },
      60_000,
    );
    const s = group(g);
    expect(s.state).toBe('Stable');
    expect(s.members).toHaveLength(1);
    expect(s.members[0]?.memberEpoch).toBeGreaterThan(0);
    expect(s.members[0]?.assignment[topic]).toEqual([0, 1]);
    expect(s.groupEpoch).toBeGreaterThan(0);
    live.kill('SIGTERM');
    await exited(live, 30_000);
    await waitFor('the share group without members', async () => {
      await poll();
      return group(g).members.length === 0 ? true : undefined;
    });
  });

  // A JVM compiling the client from source and joining, a few polls 200 ms apart, Kafka's tool (a JVM): about 10 s.
  it(
    'consumer-protocol group (KIP-848), slow: WARN while it falls behind, figures equal to the consumer-groups tool',
    { timeout: 150_000 },
    async () => {
      const s = await slowThenHeld('consumer');
      const rows = (await kafkaToolDescribe(s.group)).filter((r) => r.currentOffset !== null);
      expect(rows.length).toBe(1);
      expect(s.partitions.map((p) => [p.topic, p.partition, p.committedOffset, p.endOffset, p.lag])).toEqual(
        rows.map((r) => [r.topic, r.partition, r.currentOffset, r.logEndOffset, r.lag]),
      );
    },
  );

  // The share group's "offset" is its share-partition start offset (SPSO: the first record not
  // yet acknowledged, or released for good): it moves as the slow member acknowledges, and the lag
  // is the end offset minus it. Kafka's tool reports the broker's lag (KIP-1226: minus records
  // acknowledged beyond the start offset); acknowledged in order, one at a time, there are none,
  // so the two agree.
  it(
    'share group (KIP-932), slow: WARN while it falls behind, start offset and lag equal to the share-groups tool',
    { timeout: 150_000 },
    async () => {
      const s = await slowThenHeld('share');
      const rows = await shareToolDescribe(s.group);
      expect(rows.length).toBe(1);
      expect(s.partitions.map((p) => [p.topic, p.partition, p.committedOffset, p.lag])).toEqual(
        rows.map((r) => [r.topic, r.partition, r.startOffset, r.lag]),
      );
    },
  );
});
