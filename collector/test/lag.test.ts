/**
 * The Kafka monitor against the real broker: lag scenarios (stopped, slow, caught-up,
 * empty, rewound) checked against Kafka's own consumer-groups tool and the status rules,
 * time lag against record timestamps the test produced, rebalances, and the HTTP and
 * metrics outputs. The poller is driven with pollOnce().
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { GroupDetail, GroupList, TopicList } from '../src/lag/schemas.ts';
import {
  commitOffsets,
  committedSum,
  connectAdmin,
  connectProducer,
  consumeAndLeave,
  kafkaToolDescribe,
  pollOk,
  produce,
  snapshotGroup,
  startConsumer,
  uniqueName,
  useKafka,
  waitFor,
  type TestApp,
} from './kafka-helpers.ts';

const PREFIX = uniqueName('lagtest');
const k = useKafka(PREFIX);
const newTopic = k.newTopic;
const newGroup = k.newGroup;
let t: TestApp;

const poll = (options?: { recordReads?: boolean }) => pollOk(t, options);
const group = (name: string) => snapshotGroup(t, name);

/** Our per-partition figures equal Kafka's consumer-groups tool's. */
async function expectMatchesKafkaTool(groupId: string): Promise<void> {
  const rows = (await kafkaToolDescribe(groupId)).filter((r) => r.currentOffset !== null);
  const ours = group(groupId).partitions;
  expect(rows.length).toBeGreaterThan(0);
  expect(ours.map((p) => [p.topic, p.partition, p.committedOffset, p.endOffset, p.lag]).sort()).toEqual(
    rows.map((r) => [r.topic, r.partition, r.currentOffset, r.logEndOffset, r.lag]).sort(),
  );
}

beforeAll(async () => {
  t = await k.app({
    groupsInclude: `${PREFIX}-*`,
    groupsExclude: 'eventscope-*',
    lagTolerance: 2,
    statusWindow: 4,
  });
});

describe('Kafka monitor scenarios (real broker)', () => {
  it('caught-up group: lag 0, OK, figures equal the consumer-groups tool', async () => {
    const topic = await newTopic(2);
    const g = newGroup();
    const now = Date.now();
    await produce(k.producer, topic, 0, [now - 5000, now - 4000, now - 3000]);
    await produce(k.producer, topic, 1, [now - 5000, now - 4000]);
    await consumeAndLeave(k.admin, g, topic, 5);
    await poll();
    await poll();
    const s = group(g);
    expect(s.lag).toBe(0);
    expect(s.lagSeconds).toBe(0);
    expect(s.status).toBe('OK');
    expect(s.partitions.map((p) => p.lagSecondsSource)).toEqual(['caught-up', 'caught-up']);
    await expectMatchesKafkaTool(g);
  });

  it('stopped group: STOP, lag growing, time lag = age of the oldest unconsumed record', async () => {
    const topic = await newTopic(2);
    const g = newGroup();
    const now = Date.now();
    await produce(k.producer, topic, 0, [now - 600_000, now - 590_000]);
    await produce(k.producer, topic, 1, [now - 600_000]);
    await consumeAndLeave(k.admin, g, topic, 3);
    // Records the group will not consume: the oldest is 300 s old on partition 0, 200 s on 1.
    await produce(k.producer, topic, 0, [now - 300_000, now - 250_000, now - 100_000, now - 50_000]);
    await produce(k.producer, topic, 1, [now - 200_000, now - 10_000]);
    await poll();
    expect(group(g).lag).toBe(6);
    await produce(k.producer, topic, 1, [Date.now(), Date.now()]);
    await poll();
    const s = group(g);
    expect(s.lag).toBe(8); // growing while nobody consumes
    expect(s.members).toHaveLength(0);
    expect(s.state).toBe('Empty');
    expect(s.partitions.map((p) => p.status)).toEqual(['STOP', 'STOP']);
    expect(s.status).toBe('STOP');
    const p0 = s.partitions.find((p) => p.partition === 0);
    const p1 = s.partitions.find((p) => p.partition === 1);
    const age = (ts: number) => (Date.now() - ts) / 1000;
    expect(p0?.lagSecondsSource).toBe('record');
    expect(p0?.lagSeconds).toBeGreaterThan(age(now - 300_000) - 3);
    expect(p0?.lagSeconds).toBeLessThanOrEqual(age(now - 300_000));
    expect(p1?.lagSeconds).toBeGreaterThan(age(now - 200_000) - 3);
    expect(p1?.lagSeconds).toBeLessThanOrEqual(age(now - 200_000));
    expect(s.lagSeconds).toBe(p0?.lagSeconds);
    expect(s.lagSecondsIsLowerBound).toBe(false);
    expect(s.timeToCatchUpSeconds).toBeNull(); // nobody consumes: never
    await expectMatchesKafkaTool(g);
  });

  it('empty group (offsets committed, never a member): still reported with its lag', async () => {
    const topic = await newTopic(1);
    const g = newGroup();
    const now = Date.now();
    await produce(k.producer, topic, 0, [now - 3000, now - 2000, now - 1000, now - 500, now - 100]);
    await commitOffsets(g, topic, [{ partition: 0, offset: 2 }]);
    await poll();
    const s = group(g);
    expect(s.members).toEqual([]);
    expect(s.lag).toBe(3);
    expect(s.partitions[0]?.committedOffset).toBe(2);
    await expectMatchesKafkaTool(g);
  });

  it('rewound group: REWIND after an offset reset from a caught-up position', async () => {
    const topic = await newTopic(1);
    const g = newGroup();
    const now = Date.now();
    await produce(
      k.producer,
      topic,
      0,
      Array.from({ length: 8 }, (_, i) => now - 10_000 + i),
    );
    await consumeAndLeave(k.admin, g, topic, 8);
    await poll();
    expect(group(g).status).toBe('OK');
    // A reset to the earliest offset, as `kafka-consumer-groups --reset-offsets --to-earliest` does.
    await commitOffsets(g, topic, [{ partition: 0, offset: 0 }]);
    await poll();
    const s = group(g);
    expect(s.lag).toBe(8);
    expect(s.status).toBe('REWIND');
    expect(s.partitions[0]?.samples.map((x) => x.offset)).toEqual([8, 0]);
    await expectMatchesKafkaTool(g);
  });

  it('slow group: WARN while a live consumer falls behind; consume rate measured', async () => {
    const topic = await newTopic(1);
    const g = newGroup();
    await produce(
      k.producer,
      topic,
      0,
      Array.from({ length: 30 }, () => Date.now()),
    );
    const c = await startConsumer(g, topic, { delayMs: 100 });
    try {
      let previous = -1;
      for (let step = 0; step < 4; step++) {
        // Wait for progress, then produce more than it can consume before the next poll.
        await waitFor('the slow consumer to commit progress', async () => {
          const sum = await committedSum(k.admin, g, topic);
          return sum > Math.max(previous, 0) ? sum : undefined;
        });
        previous = await committedSum(k.admin, g, topic);
        await produce(
          k.producer,
          topic,
          0,
          Array.from({ length: 40 }, () => Date.now()),
        );
        await poll();
      }
      const s = group(g);
      expect(s.members).toHaveLength(1);
      expect(s.partitions[0]?.owner?.clientId).toBe('lag-test-consumer');
      const samples = s.partitions[0]?.samples ?? [];
      expect(samples).toHaveLength(4);
      expect(s.status).toBe('WARN');
      expect(s.consumeRate).toBeGreaterThan(0);
      expect(s.topics[0]?.produceRate).toBeGreaterThan(s.consumeRate ?? Infinity);
      expect(s.timeToCatchUpSeconds).toBeNull();
    } finally {
      await c.stop();
    }
  });

  it('rebalance: a second member joining is recorded with the new member set and assignment', async () => {
    const topic = await newTopic(2);
    const g = newGroup();
    const a = await startConsumer(g, topic, { clientId: 'member-a' });
    let b: Awaited<ReturnType<typeof startConsumer>> | undefined;
    try {
      await waitFor('member a to be stable', async () => {
        const d = (await k.admin.describeGroups([g])).groups[0];
        return d?.state === 'Stable' && d.members.length === 1;
      });
      await poll();
      expect(group(g).members).toHaveLength(1);
      const before = t.app.kafkaMonitor.rebalanceCount(g);
      b = await startConsumer(g, topic, { clientId: 'member-b' });
      await waitFor('both members to be stable', async () => {
        const d = (await k.admin.describeGroups([g])).groups[0];
        return d?.state === 'Stable' && d.members.length === 2;
      });
      await poll();
      const s = group(g);
      expect(s.members.map((m) => m.clientId).sort()).toEqual(['member-a', 'member-b']);
      expect(s.members.every((m) => m.host.length > 0)).toBe(true);
      const assigned = s.members.flatMap((m) => m.assignment[topic] ?? []).sort();
      expect(assigned).toEqual([0, 1]);
      expect(t.app.kafkaMonitor.rebalanceCount(g)).toBe(before + 1);
      expect(s.lastRebalance).toMatchObject({ membersBefore: 1, membersAfter: 2 });
      expect(s.lastRebalance?.endedAt).toBeGreaterThanOrEqual(s.lastRebalance?.startedAt ?? Infinity);
    } finally {
      await b?.stop();
      await a.stop();
    }
  });

  it('regression: a deleted topic does not break later polls (kafkajs kept it as a metadata target)', async () => {
    const topic = await newTopic(1);
    const g = newGroup();
    // Its own clients: the shared ones would keep the deleted topic as a metadata target too.
    const own = await connectAdmin();
    const ownProducer = await connectProducer();
    try {
      await produce(ownProducer, topic, 0, [Date.now()]);
      await commitOffsets(g, topic, [{ partition: 0, offset: 0 }]);
      await poll();
      expect(t.app.kafkaMonitor.snapshot?.topics.has(topic)).toBe(true);
      await own.deleteTopics({ topics: [topic] });
      await waitFor('the topic to be gone', async () => !(await own.listTopics()).includes(topic));
    } finally {
      await ownProducer.disconnect();
      await own.disconnect();
    }
    const result = await poll();
    expect(result.errors).toEqual({});
    expect(t.app.kafkaMonitor.snapshot?.topics.has(topic)).toBe(false);
    // The group is still listed; its commits on the deleted topic are not lag.
    expect(group(g).partitions).toEqual([]);
  });

  it('serves groups, group detail, topics, /metrics and app.offsets from the snapshot', async () => {
    const topic = await newTopic(1);
    const g = newGroup();
    const now = Date.now();
    await produce(k.producer, topic, 0, [now - 60_000, now - 30_000, now - 1000]);
    await commitOffsets(g, topic, [{ partition: 0, offset: 1 }]);
    await poll();

    const list = await t.app.inject('/api/groups');
    expect(list.statusCode).toBe(200);
    const body = list.json<GroupList>();
    const entry = body.groups.find((x) => x.group === g);
    expect(entry).toMatchObject({ group: g, lag: 2, memberCount: 0, status: expect.any(String) as unknown });
    expect(entry?.lagSeconds).toBeGreaterThan(29);

    const detail = await t.app.inject(`/api/groups/${encodeURIComponent(g)}`);
    expect(detail.statusCode).toBe(200);
    const d = detail.json<GroupDetail>();
    expect(d.group.partitions[0]).toMatchObject({ topic, partition: 0, committedOffset: 1, endOffset: 3, lag: 2 });
    expect(d.group.history.total.length).toBeGreaterThan(0);
    expect(d.group.history.topics[topic]?.at(-1)?.lag).toBe(2);

    const missing = await t.app.inject('/api/groups/no-such-group-here');
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toMatchObject({ error: 'NOT_FOUND' });
    const badStatus = await t.app.inject('/api/groups?status=MAYBE');
    expect(badStatus.statusCode).toBe(400);

    const topicsRes = (await t.app.inject('/api/topics')).json<TopicList>();
    const ti = topicsRes.topics.find((x) => x.topic === topic);
    expect(ti).toMatchObject({ partitions: 1, records: 3, endOffsetSum: 3, isDlq: false, consumerGroups: [g] });

    const metrics = (await t.app.inject('/metrics')).body;
    expect(metrics).toContain(
      `eventscope_consumergroup_lag_messages{cluster="default",group="${g}",group_type="classic",topic="${topic}"} 2`,
    );
    expect(metrics).toMatch(
      new RegExp(`eventscope_consumergroup_members\\{cluster="default",group="${g}",group_type="classic"\\} 0`),
    );
    expect(metrics).toContain('eventscope_kafka_poll_success{cluster="default"} 1');
    expect(metrics).toMatch(/eventscope_kafka_poll_duration_seconds_count\{cluster="default"\} \d+/);

    expect(t.app.offsets.committedOffset(g, topic, 0)).toBe(1);
    expect(t.app.offsets.endOffset(topic, 0)).toBe(3);
    expect(t.app.offsets.startOffset(topic, 0)).toBe(0);
    expect(t.app.offsets.groupsForTopic(topic)).toEqual([g]);
    expect(t.app.offsets.snapshotTime()).toBe(t.app.kafkaMonitor.snapshot?.time);
  });
});
