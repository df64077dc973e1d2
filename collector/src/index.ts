/**
 * Public surface of the collector package (`@eventscope/collector`) for the other workspaces:
 * the production app and its parts that the benchmarks and the other packages' tests drive.
 * The dashboard needs only the API's types: `@eventscope/collector/api-types`.
 */
export { buildApp, type App, type BuildOptions } from './app.ts';
export { loadConfig, type Config } from './config.ts';
export { CollectorError } from './errors.ts';
export { COLLECTOR_ENV, COLLECTOR_NODE_FLAGS } from './node-flags.ts';
export { dict } from './lib/safe-map.ts';
export { assemble, compileRules, DEFAULT_RULES } from './flows/index.ts';
export { createOffsetsView, KafkaMonitor, monitorOptions } from './lag/index.ts';
export type { GroupType, KafkaAdapter, KafkaCapabilities } from './kafka/index.ts';
// The client-independent Kafka plans and shapes, shared with the bench's kafkajs adapter (figure 4).
export { chunks, mapLimit, partitionKey, readRecordsByLeader, topicOffsetsByLeader } from './kafka/index.ts';
export type {
  CommittedOffset,
  FetchedPartition,
  FetchedRecord,
  GroupInfo,
  GroupListing,
  KafkaAdapterOptions,
  KafkaRecord,
  ListedOffset,
  PartitionOffsets,
  ReadRequest,
} from './kafka/index.ts';
export {
  SqliteStore,
  ThreadedSqliteStore,
  type EventHops,
  type IngestBatch,
  type UnaccountedEntry,
} from './store/index.ts';
export { createOtlpServer } from './traces/index.ts';
export { encodeProtobufRequest, TRACE_EXPORT_PATH } from './traces/otlp/protobuf.ts';
export { decodeProtobufSpans } from './traces/otlp/protobuf-spans.ts';
