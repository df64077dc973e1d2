/**
 * Groups, each type read with the API made for it: classic groups with DescribeGroups +
 * OffsetFetch, consumer-protocol groups (KIP-848) with ConsumerGroupDescribe + OffsetFetch,
 * share groups (KIP-932) with ShareGroupDescribe + DescribeShareGroupOffsets, streams groups
 * (KIP-1071) with StreamsGroupDescribe + OffsetFetch. Requests go to each group's coordinator
 * through `KafkaConnection.onCoordinators`.
 */
import {
  consumerGroupDescribeV0,
  decodeConsumerProtocolAssignment,
  describeGroupsV5,
  offsetFetchV9,
} from '@platformatic/kafka';
import { CollectorError } from '../errors.ts';
import { dict } from '../lib/safe-map.ts';
import { orPartial, type KafkaConnection } from './connection.ts';
import {
  describeShareGroupOffsetsV0,
  describeShareGroupOffsetsV1,
  shareGroupDescribeV1,
  streamsGroupDescribeV0,
  type StreamsGroupWire,
  type StreamsTaskIdsWire,
} from './protocol.ts';
import type { CommittedOffset, GroupInfo, GroupType, MemberInfo } from './types.ts';

const GROUP_ID_NOT_FOUND = 69;

export const asGroupType = (s: string | undefined, protocolType: string): GroupType => {
  if (s === 'classic' || s === 'consumer' || s === 'share' || s === 'streams') return s;
  // Brokers before ListGroups v5 (Kafka < 3.8) know classic groups only.
  return protocolType === 'share' ? 'share' : 'classic';
};

function assignmentOf(topics: readonly { topicName: string; partitions: number[] }[]): Record<string, number[]> {
  // Topic names are data: no prototype to collide with.
  const out = dict<number[]>();
  for (const t of topics) out[t.topicName] = [...(out[t.topicName] ?? []), ...t.partitions].sort((a, b) => a - b);
  return out;
}

function decodeAssignment(protocolType: string, buffer: Buffer | undefined): Record<string, number[]> {
  if (protocolType !== 'consumer' || !buffer || buffer.length === 0) return {};
  try {
    const decoded = decodeConsumerProtocolAssignment(buffer);
    return assignmentOf(decoded.assignedPartitions.map((a) => ({ topicName: a.topic, partitions: a.partitions })));
  } catch {
    // A client with a custom assignment encoding: members are still reported, without assignment.
    return {};
  }
}

// Kafka reports a member's host as "/127.0.0.1".
const hostOf = (clientHost: string): string => clientHost.replace(/^\//, '');

export async function describeClassicGroups(kafka: KafkaConnection, groupIds: string[]): Promise<GroupInfo[]> {
  return kafka.onCoordinators(groupIds, async (conn, groups) => {
    const res = await orPartial(describeGroupsV5.api.async(conn, groups, false));
    return res.groups.map((g): GroupInfo => ({
      groupId: g.groupId,
      groupType: 'classic',
      state: g.groupState,
      protocolType: g.protocolType,
      protocol: g.protocolData,
      errorCode: g.errorCode,
      members: g.members.map((m) => ({
        memberId: m.memberId,
        clientId: m.clientId,
        host: hostOf(m.clientHost),
        assignment: decodeAssignment(g.protocolType, m.memberAssignment),
      })),
    }));
  });
}

/** The fields KIP-848 consumer groups, KIP-932 share groups and KIP-1071 streams groups answer alike. */
interface EpochGroup {
  groupId: string;
  errorCode: number;
  groupState: string;
  /** Absent for streams groups (StreamsGroupDescribe v0 does not name it). */
  assignorName?: string;
  groupEpoch: number;
  assignmentEpoch: number;
  members: { memberId: string; clientId: string; clientHost: string; memberEpoch: number }[];
}

/** A KIP-848 / KIP-932 / KIP-1071 group's describe answer; `assignments` picks each member's assignments (and what only its type has). */
function epochGroupInfo<G extends EpochGroup>(
  g: G,
  groupType: Exclude<GroupType, 'classic'>,
  assignments: (
    m: G['members'][number],
  ) => Pick<MemberInfo, 'assignment' | 'targetAssignment' | 'processId' | 'standbyAssignment' | 'warmupAssignment'>,
): GroupInfo {
  return {
    groupId: g.groupId,
    groupType,
    // A group deleted between list and describe is "Dead", as DescribeGroups says.
    state: g.errorCode === GROUP_ID_NOT_FOUND ? 'Dead' : g.groupState,
    protocolType: groupType,
    protocol: g.assignorName ?? '',
    errorCode: g.errorCode,
    groupEpoch: g.groupEpoch,
    assignmentEpoch: g.assignmentEpoch,
    members: g.members.map((m) => ({
      memberId: m.memberId,
      clientId: m.clientId,
      host: hostOf(m.clientHost),
      memberEpoch: m.memberEpoch,
      ...assignments(m),
    })),
  };
}

export async function describeConsumerGroups(kafka: KafkaConnection, groupIds: string[]): Promise<GroupInfo[]> {
  return kafka.onCoordinators(groupIds, async (conn, groups) => {
    const res = await orPartial(consumerGroupDescribeV0.api.async(conn, groups, false));
    return res.groups.map((g) =>
      epochGroupInfo(g, 'consumer', (m) => ({
        assignment: assignmentOf(m.assignment.topicPartitions),
        targetAssignment: assignmentOf(m.targetAssignment.topicPartitions),
      })),
    );
  });
}

export async function describeShareGroups(kafka: KafkaConnection, groupIds: string[]): Promise<GroupInfo[]> {
  return kafka.onCoordinators(groupIds, async (conn, groups) => {
    const res = await shareGroupDescribeV1.async(conn, groups, false);
    return res.groups.map((g) => epochGroupInfo(g, 'share', (m) => ({ assignment: assignmentOf(m.assignment) })));
  });
}

/**
 * A streams group's tasks as topic partitions: task `<subtopology>_<p>` works on partition p of
 * each topic its subtopology reads (source topics and internal repartition topics). Without a
 * topology (not initialized yet) no task maps to a topic.
 */
function taskPartitions(subtopologies: StreamsGroupWire['subtopologies']) {
  const topicsOf = new Map<string, string[]>();
  for (const s of subtopologies ?? []) topicsOf.set(s.subtopologyId, [...s.sourceTopics, ...s.repartitionSourceTopics]);
  return (tasks: readonly StreamsTaskIdsWire[]): Record<string, number[]> =>
    assignmentOf(
      tasks.flatMap((t) =>
        (topicsOf.get(t.subtopologyId) ?? []).map((topicName) => ({ topicName, partitions: t.partitions })),
      ),
    );
}

export async function describeStreamsGroups(kafka: KafkaConnection, groupIds: string[]): Promise<GroupInfo[]> {
  return kafka.onCoordinators(groupIds, async (conn, groups) => {
    const res = await streamsGroupDescribeV0.async(conn, groups, false);
    return res.groups.map((g) => {
      const partitionsOf = taskPartitions(g.subtopologies);
      return epochGroupInfo(g, 'streams', (m) => ({
        assignment: partitionsOf(m.assignment.activeTasks),
        targetAssignment: partitionsOf(m.targetAssignment.activeTasks),
        processId: m.processId,
        standbyAssignment: partitionsOf(m.assignment.standbyTasks),
        warmupAssignment: partitionsOf(m.assignment.warmupTasks),
      }));
    });
  });
}

/** The one answer of a single-group request, or a KAFKA_UNAVAILABLE error naming what failed. */
function onlyAnswer<T>(res: T | undefined, what: string, groupId: string): T {
  if (!res) throw new CollectorError('KAFKA_UNAVAILABLE', `no coordinator found for ${what} ${groupId}`);
  return res;
}

/**
 * The group's committed offsets on every topic it committed to; partitions without a commit
 * are left out.
 */
export async function committedOffsets(kafka: KafkaConnection, groupId: string): Promise<CommittedOffset[]> {
  const [answer] = await kafka.onCoordinators([groupId], async (conn, groups) => {
    const r = await orPartial(
      offsetFetchV9.api.async(
        conn,
        groups.map((g) => ({ groupId: g, memberId: null, memberEpoch: -1, topics: null })),
        false,
      ),
    );
    return r.groups;
  });
  const res = onlyAnswer(answer, 'group', groupId);
  if (res.errorCode !== 0) {
    throw new CollectorError(
      'KAFKA_UNAVAILABLE',
      `OffsetFetch for ${groupId} failed with Kafka error ${res.errorCode}`,
    );
  }
  const out: CommittedOffset[] = [];
  for (const t of res.topics) {
    for (const p of t.partitions) {
      const offset = Number(p.committedOffset);
      if (p.errorCode === 0 && offset >= 0) out.push({ topic: t.name, partition: p.partitionIndex, offset });
    }
  }
  return out;
}

/**
 * A share group's offsets: each share-partition's start offset (what Kafka's share-groups tool
 * shows as START-OFFSET), from DescribeShareGroupOffsets; on a broker that counts it (v1,
 * KIP-1226), its lag too, which Kafka's tool shows as LAG.
 */
export async function shareOffsets(kafka: KafkaConnection, groupId: string): Promise<CommittedOffset[]> {
  const api = kafka.shareGroupLag ? describeShareGroupOffsetsV1 : describeShareGroupOffsetsV0;
  const [answer] = await kafka.onCoordinators(
    [groupId],
    async (conn, groups) => (await api.async(conn, groups)).groups,
  );
  const res = onlyAnswer(answer, 'share group', groupId);
  if (res.errorCode !== 0) {
    throw new CollectorError(
      'KAFKA_UNAVAILABLE',
      `DescribeShareGroupOffsets for ${groupId} failed with Kafka error ${res.errorCode}${res.errorMessage ? `: ${res.errorMessage}` : ''}`,
    );
  }
  const out: CommittedOffset[] = [];
  for (const t of res.topics) {
    for (const p of t.partitions) {
      const offset = Number(p.startOffset);
      // -1: the share-partition has no state yet (nothing fetched by the group).
      if (p.errorCode !== 0 || offset < 0) continue;
      // -1 (or v0): the broker did not count it.
      const lag = p.lag === null ? -1 : Number(p.lag);
      out.push({ topic: t.topicName, partition: p.partitionIndex, offset, ...(lag >= 0 ? { lag } : {}) });
    }
  }
  return out;
}
