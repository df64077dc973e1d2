export { GROUP_TYPES, KafkaAdapter, chunks, mapLimit, partitionKey } from './adapter.ts';
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
} from './adapter.ts';
export { kafkaPlugin } from './plugin.ts';
