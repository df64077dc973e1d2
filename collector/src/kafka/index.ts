export { KafkaAdapter } from './adapter.ts';
export { chunks, mapLimit, partitionKey } from './batching.ts';
export { GROUP_TYPES } from './types.ts';
export { topicOffsetsByLeader, type ListedOffset, type ListOffsets, type TopicPartitions } from './offsets.ts';
export { readRecordsByLeader, type FetchChunk, type FetchedPartition, type FetchedRecord } from './records.ts';
export type {
  CommittedOffset,
  GroupInfo,
  GroupListing,
  GroupType,
  KafkaCapabilities,
  KafkaAdapterOptions,
  KafkaRecord,
  MemberInfo,
  PartitionOffsets,
  ReadRequest,
} from './types.ts';
export { kafkaPlugin } from './plugin.ts';
export type { KafkaCluster } from './plugin.ts';
export { CLUSTER_NAME_PATTERN, type ClusterSpec } from './cluster-config.ts';
