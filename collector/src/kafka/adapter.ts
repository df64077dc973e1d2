/**
 * The only code of the collector that talks to Kafka for monitoring: a thin, typed adapter
 * over one @platformatic/kafka admin client (its connection pool, API version negotiation
 * and group/offset calls) plus the raw protocol calls it has no method for (bounded Fetch
 * reads, ListOffsets per leader, ConsumerGroupDescribe, share-group APIs in ./protocol.ts).
 * Wire values (bigint offsets, Buffers, wire structs) become numbers and plain objects here,
 * once. Services (lag/, dlq/) call it from the background poll; outputs never do.
 *
 * Every group type Kafka has is read with the API made for it: classic groups with
 * DescribeGroups + OffsetFetch, consumer-protocol groups (KIP-848) with ConsumerGroupDescribe
 * + OffsetFetch, share groups (KIP-932) with ShareGroupDescribe + DescribeShareGroupOffsets,
 * streams groups (KIP-1071) with OffsetFetch (their state and type come from ListGroups).
 * What the broker lacks (no share groups before Kafka 4.1) is in `capabilities`, not an error.
 */
import {
  Admin,
  consumerGroupDescribeV0,
  decodeConsumerProtocolAssignment,
  describeGroupsV5,
  fetchV12,
  findCoordinatorV6,
  listOffsetsV9,
  metadataV12,
  offsetFetchV9,
  type Connection,
  type RecordsBatch,
} from '@platformatic/kafka';
import { CollectorError } from '../errors.ts';
import { dict } from '../lib/safe-map.ts';
import { describeShareGroupOffsetsV0, shareGroupDescribeV1 } from './protocol.ts';

export interface KafkaAdapterOptions {
  brokers: readonly string[];
  clientId: string;
  /** Receives the adapter's own log lines (capabilities, connection changes). */
  log?: (level: 'error' | 'warn' | 'info' | 'debug', message: string, extra: Record<string, unknown>) => void;
  /** Per-request timeout, ms. */
  requestTimeoutMs?: number;
}

/**
 * The kind of group, as Kafka's ListGroups (v5+) names it: `classic` (the JoinGroup/SyncGroup
 * protocol, every consumer before KIP-848 and Connect), `consumer` (KIP-848's consumer
 * protocol), `share` (KIP-932 share groups), `streams` (KIP-1071).
 */
export type GroupType = 'classic' | 'consumer' | 'share' | 'streams';
export const GROUP_TYPES: readonly GroupType[] = ['classic', 'consumer', 'share', 'streams'];

export interface GroupListing {
  groupId: string;
  protocolType: string;
  groupType: GroupType;
}

/** What the connected broker can be asked: group types whose describe and offsets APIs it has. */
export interface KafkaCapabilities {
  groupTypes: GroupType[];
  /** A plain sentence per group type the broker lacks, e.g. "share groups: the broker has no ShareGroupDescribe API". */
  missing: string[];
}

export interface MemberInfo {
  memberId: string;
  clientId: string;
  host: string;
  /** topic -> partitions (current assignment); empty when the group's protocol is not the consumer protocol. */
  assignment: Record<string, number[]>;
  /** KIP-848 / KIP-932 members: the member epoch. */
  memberEpoch?: number;
  /** KIP-848 members: the assignment the coordinator wants the member to reach. */
  targetAssignment?: Record<string, number[]>;
}

export interface GroupInfo {
  groupId: string;
  /** Absent for a group the cycle could not describe. */
  groupType?: GroupType;
  state: string;
  protocolType: string;
  protocol: string;
  members: MemberInfo[];
  /** Broker error code for this group (0 = none). */
  errorCode: number;
  /** KIP-848 / KIP-932 groups: the group epoch and the epoch of its target assignment. */
  groupEpoch?: number;
  assignmentEpoch?: number;
}

export interface CommittedOffset {
  topic: string;
  partition: number;
  /** The committed offset; for a share group, the share-partition start offset (SPSO). */
  offset: number;
}

export interface PartitionOffsets {
  partition: number;
  /** Log start offset (earliest retained). */
  start: number;
  /** Log end offset (high watermark). */
  end: number;
}

export interface ReadRequest {
  topic: string;
  partition: number;
  offset: number;
}

export interface KafkaRecord {
  topic: string;
  partition: number;
  offset: number;
  /** Record timestamp, ms since epoch. */
  timestamp: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, Buffer[]>;
}

interface BrokerAddress {
  host: string;
  port: number;
}

// Kafka API keys of the group APIs whose presence decides what the monitor can read.
const API = {
  ConsumerGroupDescribe: 69,
  ShareGroupDescribe: 77,
  StreamsGroupDescribe: 89,
  DescribeShareGroupOffsets: 90,
} as const;

// Kafka error codes the adapter acts on.
const NOT_COORDINATOR = 16;
const COORDINATOR_NOT_AVAILABLE = 15;
const COORDINATOR_LOAD_IN_PROGRESS = 14;
const GROUP_ID_NOT_FOUND = 69;
const COORDINATOR_ERRORS = new Set([NOT_COORDINATOR, COORDINATOR_NOT_AVAILABLE, COORDINATOR_LOAD_IN_PROGRESS]);

// Record batch attributes (Kafka's DefaultRecordBatch).
const TIMESTAMP_TYPE_LOG_APPEND = 1 << 3;
const IS_CONTROL_BATCH = 1 << 5;

const asGroupType = (s: string | undefined, protocolType: string): GroupType => {
  if (s === 'classic' || s === 'consumer' || s === 'share' || s === 'streams') return s;
  // Brokers before ListGroups v5 (Kafka < 3.8) know classic groups only.
  return protocolType === 'share' ? 'share' : 'classic';
};

/** Splits `items` into chunks of `size`. */
export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Runs `fn` over `items` with at most `limit` in flight; results in input order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

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

function headersOf(raw: readonly [Buffer | null, Buffer | null][]): Record<string, Buffer[]> {
  // Header names are data (`__proto__`, `constructor`): no prototype to collide with.
  const out = dict<Buffer[]>();
  for (const [name, value] of raw) {
    if (name === null) continue;
    const key = name.toString('utf8');
    const list = out[key] ?? [];
    // A header without a value (kcat `-H name`, Java's null) arrives as null: the name stays, with no values.
    if (value !== null) list.push(value);
    out[key] = list;
  }
  return out;
}

/** The partial response a ResponseError carries (partitions that did answer), if any. */
function partialResponse<T>(err: unknown): T | undefined {
  const response = (err as { response?: unknown } | null)?.response;
  return response && typeof response === 'object' ? (response as T) : undefined;
}

/** A response with per-group or per-partition errors still carries what did answer: take that, rethrow the rest. */
async function orPartial<T>(request: Promise<T>): Promise<T> {
  try {
    return await request;
  } catch (err) {
    const partial = partialResponse<T>(err);
    if (partial !== undefined) return partial;
    throw err;
  }
}

const errorText = (err: unknown): string => {
  if (err instanceof AggregateError && err.errors.length > 0) {
    return `${err.message}: ${err.errors.map((e: unknown) => (e instanceof Error ? e.message : String(e))).join('; ')}`;
  }
  return err instanceof Error ? err.message : String(err);
};

export class KafkaAdapter {
  readonly #admin: Admin;
  readonly #log: KafkaAdapterOptions['log'];
  #brokers = new Map<number, BrokerAddress>();
  #leaders = new Map<string, Map<number, number>>();
  #coordinators = new Map<string, number>();
  #groupTypes = new Map<string, GroupType>();
  readonly #bootstrapBrokers: BrokerAddress[];
  #listedStates = new Map<string, string>();
  #capabilities: KafkaCapabilities | undefined;
  #connecting: Promise<void> | undefined;
  #connected = false;
  #closed = false;

  constructor(options: KafkaAdapterOptions) {
    this.#log = options.log;
    this.#bootstrapBrokers = options.brokers.map((b) => {
      const i = b.lastIndexOf(':');
      return { host: b.slice(0, i).replace(/^\[|\]$/g, ''), port: Number(b.slice(i + 1)) };
    });
    this.#admin = new Admin({
      clientId: options.clientId,
      bootstrapBrokers: [...options.brokers],
      timeout: options.requestTimeoutMs ?? 10_000,
      requestTimeout: options.requestTimeoutMs ?? 10_000,
      connectTimeout: 3_000,
      retries: 2,
      retryDelay: 200,
      // Never create a topic by asking about it.
      autocreateTopics: false,
    });
    this.#admin.on('client:broker:failed', () => {
      this.#connected = false;
    });
    this.#admin.on('client:broker:disconnect', () => {
      this.#connected = false;
    });
  }

  get connected(): boolean {
    return this.#connected;
  }

  /** Group types the broker can describe, once connected (undefined before the first connection). */
  get capabilities(): KafkaCapabilities | undefined {
    return this.#capabilities;
  }

  /**
   * Connects (an ApiVersions round trip to a bootstrap broker) once; concurrent callers share
   * the attempt; a failure is retried on the next call. Learns which group APIs the broker has.
   */
  async connect(): Promise<void> {
    if (this.#closed) throw new CollectorError('KAFKA_UNAVAILABLE', 'the Kafka client is closed');
    if (this.#connected) return;
    this.#connecting ??= this.#admin.listApis().then(
      (apis) => {
        const has = new Set(apis.map((a) => a.apiKey));
        const groupTypes: GroupType[] = ['classic'];
        const missing: string[] = [];
        if (has.has(API.ConsumerGroupDescribe)) groupTypes.push('consumer');
        else missing.push('consumer-protocol groups (KIP-848): the broker has no ConsumerGroupDescribe API');
        if (has.has(API.ShareGroupDescribe) && has.has(API.DescribeShareGroupOffsets)) groupTypes.push('share');
        else missing.push('share groups (KIP-932): the broker has no ShareGroupDescribe/DescribeShareGroupOffsets API');
        if (has.has(API.StreamsGroupDescribe)) groupTypes.push('streams');
        else missing.push('streams groups (KIP-1071): the broker has no StreamsGroupDescribe API');
        const changed = this.#capabilities?.missing.join('\n') !== missing.join('\n');
        this.#capabilities = { groupTypes, missing };
        // Said once per connection whose answer differs, not once per poll.
        if (changed) {
          this.#log?.(
            'info',
            missing.length === 0
              ? `Kafka: every group type is monitored (${groupTypes.join(', ')})`
              : `Kafka: monitoring ${groupTypes.join(', ')} groups; not on this broker: ${missing.join('; ')}`,
            { groupTypes, missing },
          );
        }
        this.#connected = true;
        this.#connecting = undefined;
      },
      (err: unknown) => {
        this.#connecting = undefined;
        throw new CollectorError('KAFKA_UNAVAILABLE', `cannot connect to Kafka: ${errorText(err)}`, { cause: err });
      },
    );
    return this.#connecting;
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.#connecting?.catch(() => undefined);
    await this.#admin.close().catch(() => undefined);
    this.#connected = false;
  }

  /** Runs one request; a failure that is not Kafka's answer (a network error) marks the adapter disconnected. */
  async #call<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (partialResponse(err) === undefined) this.#connected = false;
      throw err;
    }
  }

  async #connection(nodeId: number): Promise<Connection> {
    const broker = this.#brokers.get(nodeId);
    if (!broker) throw new CollectorError('KAFKA_UNAVAILABLE', `broker ${nodeId} is not in the cluster metadata`);
    return this.#admin.connections.get(broker);
  }

  /**
   * Topics and partition leaders, from one Metadata request for all topics. Kept for the
   * cycle's offset and record reads.
   */
  async listTopics(): Promise<string[]> {
    await this.connect();
    const conn = await this.#call(() => this.#bootstrap());
    const res = await this.#call(() => metadataV12.api.async(conn, null, false, false));
    this.#brokers = new Map(res.brokers.map((b) => [b.nodeId, { host: b.host, port: b.port }]));
    const leaders = new Map<string, Map<number, number>>();
    for (const t of res.topics) {
      const name = t.name;
      if (typeof name !== 'string' || t.errorCode !== 0) continue;
      leaders.set(
        name,
        new Map(t.partitions.filter((p) => p.leaderId >= 0).map((p) => [p.partitionIndex, p.leaderId])),
      );
    }
    this.#leaders = leaders;
    return [...leaders.keys()];
  }

  /** A connection to any broker: a known one from the last metadata, else a bootstrap broker. */
  async #bootstrap(): Promise<Connection> {
    const known = [...this.#brokers.values()];
    if (known.length > 0) {
      try {
        return await this.#admin.connections.getFirstAvailable(known);
      } catch {
        // The cluster's brokers moved: fall back to the configured bootstrap list.
      }
    }
    return this.#admin.connections.getFirstAvailable(this.#bootstrapBrokers);
  }

  /** Every group of every type the broker has (ListGroups to every broker). */
  async listGroups(): Promise<GroupListing[]> {
    await this.connect();
    // Name every type the broker has: with no type filter, Kafka lists classic groups only.
    const types = this.#capabilities?.groupTypes ?? ['classic'];
    const groups = await this.#call(() => this.#admin.listGroups({ types: [...types] }));
    const out: GroupListing[] = [];
    const byId = new Map<string, GroupType>();
    const states = new Map<string, string>();
    for (const g of groups.values()) {
      const groupType = asGroupType(g.groupType, g.protocolType);
      byId.set(g.id, groupType);
      states.set(g.id, g.state);
      out.push({ groupId: g.id, protocolType: g.protocolType, groupType });
    }
    this.#groupTypes = byId;
    this.#listedStates = states;
    return out;
  }

  /** The group's type from the last listGroups (classic when unknown). */
  groupType(groupId: string): GroupType {
    return this.#groupTypes.get(groupId) ?? 'classic';
  }

  /** Coordinators of `groupIds` (one batched FindCoordinator for the ones not cached). */
  async #coordinatorsOf(groupIds: readonly string[]): Promise<Map<number, string[]>> {
    const unknown = groupIds.filter((g) => !this.#coordinators.has(g));
    if (unknown.length > 0) {
      const conn = await this.#call(() => this.#bootstrap());
      for (const chunk of chunks(unknown, 100)) {
        const res = await this.#call(() => orPartial(findCoordinatorV6.api.async(conn, 0, chunk)));
        for (const c of res.coordinators) {
          if (c.errorCode !== 0) continue;
          this.#coordinators.set(c.key, c.nodeId);
          if (!this.#brokers.has(c.nodeId)) this.#brokers.set(c.nodeId, { host: c.host, port: c.port });
        }
      }
    }
    const byNode = new Map<number, string[]>();
    for (const g of groupIds) {
      const node = this.#coordinators.get(g);
      if (node === undefined) continue;
      const list = byNode.get(node) ?? [];
      list.push(g);
      byNode.set(node, list);
    }
    return byNode;
  }

  /** Runs `fn` on each group's coordinator; a coordinator error forgets the cached coordinators and retries once. */
  async #onCoordinators<T>(
    groupIds: readonly string[],
    fn: (conn: Connection, groups: string[]) => Promise<T[]>,
    retryable: (result: T) => string | undefined,
  ): Promise<T[]> {
    const results: T[] = [];
    let pending = [...groupIds];
    for (let attempt = 0; attempt < 2 && pending.length > 0; attempt++) {
      const byNode = await this.#coordinatorsOf(pending);
      const retry: string[] = [];
      for (const [nodeId, groups] of byNode) {
        let answers: T[];
        try {
          const conn = await this.#call(() => this.#connection(nodeId));
          answers = await this.#call(() => fn(conn, groups));
        } catch (err) {
          // The coordinator may have moved or gone: find it again next time.
          for (const g of groups) this.#coordinators.delete(g);
          throw err;
        }
        for (const r of answers) {
          const again = attempt === 0 ? retryable(r) : undefined;
          if (again === undefined) results.push(r);
          else {
            this.#coordinators.delete(again);
            retry.push(again);
          }
        }
      }
      pending = retry;
    }
    return results;
  }

  /** One describe round for `groupIds` (callers batch), each group with the API of its type. */
  async describeGroups(groupIds: string[]): Promise<GroupInfo[]> {
    await this.connect();
    const byType = new Map<GroupType, string[]>();
    for (const id of groupIds) {
      const type = this.groupType(id);
      const list = byType.get(type) ?? [];
      list.push(id);
      byType.set(type, list);
    }
    const out: GroupInfo[] = [];
    for (const [type, ids] of byType) {
      if (type === 'consumer') out.push(...(await this.#describeConsumerGroups(ids)));
      else if (type === 'share') out.push(...(await this.#describeShareGroups(ids)));
      else if (type === 'streams') out.push(...this.#streamsGroups(ids));
      else out.push(...(await this.#describeClassicGroups(ids)));
    }
    return out;
  }

  async #describeClassicGroups(groupIds: string[]): Promise<GroupInfo[]> {
    return this.#onCoordinators(
      groupIds,
      async (conn, groups) => {
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
            // Kafka reports the host as "/127.0.0.1".
            host: m.clientHost.replace(/^\//, ''),
            assignment: decodeAssignment(g.protocolType, m.memberAssignment),
          })),
        }));
      },
      (g) => (COORDINATOR_ERRORS.has(g.errorCode) ? g.groupId : undefined),
    );
  }

  async #describeConsumerGroups(groupIds: string[]): Promise<GroupInfo[]> {
    return this.#onCoordinators(
      groupIds,
      async (conn, groups) => {
        const res = await orPartial(consumerGroupDescribeV0.api.async(conn, groups, false));
        return res.groups.map((g): GroupInfo => ({
          groupId: g.groupId,
          groupType: 'consumer',
          // A group deleted between list and describe is "Dead", as DescribeGroups says.
          state: g.errorCode === GROUP_ID_NOT_FOUND ? 'Dead' : g.groupState,
          protocolType: 'consumer',
          protocol: g.assignorName,
          errorCode: g.errorCode,
          groupEpoch: g.groupEpoch,
          assignmentEpoch: g.assignmentEpoch,
          members: g.members.map((m) => ({
            memberId: m.memberId,
            clientId: m.clientId,
            host: m.clientHost.replace(/^\//, ''),
            memberEpoch: m.memberEpoch,
            assignment: assignmentOf(m.assignment.topicPartitions),
            targetAssignment: assignmentOf(m.targetAssignment.topicPartitions),
          })),
        }));
      },
      (g) => (COORDINATOR_ERRORS.has(g.errorCode) ? g.groupId : undefined),
    );
  }

  async #describeShareGroups(groupIds: string[]): Promise<GroupInfo[]> {
    return this.#onCoordinators(
      groupIds,
      async (conn, groups) => {
        const res = await shareGroupDescribeV1.async(conn, groups, false);
        return res.groups.map((g): GroupInfo => ({
          groupId: g.groupId,
          groupType: 'share',
          state: g.errorCode === GROUP_ID_NOT_FOUND ? 'Dead' : g.groupState,
          protocolType: 'share',
          protocol: g.assignorName,
          errorCode: g.errorCode,
          groupEpoch: g.groupEpoch,
          assignmentEpoch: g.assignmentEpoch,
          members: g.members.map((m) => ({
            memberId: m.memberId,
            clientId: m.clientId,
            host: m.clientHost.replace(/^\//, ''),
            memberEpoch: m.memberEpoch,
            assignment: assignmentOf(m.assignment),
          })),
        }));
      },
      (g) => (COORDINATOR_ERRORS.has(g.errorCode) ? g.groupId : undefined),
    );
  }

  /** Streams groups: state from ListGroups; members are not described (StreamsGroupDescribe is not read yet). */
  #streamsGroups(groupIds: string[]): GroupInfo[] {
    return groupIds.map((groupId) => ({
      groupId,
      groupType: 'streams',
      state: this.#listedStates.get(groupId) ?? 'Unknown',
      protocolType: 'streams',
      protocol: '',
      errorCode: 0,
      members: [],
    }));
  }

  /**
   * The group's committed offsets on every topic it committed to; partitions without a commit
   * are left out. For a share group: each share-partition's start offset (what Kafka's
   * share-groups tool shows as START-OFFSET), from DescribeShareGroupOffsets.
   */
  async committedOffsets(groupId: string): Promise<CommittedOffset[]> {
    await this.connect();
    if (this.groupType(groupId) === 'share') return this.#shareOffsets(groupId);
    const [res] = await this.#onCoordinators(
      [groupId],
      async (conn, groups) => {
        const r = await orPartial(
          offsetFetchV9.api.async(
            conn,
            groups.map((g) => ({ groupId: g, memberId: null, memberEpoch: -1, topics: null })),
            false,
          ),
        );
        return r.groups;
      },
      (g) => (COORDINATOR_ERRORS.has(g.errorCode) ? g.groupId : undefined),
    );
    if (!res) throw new CollectorError('KAFKA_UNAVAILABLE', `no coordinator found for group ${groupId}`);
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

  async #shareOffsets(groupId: string): Promise<CommittedOffset[]> {
    const [res] = await this.#onCoordinators(
      [groupId],
      async (conn, groups) => (await describeShareGroupOffsetsV0.async(conn, groups)).groups,
      (g) => (COORDINATOR_ERRORS.has(g.errorCode) ? g.groupId : undefined),
    );
    if (!res) throw new CollectorError('KAFKA_UNAVAILABLE', `no coordinator found for share group ${groupId}`);
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
        if (p.errorCode === 0 && offset >= 0) out.push({ topic: t.topicName, partition: p.partitionIndex, offset });
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
    const out = new Map<string, PartitionOffsets[] | Error>();
    const byLeader = new Map<number, string[]>();
    for (const topic of topics) {
      const leaders = this.#leaders.get(topic);
      if (!leaders || leaders.size === 0) {
        out.set(topic, new Error(`no partition leaders known for ${topic}`));
        continue;
      }
      // A topic's partitions may have several leaders; group the topic under each.
      for (const nodeId of new Set(leaders.values())) {
        const list = byLeader.get(nodeId) ?? [];
        list.push(topic);
        byLeader.set(nodeId, list);
      }
    }
    const collected = new Map<string, Map<number, { start?: number; end?: number }>>();
    const request = async (nodeId: number, chunk: string[]): Promise<void> => {
      const conn = await this.#connection(nodeId);
      const spec = (timestamp: bigint) =>
        chunk.map((name) => ({
          name,
          partitions: [...(this.#leaders.get(name) ?? [])]
            .filter(([, leader]) => leader === nodeId)
            .map(([partitionIndex]) => ({ partitionIndex, currentLeaderEpoch: -1, timestamp })),
        }));
      // -1: latest (end), -2: earliest (start). READ_UNCOMMITTED (0): the high watermark.
      const [ends, starts] = await Promise.all([
        this.#call(() => listOffsetsV9.api.async(conn, -1, 0, spec(-1n))),
        this.#call(() => listOffsetsV9.api.async(conn, -1, 0, spec(-2n))),
      ]);
      for (const [res, field] of [
        [ends, 'end'],
        [starts, 'start'],
      ] as const) {
        for (const t of res.topics) {
          const parts = collected.get(t.name) ?? new Map<number, { start?: number; end?: number }>();
          for (const p of t.partitions) {
            const entry = parts.get(p.partitionIndex) ?? {};
            entry[field] = Number(p.offset);
            parts.set(p.partitionIndex, entry);
          }
          collected.set(t.name, parts);
        }
      }
    };
    const jobs = [...byLeader].flatMap(([nodeId, list]) => chunks(list, 100).map((chunk) => ({ nodeId, chunk })));
    await mapLimit(jobs, concurrency, async ({ nodeId, chunk }) => {
      try {
        await request(nodeId, chunk);
      } catch {
        await mapLimit(chunk, concurrency, async (topic) => {
          try {
            await request(nodeId, [topic]);
          } catch (err) {
            out.set(topic, err instanceof Error ? err : new Error(String(err)));
          }
        });
      }
    });
    for (const topic of topics) {
      if (out.has(topic)) continue;
      const parts = collected.get(topic);
      const expected = this.#leaders.get(topic)?.size ?? 0;
      const offsets = [...(parts ?? [])]
        .filter(([, o]) => o.start !== undefined && o.end !== undefined)
        .map(([partition, o]) => ({ partition, start: o.start as number, end: o.end as number }))
        .sort((a, b) => a.partition - b.partition);
      out.set(
        topic,
        offsets.length === expected && expected > 0 ? offsets : new Error(`offsets of ${topic} incomplete`),
      );
    }
    return out;
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
    const out = new Map<string, KafkaRecord[]>();
    if (requests.length === 0) return out;
    await this.connect();
    // Group by leader (from the cycle's metadata).
    const byBroker = new Map<number, ReadRequest[]>();
    for (const r of requests) {
      const nodeId = this.#leaders.get(r.topic)?.get(r.partition);
      if (nodeId === undefined) continue;
      const list = byBroker.get(nodeId) ?? [];
      list.push(r);
      byBroker.set(nodeId, list);
    }
    const count = options.count ?? 1;
    for (const [nodeId, list] of byBroker) {
      const conn = await this.#call(() => this.#connection(nodeId));
      for (const chunk of chunks(list, 64)) {
        const byTopic = new Map<
          string,
          {
            partition: number;
            currentLeaderEpoch: number;
            fetchOffset: bigint;
            lastFetchedEpoch: number;
            partitionMaxBytes: number;
          }[]
        >();
        const wanted = new Map<string, number>();
        for (const r of chunk) {
          const parts = byTopic.get(r.topic) ?? [];
          parts.push({
            partition: r.partition,
            currentLeaderEpoch: -1,
            fetchOffset: BigInt(r.offset),
            lastFetchedEpoch: -1,
            partitionMaxBytes: options.maxBytesPerPartition,
          });
          byTopic.set(r.topic, parts);
          wanted.set(partitionKey(r.topic, r.partition), r.offset);
        }
        // Fetch v12 names topics (v13+ use topic ids); the library's field is named topicId in both.
        const res = await this.#call(() =>
          orPartial(
            fetchV12.api.async(
              conn,
              0, // never wait for new data
              1,
              options.maxBytesPerPartition * chunk.length,
              0, // read uncommitted: the oldest record a consumer has not passed, committed or not
              0, // no fetch session
              -1,
              [...byTopic].map(([topicId, partitions]) => ({ topicId, partitions })),
              [],
              '',
            ),
          ),
        );
        for (const t of res.responses) {
          for (const p of t.partitions) {
            const key = partitionKey(t.topicId, p.partitionIndex);
            const from = wanted.get(key);
            if (from === undefined || p.errorCode !== 0) continue;
            const batches: RecordsBatch[] = p.records ?? [];
            const records: KafkaRecord[] = [];
            let anyRecord = false;
            for (const batch of batches) {
              if (records.length >= count) break;
              for (const rec of batch.records) {
                anyRecord = true;
                // A batch starts at or before the requested offset; control records are not user data.
                const offset = Number(batch.firstOffset + BigInt(rec.offsetDelta));
                if (offset < from || (batch.attributes & IS_CONTROL_BATCH) !== 0) continue;
                const timestamp =
                  (batch.attributes & TIMESTAMP_TYPE_LOG_APPEND) !== 0
                    ? batch.maxTimestamp
                    : batch.firstTimestamp + rec.timestampDelta;
                records.push({
                  topic: t.topicId,
                  partition: p.partitionIndex,
                  offset,
                  timestamp: Number(timestamp),
                  key: rec.key,
                  value: rec.value,
                  headers: headersOf(rec.headers),
                });
                if (records.length >= count) break;
              }
            }
            // An empty list: the broker returned batches, but only control records (or records before `offset`).
            if (records.length > 0 || anyRecord) out.set(key, records);
          }
        }
      }
    }
    return out;
  }
}

export const partitionKey = (topic: string, partition: number): string => `${topic}\u0000${partition}`;
