/**
 * The collector's Kafka adapter as it was on kafkajs 2.2.4 (collector/src/kafka/adapter.ts at
 * d024038), kept here only so figure 4 can time one lag cycle with the old client and the new
 * one (@platformatic/kafka) side by side in one run (docs/adr/0003-collector-kafka-client.md).
 * It sees classic groups only: kafkajs has no ConsumerGroupDescribe. Not used by the product.
 */
import { createRequire } from 'node:module';
import { AssignerProtocol, Kafka, logLevel, type Admin, type LogEntry, type logCreator } from 'kafkajs';
import {
  CollectorError,
  dict,
  readRecordsByLeader,
  topicOffsetsByLeader,
  type CommittedOffset,
  type FetchedPartition,
  type FetchedRecord,
  type GroupInfo,
  type GroupListing,
  type GroupType,
  type KafkaAdapterOptions,
  type KafkaCapabilities,
  type KafkaRecord,
  type ListedOffset,
  type PartitionOffsets,
  type ReadRequest,
} from '@eventscope/collector';

interface RawMessage {
  offset: string;
  timestamp: string;
  key: Buffer | null;
  value: Buffer | null;
  headers?: Record<string, Buffer | Buffer[] | string | undefined>;
  isControlRecord?: boolean;
}

interface RawFetchResponse {
  responses: {
    topicName: string;
    partitions: { partition: number; errorCode: number; messages: RawMessage[] }[];
  }[];
}

interface RawListOffsetsResponse {
  responses: { topic: string; partitions: { partition: number; errorCode: number; offset: string }[] }[];
}

interface RawBroker {
  listOffsets(args: {
    replicaId?: number;
    isolationLevel: number;
    topics: { topic: string; partitions: { partition: number; timestamp: number }[] }[];
  }): Promise<RawListOffsetsResponse>;
  fetch(args: {
    replicaId?: number;
    isolationLevel: number;
    maxWaitTime: number;
    minBytes: number;
    maxBytes: number;
    topics: { topic: string; partitions: { partition: number; fetchOffset: string; maxBytes: number }[] }[];
  }): Promise<RawFetchResponse>;
}

/** The part of kafkajs's (internal) Cluster class the record reader uses. */
interface RawCluster {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  isConnected(): boolean;
  metadata(): Promise<{
    topicMetadata: { topic: string; partitionMetadata: { partitionId: number; leader: number | null }[] }[];
  }>;
  findBroker(args: { nodeId: string }): Promise<RawBroker>;
}

const LEVEL_NAMES: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'info',
  [logLevel.DEBUG]: 'debug',
};

// kafkajs's own table of Kafka error codes (not in its typed API): which errors it retries.
const { errorCodes } = createRequire(import.meta.url)('kafkajs/src/protocol/error') as {
  errorCodes: { type: string; message: string; retriable: boolean }[];
};
const RETRIABLE_MESSAGES = new Set(errorCodes.filter((e) => e.retriable).map((e) => e.message));

/**
 * The level a kafkajs log entry is logged at here. kafkajs logs every failed response at error
 * level before retrying it, so a leader change or topics being created and deleted (partitions
 * moving, "This server is not the leader for that topic-partition") floods the log with errors
 * that its retry then absorbs. Those go to debug; a request that still fails after the retries
 * surfaces as a poll error (counted in eventscope_kafka_poll_errors_total and logged by the poller).
 */
export function kafkajsLevel(level: logLevel, extra: Record<string, unknown>): 'error' | 'warn' | 'info' | 'debug' {
  if (level === logLevel.ERROR && typeof extra.error === 'string' && RETRIABLE_MESSAGES.has(extra.error)) {
    return 'debug';
  }
  return LEVEL_NAMES[level] ?? 'info';
}

const toNumber = (s: string | number): number => (typeof s === 'number' ? s : Number(s));

function decodeAssignment(protocolType: string, buffer: Buffer | undefined): Record<string, number[]> {
  if (protocolType !== 'consumer' || !buffer || buffer.length === 0) return {};
  try {
    const decoded = AssignerProtocol.MemberAssignment.decode(buffer);
    return decoded?.assignment ?? {};
  } catch {
    // A client with a custom assignment encoding: members are still reported, without assignment.
    return {};
  }
}

function headersOf(raw: RawMessage['headers']): Record<string, Buffer[]> {
  // Header names are data (`__proto__`, `constructor`): no prototype to collide with.
  const out = dict<Buffer[]>();
  for (const [name, value] of Object.entries(raw ?? {})) {
    if (value === undefined) continue;
    const list: unknown[] = Array.isArray(value) ? value : [value];
    // A header without a value (kcat `-H name`, Java's null) arrives as null: the name stays, with no values.
    out[name] = list.flatMap((v) => (typeof v === 'string' ? [Buffer.from(v)] : Buffer.isBuffer(v) ? [v] : []));
  }
  return out;
}

/** A partition's messages as the shared reader takes them, decoded lazily (it stops after `count`). */
function* recordsOf(messages: readonly RawMessage[]): Generator<FetchedRecord> {
  for (const m of messages) {
    yield {
      offset: toNumber(m.offset),
      timestamp: toNumber(m.timestamp),
      key: m.key,
      value: m.value,
      headers: headersOf(m.headers),
      control: m.isControlRecord === true,
    };
  }
}

export class KafkajsAdapter {
  readonly #kafka: Kafka;
  readonly #admin: Admin;
  #cluster: RawCluster | undefined;
  #leaders = new Map<string, Map<number, string>>();
  #connecting: Promise<void> | undefined;
  #connected = false;
  #closed = false;

  constructor(options: KafkaAdapterOptions) {
    const log = options.log;
    const creator: logCreator = () => (entry: LogEntry) => {
      if (!log) return;
      const { message, timestamp: _t, ...extra } = entry.log;
      log(kafkajsLevel(entry.level, extra), `kafkajs ${entry.namespace}: ${message}`, extra);
    };
    this.#kafka = new Kafka({
      clientId: options.clientId,
      brokers: [...options.brokers],
      logLevel: logLevel.WARN,
      logCreator: creator,
      requestTimeout: options.requestTimeoutMs ?? 10_000,
      connectionTimeout: 3_000,
      retry: { retries: 2, initialRetryTime: 200, maxRetryTime: 2_000 },
    });
    this.#admin = this.#kafka.admin({ retry: { retries: 2, initialRetryTime: 200, maxRetryTime: 2_000 } });
    this.#admin.on(this.#admin.events.DISCONNECT, () => {
      this.#connected = false;
    });
  }

  get connected(): boolean {
    return this.#connected;
  }

  /** kafkajs speaks the classic group protocol's admin APIs only. */
  get capabilities(): KafkaCapabilities {
    return { groupTypes: ['classic'], missing: ['consumer, share and streams groups: kafkajs has no API for them'] };
  }

  groupType(_groupId: string): GroupType {
    return 'classic';
  }

  /** Connects the admin client once; concurrent callers share the attempt; a failure is retried on the next call. */
  async connect(): Promise<void> {
    if (this.#closed) throw new CollectorError('KAFKA_UNAVAILABLE', 'the Kafka client is closed');
    if (this.#connected) return;
    this.#connecting ??= this.#admin.connect().then(
      () => {
        this.#connected = true;
        this.#connecting = undefined;
      },
      (err: unknown) => {
        this.#connecting = undefined;
        throw new CollectorError('KAFKA_UNAVAILABLE', `cannot connect to Kafka: ${(err as Error).message}`, {
          cause: err,
        });
      },
    );
    return this.#connecting;
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.#connecting?.catch(() => undefined);
    await this.#admin.disconnect().catch(() => undefined);
    await this.#cluster?.disconnect().catch(() => undefined);
    this.#connected = false;
  }

  /**
   * Topics and partition leaders, from one Metadata request for all topics. Kept for the
   * cycle's offset and record reads, so kafkajs never holds a list of "target topics" (a
   * deleted topic in that list makes its later metadata refreshes, and listGroups, fail).
   */
  async listTopics(): Promise<string[]> {
    await this.connect();
    const cluster = await this.#recordCluster();
    const { topicMetadata } = await cluster.metadata();
    const leaders = new Map<string, Map<number, string>>();
    for (const t of topicMetadata) {
      leaders.set(
        t.topic,
        new Map(
          t.partitionMetadata
            .filter((p) => p.leader !== null && p.leader >= 0)
            .map((p) => [p.partitionId, String(p.leader)]),
        ),
      );
    }
    this.#leaders = leaders;
    return [...leaders.keys()];
  }

  #leaderOf(topic: string, partition: number): string | undefined {
    return this.#leaders.get(topic)?.get(partition);
  }

  async listGroups(): Promise<GroupListing[]> {
    await this.connect();
    const { groups } = await this.#admin.listGroups();
    return groups.map((g) => ({ groupId: g.groupId, protocolType: g.protocolType, groupType: 'classic' as const }));
  }

  /** One DescribeGroups round for `groupIds` (callers batch). */
  async describeGroups(groupIds: string[]): Promise<GroupInfo[]> {
    await this.connect();
    const { groups } = await this.#admin.describeGroups(groupIds);
    return groups.map((g) => ({
      groupId: g.groupId,
      groupType: 'classic' as const,
      state: g.state,
      protocolType: g.protocolType,
      protocol: g.protocol,
      errorCode: (g as { errorCode?: number }).errorCode ?? 0,
      members: g.members.map((m) => ({
        memberId: m.memberId,
        clientId: m.clientId,
        // Kafka reports the host as "/127.0.0.1".
        host: m.clientHost.replace(/^\//, ''),
        assignment: decodeAssignment(g.protocolType, m.memberAssignment),
      })),
    }));
  }

  /** The group's committed offsets on every topic it committed to; partitions without a commit are left out. */
  async committedOffsets(groupId: string): Promise<CommittedOffset[]> {
    await this.connect();
    const topics = await this.#admin.fetchOffsets({ groupId });
    const out: CommittedOffset[] = [];
    for (const t of topics) {
      for (const p of t.partitions) {
        const offset = toNumber(p.offset);
        if (offset >= 0) out.push({ topic: t.topic, partition: p.partition, offset });
      }
    }
    return out;
  }

  /**
   * Log start and end offsets (high watermark, as Kafka's consumer-groups tool reports) of
   * every partition of `topics` (leaders from the last listTopics): one ListOffsets request
   * per leader and chunk for the end offsets and one for the start offsets. A chunk that fails
   * is retried topic by topic, so one bad topic is skipped (its entry is the Error) without
   * failing the others.
   */
  async topicOffsets(topics: readonly string[], concurrency = 4): Promise<Map<string, PartitionOffsets[] | Error>> {
    await this.connect();
    const cluster = await this.#recordCluster();
    return topicOffsetsByLeader(topics, this.#leaders, concurrency, async (nodeId, spec, which) => {
      const broker = await cluster.findBroker({ nodeId });
      // -1: latest (end), -2: earliest (start). READ_UNCOMMITTED: the high watermark.
      const timestamp = which === 'end' ? -1 : -2;
      const res = await broker.listOffsets({
        replicaId: -1,
        isolationLevel: 0,
        topics: spec.map(({ topic, partitions }) => ({
          topic,
          partitions: partitions.map((partition) => ({ partition, timestamp })),
        })),
      });
      return res.responses.flatMap((t) =>
        t.partitions.map((p): ListedOffset => ({ topic: t.topic, partition: p.partition, offset: toNumber(p.offset) })),
      );
    });
  }

  /**
   * Bounded reads: for each request, the first record at or after `offset` (none when the
   * partition's first batch there is larger than `maxBytesPerPartition`, or the read fails).
   * One Fetch request per leader broker and chunk of partitions; never waits for new data.
   * `count` > 1 returns up to that many records per request (used for DLQ tails). A request the
   * broker answered with only control records maps to [], one it answered with nothing is absent.
   */
  async readRecords(
    requests: readonly ReadRequest[],
    options: { maxBytesPerPartition: number; count?: number },
  ): Promise<Map<string, KafkaRecord[]>> {
    if (requests.length === 0) return new Map();
    const cluster = await this.#recordCluster();
    return readRecordsByLeader(
      requests,
      options,
      (topic, partition) => this.#leaderOf(topic, partition),
      async (nodeId, chunk, maxBytesPerPartition) => {
        const broker = await cluster.findBroker({ nodeId });
        const byTopic = new Map<string, { partition: number; fetchOffset: string; maxBytes: number }[]>();
        for (const r of chunk) {
          const parts = byTopic.get(r.topic) ?? [];
          parts.push({ partition: r.partition, fetchOffset: String(r.offset), maxBytes: maxBytesPerPartition });
          byTopic.set(r.topic, parts);
        }
        const res = await broker.fetch({
          replicaId: -1,
          isolationLevel: 0, // read uncommitted: the oldest record a consumer has not passed, committed or not
          maxWaitTime: 0,
          minBytes: 1,
          maxBytes: maxBytesPerPartition * chunk.length,
          topics: [...byTopic].map(([topic, partitions]) => ({ topic, partitions })),
        });
        return res.responses.flatMap((t) =>
          t.partitions.map((p): FetchedPartition => ({
            topic: t.topicName,
            partition: p.partition,
            errorCode: p.errorCode,
            records: recordsOf(p.messages),
          })),
        );
      },
    );
  }

  /**
   * kafkajs's admin client cannot fetch records and its consumer needs a group; its own
   * Cluster class (built with the same brokers, client id and logger through the Kafka
   * instance's factory) can send a plain Fetch. kafkajs 2.2.4 is pinned; the lag tests fail
   * if this stops working, and callers fall back to the interpolation table.
   */
  async #recordCluster(): Promise<RawCluster> {
    if (this.#closed) throw new CollectorError('KAFKA_UNAVAILABLE', 'the Kafka client is closed');
    if (!this.#cluster) {
      const factorySymbol = Object.getOwnPropertySymbols(this.#kafka).find(
        (s) => s.description === 'private:Kafka:createCluster',
      );
      const factory = factorySymbol ? (this.#kafka as unknown as Record<symbol, unknown>)[factorySymbol] : undefined;
      if (typeof factory !== 'function') {
        throw new CollectorError(
          'KAFKA_UNAVAILABLE',
          'this kafkajs version offers no cluster factory for record reads',
        );
      }
      this.#cluster = (factory as (o: object) => RawCluster)({ allowAutoTopicCreation: false });
    }
    if (!this.#cluster.isConnected()) await this.#cluster.connect();
    return this.#cluster;
  }
}
