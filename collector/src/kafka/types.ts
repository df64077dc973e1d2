/**
 * The adapter's domain shapes: what the lag and DLQ services see of Kafka, in numbers and plain
 * objects (no bigints, no wire structs). Client-independent: the bench's kafkajs adapter
 * (figure 4's old-client peer) returns the same shapes.
 */
import type { KafkaSecurity } from './security.ts';

export interface KafkaAdapterOptions {
  brokers: readonly string[];
  clientId: string;
  /** Receives the adapter's own log lines (capabilities, connection changes). */
  log?: (level: 'error' | 'warn' | 'info' | 'debug', message: string, extra: Record<string, unknown>) => void;
  /** Per-request timeout, ms. */
  requestTimeoutMs?: number;
  /** TLS and SASL settings (./security.ts); none: PLAINTEXT. */
  security?: KafkaSecurity;
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
  /**
   * topic -> partitions (current assignment; a streams member's active tasks as the partitions
   * they read); empty when a classic group's protocol is not the consumer protocol.
   */
  assignment: Record<string, number[]>;
  /** KIP-848 / KIP-932 / KIP-1071 members: the member epoch. */
  memberEpoch?: number;
  /** KIP-848 and streams members: the assignment the coordinator wants the member to reach. */
  targetAssignment?: Record<string, number[]>;
  /** Streams members (KIP-1071): the Kafka Streams instance the member's thread belongs to. */
  processId?: string;
  /**
   * Streams members: topic -> partitions of their standby tasks (state kept warm for failover)
   * and warm-up tasks (state being caught up before the task moves); `assignment` is their
   * active tasks, the only ones that consume and commit.
   */
  standbyAssignment?: Record<string, number[]>;
  warmupAssignment?: Record<string, number[]>;
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
  /** KIP-848 / KIP-932 / KIP-1071 groups: the group epoch and the epoch of its target assignment. */
  groupEpoch?: number;
  assignmentEpoch?: number;
}

export interface CommittedOffset {
  topic: string;
  partition: number;
  /** The committed offset; for a share group, the share-partition start offset (SPSO). */
  offset: number;
  /**
   * A share group's lag as the broker counts it (KIP-1226), where it does: records after the
   * start offset that are not acknowledged yet. Records acknowledged after the start offset (it
   * moves past them later) are not lag, though end - start offset counts them.
   */
  lag?: number;
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
