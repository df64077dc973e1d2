/**
 * Streams groups (KIP-1071) with a real Kafka Streams application on the real broker: while it
 * runs, its member (id, epochs, process id, active tasks as the partitions they read) from
 * StreamsGroupDescribe, as Kafka's kafka-streams-groups tool names it; slower than its producer,
 * WARN; held (its stream thread stuck), committed offsets and lag per partition equal to the
 * tool's (which shows offsets of groups with members only), then STALL; stopped, STOP; the
 * `streams` group type in the API and on /metrics. A stateful app in two instances with one
 * standby replica: each member's active, target, standby and warm-up tasks in the API as the
 * tool lists them, and the repartition topic's partitions with the tool's figures.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GroupDetail, GroupList } from '../src/lag/schemas.ts';
import {
  expectFallingBehind,
  fallBehind,
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
import { startStreamsApp, statefulTopics, type StreamsApp } from './kafka-streams-app.ts';
import { streamsToolMembers, streamsToolOffsets, type StreamsToolTasks } from './kafka-tools.ts';

const PREFIX = uniqueName('streams');
const k = useKafka(PREFIX);
let t: TestApp;
const apps: StreamsApp[] = [];

const poll = () => pollOk(t);
const group = (name: string) => snapshotGroup(t, name);
/** Values of the /metrics series of `name` whose labels include `labels` (others, such as the cluster, left free). */
async function series(name: string, labels: Record<string, string>): Promise<number[]> {
  const body = (await t.app.inject('/metrics')).body;
  const wanted = Object.entries(labels).map(([key, value]) => `${key}="${value}"`);
  return body
    .split('\n')
    .filter((l) => l.startsWith(`${name}{`))
    .filter((l) => {
      const labelText = l.slice(name.length, l.lastIndexOf('}') + 1);
      return wanted.every((w) => labelText.includes(`{${w}`) || labelText.includes(`,${w}`));
    })
    .map((l) => Number(l.slice(l.lastIndexOf(' ') + 1)));
}

const partitionsOf = (a: Record<string, number[]> | undefined, topic: string) => a?.[topic] ?? [];

type TopicPartitions = GroupDetail['group']['members'][number]['assignment'];
/** An API member's assignment in topic order (the API keeps the order the broker answered). */
const byTopic = (a: TopicPartitions | null | undefined): TopicPartitions =>
  [...(a ?? [])].sort((x, y) => x.topic.localeCompare(y.topic));
/**
 * The tool's tasks of one kind as the partitions they read: task `<subtopology>_<p>` reads partition p of its
 * subtopology's topics.
 */
const taskTopics = (tasks: StreamsToolTasks | undefined, topicsOf: Map<string, string[]>): TopicPartitions =>
  byTopic(
    [...(tasks ?? [])].flatMap(([subtopology, partitions]) =>
      (topicsOf.get(subtopology) ?? [`unknown subtopology ${subtopology}`]).map((topic) => ({
        topic,
        partitions: [...partitions].sort((a, b) => a - b),
      })),
    ),
  );

/** A new group name and a topic of 3 partitions with 10 records a minute old in each. */
async function topicAndGroup(): Promise<{ topic: string; g: string }> {
  const topic = await k.newTopic(3);
  const now = Date.now();
  const minuteOld = Array.from({ length: 10 }, (_, i) => now - 60_000 + i);
  for (const p of [0, 1, 2]) await produce(k.producer, topic, p, minuteOld);
  return { topic, g: k.newGroup() };
}

beforeAll(async () => {
  t = await k.app(statusRulesConfig(PREFIX));
});

afterAll(() => {
  for (const a of apps) a.kill();
});

describe('streams groups (KIP-1071) on the real broker', () => {
  // A JVM compiling the app from source, a Streams start and the broker's initial streams
  // rebalance delay, Kafka's tool twice (a JVM each), a few status windows of polls: about
  // 40 s on a quiet machine, so more than twice the default timeout for a loaded one.
  it(
    'a Kafka Streams app: member and tasks, then slow (WARN), held and stopped, lag per partition equal to kafka-streams-groups',
    { timeout: 150_000 },
    async () => {
      const { topic, g } = await topicAndGroup();
      const app = await startStreamsApp(g, topic);
      apps.push(app);
      await waitFor(
        'the streams group to show its member with all 3 partitions, caught up',
        async () => {
          await poll();
          const s = t.app.kafkaMonitor.snapshot?.groups.get(g);
          const assigned = partitionsOf(s?.members[0]?.assignment, topic);
          const committed = s?.partitions.filter((p) => p.committedOffset === 10).length;
          return s?.groupType === 'streams' && assigned.length === 3 && committed === 3 ? true : undefined;
        },
        90_000,
      ).catch((err: unknown) => {
        throw new Error(`${String(err)}\nStreams app output: ${app.stdout.join(' | ')}\n${app.stderr}`);
      });
      const seen = group(g);
      const m = seen.members[0];
      expect(seen.members).toHaveLength(1);
      expect(seen.state).toBe('Stable');
      expect(seen.protocolType).toBe('streams');
      expect(seen.groupEpoch).toBeGreaterThan(0);
      expect(seen.assignmentEpoch).toBe(seen.groupEpoch);
      expect(m?.memberEpoch).toBeGreaterThan(0);
      expect(partitionsOf(m?.assignment, topic)).toEqual([0, 1, 2]);
      expect(partitionsOf(m?.targetAssignment, topic)).toEqual([0, 1, 2]);
      // One instance, and the group's streams.num.standby.replicas is 0 by default (a group config
      // under KIP-1071, not the app's): no standby and nothing warming up.
      expect(m?.standbyAssignment).toEqual({});
      expect(m?.warmupAssignment).toEqual({});
      expect(seen.partitions.map((p) => p.owner?.memberId)).toEqual([m?.memberId, m?.memberId, m?.memberId]);
      expect(seen.status).toBe('OK');
      // The member as Kafka's tool names it: id, epoch, the Streams process, its client and its
      // tasks (0_0, 0_1, 0_2: subtopology 0 on each input partition; no standby, no warm-up).
      const tasks = new Map([['0', [0, 1, 2]]]);
      expect(await streamsToolMembers(g)).toEqual([
        {
          memberId: m?.memberId,
          memberEpoch: m?.memberEpoch,
          processId: m?.processId,
          clientId: m?.clientId,
          tasks: new Map([
            ['ACTIVE', tasks],
            ['TARGET-ACTIVE', tasks],
          ]),
        },
      ]);

      const detail = (await t.app.inject(`/api/groups/${encodeURIComponent(g)}`)).json<GroupDetail>();
      expect(detail.group).toMatchObject({ groupType: 'streams', groupEpoch: seen.groupEpoch, status: 'OK' });
      expect(detail.group.members[0]).toMatchObject({
        memberId: m?.memberId,
        memberEpoch: m?.memberEpoch,
        processId: m?.processId,
        assignment: [{ topic, partitions: [0, 1, 2] }],
        targetAssignment: [{ topic, partitions: [0, 1, 2] }],
        standbyAssignment: [],
        warmupAssignment: [],
      });
      const labels = { group: g, group_type: 'streams' };
      expect(await series('eventscope_consumergroup_members', labels)).toEqual([1]);

      // Slow (100 ms per record): behind a producer writing faster, WARN for the group and each partition.
      await app.slow(100);
      await fallBehind(t, k.producer, { group: g, topic, partitions: 3, taken: app.processed }).catch(
        (err: unknown) => {
          throw new Error(`${String(err)}\nStreams app output: ${app.stdout.slice(-5).join(' | ')}\n${app.stderr}`);
        },
      );
      // Held: its stream thread stuck before its next record, its offsets stand still while 20 more
      // records come to each partition: one more poll is still WARN (the window saw the offsets move
      // and the lag never fall), with figures Kafka's tool can compare.
      await app.hold();
      await produceEach(k.producer, topic, 3, 20);
      await poll();
      const held = group(g);
      expect(held.status).toBe('WARN');
      for (const p of held.partitions) expectFallingBehind(p);
      expect(held.members.map((x) => x.memberId)).toEqual([m?.memberId]);
      const figures = (x: typeof held) =>
        x.partitions.map((p) => [p.topic, p.partition, p.committedOffset, p.endOffset, p.lag]);
      const rows = await streamsToolOffsets(g);
      expect(rows.length).toBe(3);
      expect(figures(held)).toEqual(
        rows.map((r) => [r.topic, r.partition, r.currentOffset, r.logEndOffset, r.lag]).sort(),
      );
      expect(await series('eventscope_consumergroup_status', labels)).toEqual([1]);
      expect(await series('eventscope_consumergroup_partition_status', { ...labels, topic })).toEqual([1, 1, 1]);

      // Still held: the member stays and owns its partitions, its offsets stand still over the window: STALL.
      await waitFor('the held group to be STALL', async () => {
        await poll();
        return group(g).status === 'STALL' ? true : undefined;
      });
      const stalled = group(g);
      expect(stalled.members.map((x) => x.memberId)).toEqual([m?.memberId]);
      expect(figures(stalled)).toEqual(figures(held));
      expect(stalled.lagSeconds).toBeGreaterThan(0);
      expect(await series('eventscope_consumergroup_lag_messages', { ...labels, topic })).toEqual([held.lag]);
      expect(await series('eventscope_consumergroup_status', labels)).toEqual([3]);

      // Stopped (released, it commits what it processed on close and leaves): nobody owns the lagging partitions any more.
      await app.stop();
      await waitFor('the stopped streams group to be STOP without members', async () => {
        await poll();
        const s = group(g);
        return s.members.length === 0 && s.status === 'STOP' ? true : undefined;
      });
      const s = group(g);
      expect(s.state).toBe('Empty');
      // The held record and perhaps a few after it were processed before the close.
      s.partitions.forEach((p, i) => {
        expect(p.committedOffset).toBeGreaterThanOrEqual(held.partitions[i]?.committedOffset ?? Infinity);
        expect(p.lag).toBeGreaterThan(0);
      });
      const list = (await t.app.inject('/api/groups')).json<GroupList>();
      expect(list.groups.find((x) => x.group === g)).toMatchObject({
        groupType: 'streams',
        status: 'STOP',
        lag: s.lag,
      });
      expect(await series('eventscope_consumergroup_status', labels)).toEqual([4]);
      expect(await series('eventscope_consumergroup_members', labels)).toEqual([0]);
    },
  );

  // Two instances of a stateful app (records counted by value through a repartition topic) and
  // the group's streams.num.standby.replicas at 1: each counting task active on one instance and
  // standby on the other. Kafka 4.4's broker places no warm-up tasks at all (its assignment
  // refiner, where KIP-1071's warm-ups are to come, hands the target assignment back unchanged),
  // so none can be made to appear: both the collector and the tool are checked to show none.
  // Two JVMs, the streams rebalance delay, the tool twice: about 30 s on a quiet machine.
  it(
    'a stateful app in two instances: active, standby and warm-up tasks per member and the repartition topic, equal to kafka-streams-groups',
    { timeout: 150_000 },
    async () => {
      const { topic, g } = await topicAndGroup();
      const { repartition, changelog } = statefulTopics(g);
      const instances: StreamsApp[] = [];
      for (let i = 0; i < 2; i++) {
        const app = await startStreamsApp(g, topic, { standbyReplicas: 1 });
        apps.push(app);
        instances.push(app);
      }
      const output = () =>
        instances.map((a, i) => `Streams app ${i}: ${a.stdout.slice(-5).join(' | ')}\n${a.stderr}`).join('\n');
      await waitFor(
        'both instances in the group, their tasks reconciled, the input and repartition topics caught up',
        async () => {
          await poll();
          const s = t.app.kafkaMonitor.snapshot?.groups.get(g);
          if (!s || s.state !== 'Stable' || s.members.length !== 2) return undefined;
          const settled = s.members.every(
            (m) =>
              m.memberEpoch === s.assignmentEpoch &&
              JSON.stringify(m.assignment) === JSON.stringify(m.targetAssignment),
          );
          /** Partitions of topic `x` in the members' assignments of one kind, all together. */
          const union = (kind: 'assignment' | 'standbyAssignment', x: string) =>
            JSON.stringify(s.members.flatMap((m) => partitionsOf(m[kind], x)).sort((p, q) => p - q));
          const covered = union('assignment', topic) === '[0,1,2]' && union('assignment', repartition) === '[0,1,2]';
          const standbys = union('standbyAssignment', repartition) === '[0,1,2]';
          const caughtUp = s.partitions.length === 6 && s.lag === 0;
          return settled && covered && standbys && caughtUp ? true : undefined;
        },
        90_000,
      ).catch((err: unknown) => {
        const last = t.app.kafkaMonitor.snapshot?.groups.get(g);
        throw new Error(`${String(err)}\nLast seen: ${JSON.stringify(last?.members)}\n${output()}`);
      });
      k.topics.push(repartition, changelog);

      const detail = (await t.app.inject(`/api/groups/${encodeURIComponent(g)}`)).json<GroupDetail>();
      const members = detail.group.members;
      const tool = await streamsToolMembers(g);
      expect(tool.map((m) => m.memberId).sort()).toEqual(members.map((m) => m.memberId).sort());
      // Kafka Streams numbers subtopologies in topology order: 0 reads the input topic, 1 the
      // repartition topic into the count (the tool's --topology needs a broker plugin). Standby
      // tasks are only of the stateful one, as the tool shows; no warm-up task anywhere.
      const topicsOf = new Map([
        ['0', [topic]],
        ['1', [repartition]],
      ]);
      const subtopologies = (kind: string) =>
        [...new Set(tool.flatMap((m) => [...(m.tasks.get(kind)?.keys() ?? [])]))].sort();
      expect(subtopologies('ACTIVE')).toEqual(['0', '1']);
      expect(subtopologies('STANDBY')).toEqual(['1']);
      expect(subtopologies('WARMUP')).toEqual([]);
      for (const m of members) {
        const seen = tool.find((x) => x.memberId === m.memberId);
        expect({ memberEpoch: m.memberEpoch, processId: m.processId }).toEqual({
          memberEpoch: seen?.memberEpoch,
          processId: seen?.processId,
        });
        expect({
          active: byTopic(m.assignment),
          target: byTopic(m.targetAssignment),
          standby: byTopic(m.standbyAssignment),
          warmup: byTopic(m.warmupAssignment),
        }).toEqual({
          active: taskTopics(seen?.tasks.get('ACTIVE'), topicsOf),
          target: taskTopics(seen?.tasks.get('TARGET-ACTIVE'), topicsOf),
          standby: taskTopics(seen?.tasks.get('STANDBY'), topicsOf),
          warmup: taskTopics(seen?.tasks.get('WARMUP'), topicsOf),
        });
        expect(m.warmupAssignment).toEqual([]);
      }
      // A standby is the copy of a task active on the other instance (never on its own process).
      const [a, b] = members;
      expect(a?.processId).not.toBe(b?.processId);
      const counting = (x: TopicPartitions | null | undefined) =>
        x?.find((y) => y.topic === repartition)?.partitions ?? [];
      expect(counting(a?.standbyAssignment)).toEqual(counting(b?.assignment));
      expect(counting(b?.standbyAssignment)).toEqual(counting(a?.assignment));

      // The repartition topic's partitions among the group's, with the figures the tool shows
      // (both caught up: nothing more is produced).
      const rows = await streamsToolOffsets(g);
      expect(
        detail.group.partitions.map((p) => [p.topic, p.partition, p.committedOffset, p.endOffset, p.lag]).sort(),
      ).toEqual(rows.map((r) => [r.topic, r.partition, r.currentOffset, r.logEndOffset, r.lag]).sort());
      expect(
        rows
          .filter((r) => r.topic === repartition)
          .map((r) => r.partition)
          .sort(),
      ).toEqual([0, 1, 2]);

      await Promise.all(instances.map((x) => x.stop()));
    },
  );
});
