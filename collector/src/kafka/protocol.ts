/**
 * Kafka APIs that @platformatic/kafka 2.12 does not ship, written with its own protocol
 * building blocks (createAPI, Writer, Reader) from Kafka's message definitions
 * (clients/src/main/resources/common/message/*.json):
 * - ShareGroupDescribe v1 (API 77, KIP-932; v0 was early access in Kafka 4.0 and is gone),
 * - DescribeShareGroupOffsets v0 and v1 (API 90, KIP-932: each share-partition's start offset;
 *   v1 adds its lag as the broker counts it, KIP-1226),
 * - StreamsGroupDescribe v0 (API 89, KIP-1071: a streams group's topology and members' tasks).
 * Each parser reads every field of its version, in order, so a new field in a later version
 * cannot shift the others: a broker answers with the version the request named.
 */
import { createAPI, Writer, type Reader } from '@platformatic/kafka';

export interface TopicPartitionsWire {
  topicId: string;
  topicName: string;
  partitions: number[];
}

export interface ShareGroupMemberWire {
  memberId: string;
  rackId: string | null;
  memberEpoch: number;
  clientId: string;
  clientHost: string;
  subscribedTopicNames: string[];
  assignment: TopicPartitionsWire[];
}

/** What ShareGroupDescribe and StreamsGroupDescribe both answer first for each group. */
interface DescribedGroupWire {
  errorCode: number;
  errorMessage: string | null;
  groupId: string;
  groupState: string;
  groupEpoch: number;
  assignmentEpoch: number;
}

export interface ShareGroupWire extends DescribedGroupWire {
  assignorName: string;
  members: ShareGroupMemberWire[];
}

const readTopicPartitions = (r: Reader): TopicPartitionsWire => ({
  topicId: r.readUUID(),
  topicName: r.readString(),
  partitions: r.readArray((rr) => rr.readInt32(), true, false),
});

/**
 * A group describe API (ShareGroupDescribe, StreamsGroupDescribe): request [group_ids]
 * include_authorized_operations TAG_BUFFER; response throttle_time_ms [groups] TAG_BUFFER, each
 * group read by `readGroup` and followed by authorized_operations.
 */
const groupDescribeAPI = <G>(apiKey: number, apiVersion: number, readGroup: (r: Reader) => G) =>
  createAPI<[groupIds: string[], includeAuthorizedOperations: boolean], { groups: G[] }>(
    apiKey,
    apiVersion,
    (groupIds: string[], includeAuthorizedOperations: boolean) =>
      Writer.create()
        .appendArray(groupIds, (w, id) => w.appendString(id), true, false)
        .appendBoolean(includeAuthorizedOperations)
        .appendTaggedFields(),
    (_correlationId: number, _apiKey: number, _apiVersion: number, reader: Reader) => {
      reader.readInt32(); // throttle_time_ms
      const groups = reader.readArray((r) => {
        const group = readGroup(r);
        r.readInt32(); // authorized_operations
        return group;
      });
      reader.readTaggedFields();
      return { groups };
    },
  );

/** error_code error_message group_id group_state group_epoch assignment_epoch: how both describe answers start a group. */
const readGroupHead = (r: Reader) => ({
  errorCode: r.readInt16(),
  errorMessage: r.readNullableString(),
  groupId: r.readString(),
  groupState: r.readString(),
  groupEpoch: r.readInt32(),
  assignmentEpoch: r.readInt32(),
});

/*
ShareGroupDescribe Response (Version: 1) => throttle_time_ms [groups] TAG_BUFFER
  groups => error_code error_message group_id group_state group_epoch assignment_epoch assignor_name [members] authorized_operations TAG_BUFFER
    members => member_id rack_id member_epoch client_id client_host [subscribed_topic_names] assignment TAG_BUFFER
      assignment => [topic_partitions] TAG_BUFFER
        topic_partitions => topic_id topic_name [partitions] TAG_BUFFER
*/
export const shareGroupDescribeV1 = groupDescribeAPI(77, 1, (r): ShareGroupWire => ({
  ...readGroupHead(r),
  assignorName: r.readString(),
  members: r.readArray((m) => {
    const member: ShareGroupMemberWire = {
      memberId: m.readString(),
      rackId: m.readNullableString(),
      memberEpoch: m.readInt32(),
      clientId: m.readString(),
      clientHost: m.readString(),
      subscribedTopicNames: m.readArray((s) => s.readString(), true, false),
      assignment: m.readArray(readTopicPartitions),
    };
    m.readTaggedFields(); // the Assignment struct's
    return member;
  }),
}));

export interface ShareOffsetsPartitionWire {
  partitionIndex: number;
  startOffset: bigint;
  leaderEpoch: number;
  /** v1 (KIP-1226): records after the start offset not yet acknowledged (-1: unknown); null in v0. */
  lag: bigint | null;
  errorCode: number;
  errorMessage: string | null;
}

export interface ShareOffsetsGroupWire {
  groupId: string;
  topics: { topicName: string; topicId: string; partitions: ShareOffsetsPartitionWire[] }[];
  errorCode: number;
  errorMessage: string | null;
}

/*
DescribeShareGroupOffsets Request (Version: 0, 1) => [groups] TAG_BUFFER
  groups => group_id [topics] TAG_BUFFER    (topics null: every topic-partition of the group)
DescribeShareGroupOffsets Response (Version: 0, 1) => throttle_time_ms [groups] TAG_BUFFER
  groups => group_id [topics] error_code error_message TAG_BUFFER
    topics => topic_name topic_id [partitions] TAG_BUFFER
      partitions => partition_index start_offset leader_epoch lag(v1+) error_code error_message TAG_BUFFER
*/
const describeShareGroupOffsets = (apiVersion: 0 | 1) =>
  createAPI<[groupIds: string[]], { groups: ShareOffsetsGroupWire[] }>(
    90,
    apiVersion,
    (groupIds: string[]) =>
      Writer.create()
        .appendArray(groupIds, (w, id) => {
          w.appendString(id).appendArray(null, () => undefined);
        })
        .appendTaggedFields(),
    (_correlationId: number, _apiKey: number, _apiVersion: number, reader: Reader) => {
      reader.readInt32(); // throttle_time_ms
      const groups = reader.readArray((r) => ({
        groupId: r.readString(),
        topics: r.readArray((t) => ({
          topicName: t.readString(),
          topicId: t.readUUID(),
          partitions: t.readArray((p) => ({
            partitionIndex: p.readInt32(),
            startOffset: p.readInt64(),
            leaderEpoch: p.readInt32(),
            lag: apiVersion >= 1 ? p.readInt64() : null,
            errorCode: p.readInt16(),
            errorMessage: p.readNullableString(),
          })),
        })),
        errorCode: r.readInt16(),
        errorMessage: r.readNullableString(),
      }));
      reader.readTaggedFields();
      return { groups };
    },
  );

export const describeShareGroupOffsetsV0 = describeShareGroupOffsets(0);
export const describeShareGroupOffsetsV1 = describeShareGroupOffsets(1);

/** A streams member's tasks of one subtopology: task `<subtopologyId>_<p>` for each partition p. */
export interface StreamsTaskIdsWire {
  subtopologyId: string;
  partitions: number[];
}

export interface StreamsAssignmentWire {
  activeTasks: StreamsTaskIdsWire[];
  standbyTasks: StreamsTaskIdsWire[];
  warmupTasks: StreamsTaskIdsWire[];
}

export interface StreamsSubtopologyWire {
  subtopologyId: string;
  sourceTopics: string[];
  /** Internal repartition topics the subtopology also reads (names of StreamsGroupDescribe's TopicInfo). */
  repartitionSourceTopics: string[];
}

export interface StreamsGroupMemberWire {
  memberId: string;
  memberEpoch: number;
  instanceId: string | null;
  rackId: string | null;
  clientId: string;
  clientHost: string;
  topologyEpoch: number;
  processId: string;
  assignment: StreamsAssignmentWire;
  targetAssignment: StreamsAssignmentWire;
  isClassic: boolean;
}

export interface StreamsGroupWire extends DescribedGroupWire {
  /** Null while the group's topology is not initialized (or its source topics are missing). */
  subtopologies: StreamsSubtopologyWire[] | null;
  members: StreamsGroupMemberWire[];
}

const readStrings = (r: Reader): string[] => r.readArray((s) => s.readString(), true, false);

/** KeyValue => key value TAG_BUFFER (read and dropped). */
const skipKeyValue = (r: Reader): void => {
  r.readString();
  r.readString();
};

/** TopicInfo => name partitions replication_factor [topic_configs] TAG_BUFFER: the name is kept. */
const readTopicInfoName = (r: Reader): string => {
  const name = r.readString();
  r.readInt32(); // partitions
  r.readInt16(); // replication_factor
  r.readArray(skipKeyValue); // topic_configs
  return name;
};

/** TaskOffset => subtopology_id partition offset TAG_BUFFER (read and dropped). */
const skipTaskOffset = (r: Reader): void => {
  r.readString();
  r.readInt32();
  r.readInt64();
};

/** Assignment => [active_tasks] [standby_tasks] [warmup_tasks] TAG_BUFFER; TaskIds => subtopology_id [partitions] TAG_BUFFER. */
function readStreamsAssignment(r: Reader): StreamsAssignmentWire {
  const tasks = (rr: Reader): StreamsTaskIdsWire[] =>
    rr.readArray((t) => ({
      subtopologyId: t.readString(),
      partitions: t.readArray((p) => p.readInt32(), true, false),
    }));
  const assignment = { activeTasks: tasks(r), standbyTasks: tasks(r), warmupTasks: tasks(r) };
  r.readTaggedFields();
  return assignment;
}

/*
StreamsGroupDescribe Response (Version: 0) => throttle_time_ms [groups] TAG_BUFFER
  groups => error_code error_message group_id group_state group_epoch assignment_epoch topology [members] authorized_operations TAG_BUFFER
    topology (nullable) => epoch [subtopologies] (nullable) TAG_BUFFER
      subtopologies => subtopology_id [source_topics] [repartition_sink_topics] [state_changelog_topics] [repartition_source_topics] TAG_BUFFER
    members => member_id member_epoch instance_id rack_id client_id client_host topology_epoch process_id
               user_endpoint (nullable: host port(uint16) TAG_BUFFER) [client_tags] [task_offsets] [task_end_offsets]
               assignment target_assignment is_classic TAG_BUFFER
Request v0 is ShareGroupDescribe's; v1 adds include_topology_description.
*/
export const streamsGroupDescribeV0 = groupDescribeAPI(89, 0, (r): StreamsGroupWire => {
  const head = readGroupHead(r);
  const topology = r.readNullableStruct(() => {
    r.readInt32(); // epoch
    const subtopologies = r.readNullableArray((s): StreamsSubtopologyWire => {
      const subtopologyId = s.readString();
      const sourceTopics = readStrings(s);
      readStrings(s); // repartition_sink_topics
      s.readArray(readTopicInfoName); // state_changelog_topics
      return { subtopologyId, sourceTopics, repartitionSourceTopics: s.readArray(readTopicInfoName) };
    });
    r.readTaggedFields();
    return subtopologies;
  });
  const members = r.readArray((m): StreamsGroupMemberWire => {
    const ids = {
      memberId: m.readString(),
      memberEpoch: m.readInt32(),
      instanceId: m.readNullableString(),
      rackId: m.readNullableString(),
      clientId: m.readString(),
      clientHost: m.readString(),
      topologyEpoch: m.readInt32(),
      processId: m.readString(),
    };
    m.readNullableStruct(() => {
      m.readString(); // host
      m.readUnsignedInt16(); // port
      m.readTaggedFields();
    }); // user_endpoint
    m.readArray(skipKeyValue); // client_tags
    m.readArray(skipTaskOffset); // task_offsets
    m.readArray(skipTaskOffset); // task_end_offsets
    return {
      ...ids,
      assignment: readStreamsAssignment(m),
      targetAssignment: readStreamsAssignment(m),
      isClassic: m.readBoolean(),
    };
  });
  return { ...head, subtopologies: topology ?? null, members };
});
