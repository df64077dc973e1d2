/**
 * Kafka APIs that @platformatic/kafka 2.12 does not ship, written with its own protocol
 * building blocks (createAPI, Writer, Reader) from Kafka's message definitions
 * (clients/src/main/resources/common/message/*.json):
 * - ShareGroupDescribe v1 (API 77, KIP-932; v0 was early access in Kafka 4.0 and is gone),
 * - DescribeShareGroupOffsets v0 (API 90, KIP-932: each share-partition's start offset).
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

export interface ShareGroupWire {
  errorCode: number;
  errorMessage: string | null;
  groupId: string;
  groupState: string;
  groupEpoch: number;
  assignmentEpoch: number;
  assignorName: string;
  members: ShareGroupMemberWire[];
}

const readTopicPartitions = (r: Reader): TopicPartitionsWire => ({
  topicId: r.readUUID(),
  topicName: r.readString(),
  partitions: r.readArray((rr) => rr.readInt32(), true, false),
});

const describeRequest = (groupIds: string[], includeAuthorizedOperations: boolean): Writer =>
  Writer.create()
    .appendArray(groupIds, (w, id) => w.appendString(id), true, false)
    .appendBoolean(includeAuthorizedOperations)
    .appendTaggedFields();

/*
ShareGroupDescribe Response (Version: 1) => throttle_time_ms [groups] TAG_BUFFER
  groups => error_code error_message group_id group_state group_epoch assignment_epoch assignor_name [members] authorized_operations TAG_BUFFER
    members => member_id rack_id member_epoch client_id client_host [subscribed_topic_names] assignment TAG_BUFFER
      assignment => [topic_partitions] TAG_BUFFER
        topic_partitions => topic_id topic_name [partitions] TAG_BUFFER
*/
function parseShareGroupDescribe(
  _correlationId: number,
  _apiKey: number,
  _apiVersion: number,
  reader: Reader,
): { groups: ShareGroupWire[] } {
  reader.readInt32(); // throttle_time_ms
  const groups = reader.readArray((r) => {
    const group: ShareGroupWire = {
      errorCode: r.readInt16(),
      errorMessage: r.readNullableString(),
      groupId: r.readString(),
      groupState: r.readString(),
      groupEpoch: r.readInt32(),
      assignmentEpoch: r.readInt32(),
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
    };
    r.readInt32(); // authorized_operations
    return group;
  });
  reader.readTaggedFields();
  return { groups };
}

export const shareGroupDescribeV1 = createAPI<
  [groupIds: string[], includeAuthorizedOperations: boolean],
  { groups: ShareGroupWire[] }
>(77, 1, describeRequest, parseShareGroupDescribe);

export interface ShareOffsetsPartitionWire {
  partitionIndex: number;
  startOffset: bigint;
  leaderEpoch: number;
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
DescribeShareGroupOffsets Request (Version: 0) => [groups] TAG_BUFFER
  groups => group_id [topics] TAG_BUFFER    (topics null: every topic-partition of the group)
DescribeShareGroupOffsets Response (Version: 0) => throttle_time_ms [groups] TAG_BUFFER
  groups => group_id [topics] error_code error_message TAG_BUFFER
    topics => topic_name topic_id [partitions] TAG_BUFFER
      partitions => partition_index start_offset leader_epoch error_code error_message TAG_BUFFER
*/
function parseDescribeShareGroupOffsets(
  _correlationId: number,
  _apiKey: number,
  _apiVersion: number,
  reader: Reader,
): { groups: ShareOffsetsGroupWire[] } {
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
        errorCode: p.readInt16(),
        errorMessage: p.readNullableString(),
      })),
    })),
    errorCode: r.readInt16(),
    errorMessage: r.readNullableString(),
  }));
  reader.readTaggedFields();
  return { groups };
}

export const describeShareGroupOffsetsV0 = createAPI<[groupIds: string[]], { groups: ShareOffsetsGroupWire[] }>(
  90,
  0,
  (groupIds: string[]) =>
    Writer.create()
      .appendArray(groupIds, (w, id) => {
        w.appendString(id).appendArray(null, () => undefined);
      })
      .appendTaggedFields(),
  parseDescribeShareGroupOffsets,
);
