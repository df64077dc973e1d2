/**
 * The only code of the collector that talks to Kafka for monitoring: a thin, typed adapter
 * over one @platformatic/kafka admin client (its connection pool, API version negotiation
 * and group/offset calls) plus the raw protocol calls it has no method for (bounded Fetch
 * reads, ListOffsets per leader, ConsumerGroupDescribe; share- and streams-group APIs in ./protocol.ts).
 * Wire values (bigint offsets, Buffers, wire structs) become numbers and plain objects here,
 * once. Services (lag/, dlq/) call it from the background poll; outputs never do.
 *
 * The rooms behind it: ./connection.ts (the client, capabilities, metadata, coordinators),
 * ./groups.ts (each group type read with the API made for it), ./offsets.ts (log start and end
 * offsets), ./records.ts (bounded reads), ./types.ts (the shapes). What the broker lacks (no
 * share groups before Kafka 4.1) is in `capabilities`, not an error.
 */
import { pushTo } from './batching.ts';
import { KafkaConnection } from './connection.ts';
import {
  asGroupType,
  committedOffsets,
  describeClassicGroups,
  describeConsumerGroups,
  describeShareGroups,
  describeStreamsGroups,
  shareOffsets,
} from './groups.ts';
import { listOffsetsOn, topicOffsetsByLeader } from './offsets.ts';
import { fetchOn, readRecordsByLeader } from './records.ts';
import type {
  CommittedOffset,
  GroupInfo,
  GroupListing,
  GroupType,
  KafkaAdapterOptions,
  KafkaCapabilities,
  KafkaRecord,
  PartitionOffsets,
  ReadRequest,
} from './types.ts';

export class KafkaAdapter {
  readonly #kafka: KafkaConnection;
  #groupTypes = new Map<string, GroupType>();

  constructor(options: KafkaAdapterOptions) {
    this.#kafka = new KafkaConnection(options);
  }

  get connected(): boolean {
    return this.#kafka.connected;
  }

  /** Why the last connection attempt failed, for /readyz; undefined once connected. */
  get problem(): string | undefined {
    return this.#kafka.problem;
  }

  /** Group types the broker can describe, once connected (undefined before the first connection). */
  get capabilities(): KafkaCapabilities | undefined {
    return this.#kafka.capabilities;
  }

  /**
   * Connects (an ApiVersions round trip to a bootstrap broker) once; concurrent callers share
   * the attempt; a failure is retried on the next call. Learns which group APIs the broker has.
   */
  async connect(): Promise<void> {
    return this.#kafka.connect();
  }

  async close(): Promise<void> {
    return this.#kafka.close();
  }

  /**
   * Topics and partition leaders, from one Metadata request for all topics. Kept for the
   * cycle's offset and record reads.
   */
  async listTopics(): Promise<string[]> {
    return this.#kafka.listTopics();
  }

  /** Every group of every type the broker has (ListGroups to every broker). */
  async listGroups(): Promise<GroupListing[]> {
    await this.connect();
    // Name every type the broker has: with no type filter, Kafka lists classic groups only.
    const types = this.capabilities?.groupTypes ?? ['classic'];
    const groups = await this.#kafka.call(() => this.#kafka.admin.listGroups({ types: [...types] }));
    const out: GroupListing[] = [];
    const byId = new Map<string, GroupType>();
    for (const g of groups.values()) {
      const groupType = asGroupType(g.groupType, g.protocolType);
      byId.set(g.id, groupType);
      out.push({ groupId: g.id, protocolType: g.protocolType, groupType });
    }
    this.#groupTypes = byId;
    return out;
  }

  /** The group's type from the last listGroups (classic when unknown). */
  groupType(groupId: string): GroupType {
    return this.#groupTypes.get(groupId) ?? 'classic';
  }

  /** One describe round for `groupIds` (callers batch), each group with the API of its type. */
  async describeGroups(groupIds: string[]): Promise<GroupInfo[]> {
    await this.connect();
    const byType = new Map<GroupType, string[]>();
    for (const id of groupIds) pushTo(byType, this.groupType(id), id);
    const out: GroupInfo[] = [];
    for (const [type, ids] of byType) {
      if (type === 'consumer') out.push(...(await describeConsumerGroups(this.#kafka, ids)));
      else if (type === 'share') out.push(...(await describeShareGroups(this.#kafka, ids)));
      else if (type === 'streams') out.push(...(await describeStreamsGroups(this.#kafka, ids)));
      else out.push(...(await describeClassicGroups(this.#kafka, ids)));
    }
    return out;
  }

  /**
   * The group's committed offsets on every topic it committed to; partitions without a commit
   * are left out. For a share group: each share-partition's start offset (what Kafka's
   * share-groups tool shows as START-OFFSET), from DescribeShareGroupOffsets.
   */
  async committedOffsets(groupId: string): Promise<CommittedOffset[]> {
    await this.connect();
    return this.groupType(groupId) === 'share'
      ? shareOffsets(this.#kafka, groupId)
      : committedOffsets(this.#kafka, groupId);
  }

  /**
   * Log start and end offsets (high watermark) of every partition of `topics` (leaders from the
   * last listTopics); a topic whose offsets cannot be read maps to the Error.
   */
  async topicOffsets(topics: readonly string[], concurrency = 4): Promise<Map<string, PartitionOffsets[] | Error>> {
    await this.connect();
    return topicOffsetsByLeader(topics, this.#kafka.leaders, concurrency, listOffsetsOn(this.#kafka));
  }

  /**
   * Bounded reads (leaders from the last listTopics): for each request, the first record at or
   * after `offset`, or up to `count` records; keyed by `partitionKey`. See `readRecordsByLeader`.
   */
  async readRecords(
    requests: readonly ReadRequest[],
    options: { maxBytesPerPartition: number; count?: number },
  ): Promise<Map<string, KafkaRecord[]>> {
    if (requests.length === 0) return new Map();
    await this.connect();
    const leaders = this.#kafka.leaders;
    return readRecordsByLeader(
      requests,
      options,
      (topic, partition) => leaders.get(topic)?.get(partition),
      fetchOn(this.#kafka),
    );
  }
}
