/**
 * The adapter's link to the cluster: one @platformatic/kafka admin client (its connection pool
 * and API version negotiation), what the broker can be asked (`capabilities`), the cluster's
 * brokers and partition leaders from the last Metadata, and group coordinators (FindCoordinator,
 * cached, retried once when a coordinator moved). The group, offset and record reads
 * (./groups.ts, ./offsets.ts, ./records.ts) send their requests through it.
 */
import { Admin, findCoordinatorV6, metadataV12, type Connection } from '@platformatic/kafka';
import { CollectorError } from '../errors.ts';
import { chunks, pushTo } from './batching.ts';
import type { GroupType, KafkaAdapterOptions, KafkaCapabilities } from './types.ts';

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

// Kafka error codes that mean "ask the group's coordinator again".
const NOT_COORDINATOR = 16;
const COORDINATOR_NOT_AVAILABLE = 15;
const COORDINATOR_LOAD_IN_PROGRESS = 14;
const COORDINATOR_ERRORS = new Set([NOT_COORDINATOR, COORDINATOR_NOT_AVAILABLE, COORDINATOR_LOAD_IN_PROGRESS]);

/** The partial response a ResponseError carries (partitions that did answer), if any. */
function partialResponse<T>(err: unknown): T | undefined {
  const response = (err as { response?: unknown } | null)?.response;
  return response && typeof response === 'object' ? (response as T) : undefined;
}

/** A response with per-group or per-partition errors still carries what did answer: take that, rethrow the rest. */
export async function orPartial<T>(request: Promise<T>): Promise<T> {
  try {
    return await request;
  } catch (err) {
    const partial = partialResponse<T>(err);
    if (partial !== undefined) return partial;
    throw err;
  }
}

/**
 * An error's message with the causes underneath it (the client wraps "authentication failed" or
 * "self-signed certificate" in "cannot connect to any broker"), each said once.
 */
export const errorText = (err: unknown): string => {
  const seen: string[] = [];
  const walk = (e: unknown, depth: number): void => {
    if (depth > 4 || e === undefined || e === null) return;
    const message = e instanceof Error ? e.message : typeof e === 'string' ? e : '';
    if (message !== '' && !seen.includes(message)) seen.push(message);
    const nested = (e as { errors?: unknown }).errors;
    if (Array.isArray(nested)) for (const n of nested.slice(0, 4)) walk(n, depth + 1);
    if (e instanceof Error) walk(e.cause, depth + 1);
  };
  walk(err, 0);
  return seen.join(': ');
};

/** Which group types the broker's API list lets the monitor read, and a sentence for each it cannot. */
function capabilitiesOf(apiKeys: ReadonlySet<number>): KafkaCapabilities {
  const groupTypes: GroupType[] = ['classic'];
  const missing: string[] = [];
  if (apiKeys.has(API.ConsumerGroupDescribe)) groupTypes.push('consumer');
  else missing.push('consumer-protocol groups (KIP-848): the broker has no ConsumerGroupDescribe API');
  if (apiKeys.has(API.ShareGroupDescribe) && apiKeys.has(API.DescribeShareGroupOffsets)) groupTypes.push('share');
  else missing.push('share groups (KIP-932): the broker has no ShareGroupDescribe/DescribeShareGroupOffsets API');
  if (apiKeys.has(API.StreamsGroupDescribe)) groupTypes.push('streams');
  else missing.push('streams groups (KIP-1071): the broker has no StreamsGroupDescribe API');
  return { groupTypes, missing };
}

export class KafkaConnection {
  readonly admin: Admin;
  readonly #log: KafkaAdapterOptions['log'];
  #brokers = new Map<number, BrokerAddress>();
  #leaders = new Map<string, Map<number, number>>();
  #coordinators = new Map<string, number>();
  readonly #bootstrapBrokers: BrokerAddress[];
  #capabilities: KafkaCapabilities | undefined;
  #shareGroupLag = false;
  #connecting: Promise<void> | undefined;
  #connected = false;
  #closed = false;
  /** Why the last connection attempt failed (for /readyz); undefined once connected. */
  #problem: string | undefined;

  constructor(options: KafkaAdapterOptions) {
    this.#log = options.log;
    this.#bootstrapBrokers = options.brokers.map((b) => {
      const i = b.lastIndexOf(':');
      return { host: b.slice(0, i).replace(/^\[|\]$/g, ''), port: Number(b.slice(i + 1)) };
    });
    this.admin = new Admin({
      clientId: options.clientId,
      bootstrapBrokers: [...options.brokers],
      timeout: options.requestTimeoutMs ?? 10_000,
      requestTimeout: options.requestTimeoutMs ?? 10_000,
      connectTimeout: 3_000,
      retries: 2,
      retryDelay: 200,
      // Never create a topic by asking about it.
      autocreateTopics: false,
      ...options.security,
    });
    this.admin.on('client:broker:failed', () => {
      this.#connected = false;
    });
    this.admin.on('client:broker:disconnect', () => {
      this.#connected = false;
    });
  }

  get connected(): boolean {
    return this.#connected;
  }

  /** Why the last connection attempt failed (a refused password, an untrusted certificate...). */
  get problem(): string | undefined {
    return this.#problem;
  }

  get capabilities(): KafkaCapabilities | undefined {
    return this.#capabilities;
  }

  /** The broker counts share-partition lag itself (DescribeShareGroupOffsets v1, KIP-1226). */
  get shareGroupLag(): boolean {
    return this.#shareGroupLag;
  }

  /** Partition leaders (topic -> partition -> broker node id) from the last `listTopics`. */
  get leaders(): ReadonlyMap<string, ReadonlyMap<number, number>> {
    return this.#leaders;
  }

  /**
   * Connects (an ApiVersions round trip to a bootstrap broker) once; concurrent callers share
   * the attempt; a failure is retried on the next call. Learns which group APIs the broker has.
   */
  async connect(): Promise<void> {
    if (this.#closed) throw new CollectorError('KAFKA_UNAVAILABLE', 'the Kafka client is closed');
    if (this.#connected) return;
    this.#connecting ??= this.admin.listApis().then(
      (apis) => {
        const { groupTypes, missing } = capabilitiesOf(new Set(apis.map((a) => a.apiKey)));
        const changed = this.#capabilities?.missing.join('\n') !== missing.join('\n');
        this.#capabilities = { groupTypes, missing };
        this.#shareGroupLag = apis.some((a) => a.apiKey === API.DescribeShareGroupOffsets && a.maxVersion >= 1);
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
        this.#problem = undefined;
      },
      (err: unknown) => {
        this.#connecting = undefined;
        // Logged by the caller (the poll logs once per change of reason); kept for /readyz.
        const problem = errorText(err);
        this.#problem = problem;
        throw new CollectorError('KAFKA_UNAVAILABLE', `cannot connect to Kafka: ${problem}`, { cause: err });
      },
    );
    return this.#connecting;
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.#connecting?.catch(() => undefined);
    await this.admin.close().catch(() => undefined);
    this.#connected = false;
  }

  /** Runs one request; a failure that is not Kafka's answer (a network error) marks the adapter disconnected. */
  async call<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (partialResponse(err) === undefined) this.#connected = false;
      throw err;
    }
  }

  /** A connection to broker `nodeId` (known from the last metadata or FindCoordinator). */
  async connection(nodeId: number): Promise<Connection> {
    const broker = this.#brokers.get(nodeId);
    if (!broker) throw new CollectorError('KAFKA_UNAVAILABLE', `broker ${nodeId} is not in the cluster metadata`);
    return this.admin.connections.get(broker);
  }

  /**
   * Topics and partition leaders, from one Metadata request for all topics. Kept for the
   * cycle's offset and record reads.
   */
  async listTopics(): Promise<string[]> {
    await this.connect();
    const conn = await this.call(() => this.#bootstrap());
    const res = await this.call(() => metadataV12.api.async(conn, null, false, false));
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
        return await this.admin.connections.getFirstAvailable(known);
      } catch {
        // The cluster's brokers moved: fall back to the configured bootstrap list.
      }
    }
    return this.admin.connections.getFirstAvailable(this.#bootstrapBrokers);
  }

  /** Coordinators of `groupIds` (one batched FindCoordinator for the ones not cached). */
  async #coordinatorsOf(groupIds: readonly string[]): Promise<Map<number, string[]>> {
    const unknown = groupIds.filter((g) => !this.#coordinators.has(g));
    if (unknown.length > 0) {
      const conn = await this.call(() => this.#bootstrap());
      for (const chunk of chunks(unknown, 100)) {
        const res = await this.call(() => orPartial(findCoordinatorV6.api.async(conn, 0, chunk)));
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
      if (node !== undefined) pushTo(byNode, node, g);
    }
    return byNode;
  }

  /**
   * Runs `fn` on each group's coordinator; a group answered with a coordinator error (the
   * coordinator moved or is loading) forgets its cached coordinator and is asked once more.
   */
  async onCoordinators<T extends { groupId: string; errorCode: number }>(
    groupIds: readonly string[],
    fn: (conn: Connection, groups: string[]) => Promise<T[]>,
  ): Promise<T[]> {
    const results: T[] = [];
    let pending = [...groupIds];
    for (let attempt = 0; attempt < 2 && pending.length > 0; attempt++) {
      const byNode = await this.#coordinatorsOf(pending);
      const retry: string[] = [];
      for (const [nodeId, groups] of byNode) {
        let answers: T[];
        try {
          const conn = await this.call(() => this.connection(nodeId));
          answers = await this.call(() => fn(conn, groups));
        } catch (err) {
          // The coordinator may have moved or gone: find it again next time.
          for (const g of groups) this.#coordinators.delete(g);
          throw err;
        }
        for (const r of answers) {
          if (attempt > 0 || !COORDINATOR_ERRORS.has(r.errorCode)) results.push(r);
          else {
            this.#coordinators.delete(r.groupId);
            retry.push(r.groupId);
          }
        }
      }
      pending = retry;
    }
    return results;
  }
}
