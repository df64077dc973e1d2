/**
 * Every group type Kafka 4 has, with Kafka's own Java clients on the real broker: a
 * consumer-protocol group (KIP-848, `group.protocol=consumer`: invisible to kafkajs) live and
 * then stopped, and a share group (KIP-932) that acknowledged part of a topic and stopped, and their figures per partition equal
 * to Kafka's consumer-groups and share-groups tools on the same broker. The API, /metrics and
 * the status rules carry the group's type.
 */
import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GroupDetail, GroupList } from '../src/lag/schemas.ts';
import {
  kafkaToolDescribe,
  pollOk,
  produce,
  snapshotGroup,
  uniqueName,
  useKafka,
  waitFor,
  type TestApp,
} from './kafka-helpers.ts';
import { kafkaTool, shareToolDescribe } from './kafka-tools.ts';

const PREFIX = uniqueName('gtypes');
const k = useKafka(PREFIX);
const newTopic = k.newTopic;
let t: TestApp;
const children: ChildProcess[] = [];

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
  t = await k.app({ groupsInclude: `${PREFIX}-*`, lagTolerance: 0, statusWindow: 3 });
});

afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
});

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
});
