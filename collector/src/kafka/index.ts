export { KafkaAdapter, chunks, mapLimit, partitionKey } from './adapter.ts';
export type {
  CommittedOffset,
  GroupInfo,
  GroupListing,
  KafkaAdapterOptions,
  KafkaRecord,
  MemberInfo,
  PartitionOffsets,
  ReadRequest,
} from './adapter.ts';
export { kafkaPlugin } from './plugin.ts';
