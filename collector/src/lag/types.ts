/** Domain types of the Kafka monitor's snapshot (times in ms since epoch, rates per second). */
import type { GroupType, MemberInfo, PartitionOffsets } from '../kafka/index.ts';
import type { OffsetSample, Status } from './status.ts';

export type LagSecondsSource =
  /** Timestamp of the record at the committed offset, read from Kafka. */
  | 'record'
  /** Interpolated from the (end offset, time) table. */
  | 'interpolated'
  /** The record is older than the table reaches: lagSeconds is a lower bound. */
  | 'lower-bound'
  /** No unconsumed record: lag 0. */
  | 'caught-up'
  /** Offsets unknown (status ERR). */
  | 'unknown';

export interface PartitionLag {
  topic: string;
  partition: number;
  committedOffset: number;
  endOffset: number | null;
  startOffset: number | null;
  /** end - committed, clamped to >= 0; null when the end offset is unknown. */
  lag: number | null;
  /** Age of the oldest unconsumed record, seconds; 0 when caught up; null when unknown. */
  lagSeconds: number | null;
  lagSecondsSource: LagSecondsSource;
  lagSecondsIsLowerBound: boolean;
  status: Status;
  /** Member the partition is assigned to, when the group's assignment says so. */
  owner: { memberId: string; clientId: string; host: string } | null;
  /** Records per second consumed over the status window; null with fewer than two samples. */
  consumeRate: number | null;
  /** Status window, oldest first. */
  samples: OffsetSample[];
}

export interface GroupTopicLag {
  topic: string;
  partitions: number;
  lag: number;
  lagSeconds: number | null;
  lagSecondsIsLowerBound: boolean;
  consumeRate: number | null;
  /** Records per second produced to the topic (over the status window). */
  produceRate: number | null;
  /** lag / (consumeRate - produceRate); 0 when caught up; null when not catching up or unknown. */
  timeToCatchUpSeconds: number | null;
  status: Status;
  /** Records retention deleted before the group read them: sum of log start - committed where the commit is below the log start. */
  recordsLostToRetention: number;
  /**
   * Of the partitions with lag, the fewest records between the log start and the committed
   * offset (what retention deletes before it reaches unread records); negative when it already
   * did; null when no partition lags or a log start is unknown.
   */
  retentionMarginMessages: number | null;
  retentionRisk: RetentionRisk;
}

/**
 * Data-loss risk from retention: `lost` when a committed offset is below the log start (records
 * deleted unread), `at-risk` when a lagging partition's committed offset is in the oldest tenth
 * of the retained log (the segments retention deletes next), else `none`.
 */
export type RetentionRisk = 'none' | 'at-risk' | 'lost';

export interface RebalanceEvent {
  /** First poll that saw the group rebalancing (detectedBy state) or the poll before the member change (members). */
  startedAt: number;
  /** First poll that saw the group settled again; null while in progress. */
  endedAt: number | null;
  /** endedAt - startedAt when both were observed (precision: one poll interval); null otherwise. */
  durationMs: number | null;
  /** 'state': seen in PreparingRebalance/CompletingRebalance; 'members': member set changed between two polls. */
  detectedBy: 'state' | 'members';
  membersBefore: number;
  membersAfter: number | null;
}

export interface LagPoint {
  time: number;
  lag: number;
  lagSeconds: number | null;
}

export interface GroupLag {
  group: string;
  /** classic, consumer (KIP-848), share (KIP-932) or streams (KIP-1071), as Kafka's ListGroups names it. */
  groupType: GroupType;
  /**
   * Kafka group state: classic groups Stable, Empty, PreparingRebalance, CompletingRebalance,
   * Dead; consumer, share and streams groups Stable, Empty, Assigning, Reconciling, Dead (share
   * groups Stable/Empty/Dead); Unknown when the group could not be described.
   */
  state: string;
  /** KIP-848 / KIP-932 groups: the group epoch and the epoch of its target assignment; null otherwise. */
  groupEpoch: number | null;
  assignmentEpoch: number | null;
  protocolType: string;
  protocol: string;
  members: MemberInfo[];
  status: Status;
  /** Why the group's offsets could not be read this cycle (status ERR). */
  error: string | null;
  lag: number;
  lagSeconds: number | null;
  lagSecondsIsLowerBound: boolean;
  consumeRate: number | null;
  timeToCatchUpSeconds: number | null;
  /** Sum over topics (see GroupTopicLag). */
  recordsLostToRetention: number;
  /** The worst of the topics' retention risks. */
  retentionRisk: RetentionRisk;
  topics: GroupTopicLag[];
  partitions: PartitionLag[];
  rebalanceCount: number;
  lastRebalance: RebalanceEvent | null;
  updatedAt: number;
}

export interface TopicSnapshot {
  topic: string;
  partitions: PartitionOffsets[];
  /** Records retained: sum of end - start. */
  records: number;
  /** Sum of end offsets. */
  endOffsetSum: number;
  /** Records in per second over the status window; null with fewer than two samples. */
  recordsInPerSecond: number | null;
  /** Records in since the previous poll. */
  recordsInLastInterval: number | null;
  error: string | null;
}

export interface Snapshot {
  time: number;
  durationMs: number;
  groups: ReadonlyMap<string, GroupLag>;
  topics: ReadonlyMap<string, TopicSnapshot>;
  /** Errors of this cycle by stage (partial failures included). */
  errors: Record<string, number>;
  /** Group types the broker has no API for, each as a plain sentence (none on Kafka 4.1+). */
  missingGroupTypes: string[];
}
