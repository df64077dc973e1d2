/**
 * The collector's HTTP API as the dashboard reads it: ONE file, kept in step with the
 * collector's TypeBox route schemas (collector/src/<capability>/routes*.ts).
 *
 * Conventions assumed for every route (to be checked against the schemas as they land):
 * - times are milliseconds since the epoch (numbers); durations say their unit in the name
 *   (`...Ms`, `...Seconds`); rates are per second;
 * - a value the collector does not know is `null`, never a missing key or a sentinel;
 * - errors are `{ error: CODE, message, retryable? }` with a 4xx/5xx status (collector/src/app.ts).
 */

/** Burrow-style status of a partition or group; ERR when the collector could not read it. */
export type LagStatus = 'OK' | 'WARN' | 'STALL' | 'STOP' | 'REWIND' | 'ERR';
export const LAG_STATUSES: readonly LagStatus[] = ['OK', 'WARN', 'STALL', 'STOP', 'REWIND', 'ERR'];

export type SagaStatus = 'in-flight' | 'completed' | 'compensated' | 'failed' | 'stuck';
export const SAGA_STATUSES: readonly SagaStatus[] = ['in-flight', 'completed', 'compensated', 'failed', 'stuck'];

/** `eventscope.outcome` of a consumer span (docs/event-contract.md), plus `pending` for a hop not yet delivered. */
export type DeliveryOutcome = 'processed' | 'duplicate' | 'retried' | 'dead_lettered';
export type HopOutcome = DeliveryOutcome | 'pending';

/** The collector's JSON error body. */
export interface ApiErrorBody {
  error: string;
  message: string;
  retryable?: boolean;
}

/** A time range the dashboard asks for: `?rangeSeconds=` on routes that return history. */
export type RangeSeconds = number;

// ---------------------------------------------------------------------------------------------
// Consumer groups: GET /api/groups, GET /api/groups/:group
// ---------------------------------------------------------------------------------------------

export interface GroupSummary {
  group: string;
  /** Kafka group state: Stable, Empty, PreparingRebalance, CompletingRebalance, Dead. */
  state: string;
  status: LagStatus;
  topics: string[];
  /** Number of members right now. */
  members: number;
  lagMessages: number;
  /** Age of the oldest unconsumed record; null when unknown (no committed offset, no table yet). */
  lagSeconds: number | null;
  /** True when lagSeconds is a lower bound (the interpolation table does not reach back far enough). */
  lagSecondsLowerBound: boolean;
  /** Records per second consumed over the status window. */
  consumeRate: number | null;
  /** Seconds to catch up at the current rate; null when not consuming. */
  timeToCatchUpSeconds: number | null;
  /** When the last rebalance (generation change) was seen. */
  lastRebalanceAt: number | null;
}

export interface GroupsResponse {
  /** When the lag snapshot was taken; null before the first poll finished. */
  snapshotAt: number | null;
  groups: GroupSummary[];
}

export interface PartitionLag {
  topic: string;
  partition: number;
  committedOffset: number | null;
  endOffset: number;
  lagMessages: number;
  lagSeconds: number | null;
  lagSecondsLowerBound: boolean;
  status: LagStatus;
  /** Member the partition is assigned to right now, if any. */
  memberId: string | null;
}

export interface GroupMember {
  memberId: string;
  clientId: string;
  host: string;
  assignment: { topic: string; partitions: number[] }[];
}

export interface Rebalance {
  at: number;
  generation: number;
  /** How long the group was not Stable; null while still rebalancing or unknown. */
  durationMs: number | null;
  membersBefore: number | null;
  membersAfter: number | null;
}

/** One sample of one partition's lag, for the per-partition chart. */
export interface PartitionLagPoint {
  at: number;
  topic: string;
  partition: number;
  lagMessages: number;
  lagSeconds: number | null;
}

export interface GroupDetail {
  snapshotAt: number | null;
  summary: GroupSummary;
  partitions: PartitionLag[];
  members: GroupMember[];
  rebalances: Rebalance[];
  history: PartitionLagPoint[];
}

// ---------------------------------------------------------------------------------------------
// Topics: GET /api/topics
// ---------------------------------------------------------------------------------------------

export interface TopicSummary {
  topic: string;
  partitions: number;
  /** Records in per second (end offsets over the last interval). */
  recordsPerSecond: number | null;
  /** Records retained (sum of end - start). */
  records: number;
  isDlq: boolean;
}

export interface TopicsResponse {
  snapshotAt: number | null;
  topics: TopicSummary[];
}

// ---------------------------------------------------------------------------------------------
// DLQs: GET /api/dlqs, GET /api/dlqs/:topic, POST /api/dlqs/:topic/mark
// ---------------------------------------------------------------------------------------------

export interface ReasonCount {
  /** `dlq-error-class` header. */
  errorClass: string;
  /** A representative `dlq-error-message`. */
  message: string | null;
  count: number;
}

export interface DlqSummary {
  topic: string;
  /** Records retained. */
  depth: number;
  /** Records added during the last poll interval. */
  addedLastInterval: number;
  /** Records added per minute over the status window. */
  growthPerMinute: number | null;
  /** Records added since the mark (POST .../mark); null when no mark was set. */
  addedSinceMark: number | null;
  markAt: number | null;
  /** Groups and topics named by the latest records' headers. */
  consumerGroups: string[];
  originalTopics: string[];
  reasons: ReasonCount[];
}

export interface DlqsResponse {
  snapshotAt: number | null;
  dlqs: DlqSummary[];
}

export interface DlqRecord {
  partition: number;
  offset: number;
  timestamp: number;
  key: string | null;
  /** All headers as UTF-8 strings (the dlq-* ones and the original envelope). */
  headers: Record<string, string>;
  /** Value decoded through the registry (Avro -> JSON); null when it could not be decoded. */
  payload: unknown;
  /** Why the payload could not be decoded, if so. */
  payloadError: string | null;
  /** Parsed from headers for convenience. */
  eventId: string | null;
  eventType: string | null;
  errorClass: string | null;
  errorMessage: string | null;
  originalTopic: string | null;
  originalPartition: number | null;
  originalOffset: number | null;
  consumerGroup: string | null;
  attempts: number | null;
}

export interface DlqDepthPoint {
  at: number;
  depth: number;
  added: number;
}

export interface DlqDetail {
  snapshotAt: number | null;
  summary: DlqSummary;
  history: DlqDepthPoint[];
  records: DlqRecord[];
}

export interface DlqMarkResponse {
  topic: string;
  markAt: number;
}

// ---------------------------------------------------------------------------------------------
// Flows: hops, sagas, events, traces
// ---------------------------------------------------------------------------------------------

export interface SpanInfo {
  traceId: string;
  spanId: string;
  parentSpanId: string | null;
  name: string;
  kind: 'PRODUCER' | 'CONSUMER' | 'INTERNAL' | 'CLIENT' | 'SERVER';
  service: string;
  startAt: number;
  endAt: number;
  attributes: Record<string, string | number | boolean>;
}

/**
 * One hop: an event published by a service onto a topic and its delivery to ONE consumer
 * group (a publish with n consuming groups yields n hops; an event nobody consumes, one hop
 * with group null).
 */
export interface Hop {
  eventId: string;
  eventType: string;
  topic: string;
  partition: number | null;
  offset: number | null;
  fromService: string;
  publishedAt: number;
  group: string | null;
  toService: string | null;
  /** Consumer span start / end of the last attempt. */
  startedAt: number | null;
  endedAt: number | null;
  queueMs: number | null;
  processingMs: number | null;
  outcome: HopOutcome;
  attempts: number;
  /** The event is a compensation (undo) step of the saga. */
  compensation: boolean;
  /** DLQ topic the record went to, when dead-lettered. */
  dlqTopic: string | null;
  /** For a pending hop: messages ahead of it behind the group's committed offset, and the estimated wait. */
  position: number | null;
  estimatedWaitSeconds: number | null;
  traceId: string | null;
  headers: Record<string, string>;
  spans: SpanInfo[];
}

export interface SagaSummary {
  correlationId: string;
  /** Saga type, e.g. the first event's type (`order.placed`) or a declared name. */
  type: string;
  status: SagaStatus;
  startedAt: number;
  /** When the terminal event was processed; null while running. */
  endedAt: number | null;
  /** End-to-end latency; for a running saga, the time so far. */
  durationMs: number | null;
  hopCount: number;
  services: string[];
  compensations: number;
  dlqSteps: number;
  lastEventType: string | null;
}

export interface SagasResponse {
  sagas: SagaSummary[];
  /** Matching sagas in total (the list is limited). */
  total: number;
}

export interface SagaDetail {
  saga: SagaSummary;
  hops: Hop[];
}

export interface EventInfo {
  eventId: string;
  eventType: string;
  topic: string;
  partition: number | null;
  offset: number | null;
  publishedAt: number | null;
  service: string | null;
  key: string | null;
  correlationId: string | null;
  causationId: string | null;
  traceId: string | null;
  headers: Record<string, string>;
}

export type GroupProgressState = 'processed' | 'pending' | 'retrying' | 'dead_lettered';

/** "Where is event X" per group consuming its topic. */
export interface GroupProgress {
  group: string;
  service: string | null;
  state: GroupProgressState;
  /** Deliveries of this event to this group (more than one processed = duplicate). */
  deliveries: {
    startedAt: number;
    endedAt: number | null;
    outcome: DeliveryOutcome;
    attempt: number;
    service: string;
  }[];
  duplicate: boolean;
  committedOffset: number | null;
  /** Pending only: messages ahead of the event behind the committed offset, and estimated wait. */
  position: number | null;
  estimatedWaitSeconds: number | null;
  dlqTopic: string | null;
}

export interface EventLookup {
  event: EventInfo;
  groups: GroupProgress[];
}

export interface TraceResponse {
  traceId: string;
  spans: SpanInfo[];
  /** Sagas (correlation ids) the trace's spans belong to. */
  correlationIds: string[];
  eventIds: string[];
}

export type SearchKind = 'event' | 'trace' | 'saga';

export interface SearchMatch {
  kind: SearchKind;
  id: string;
  /** Short human label, e.g. `order.placed in orders` or `saga completed`. */
  label: string | null;
}

export interface SearchResponse {
  query: string;
  matches: SearchMatch[];
}

export interface AuditItem {
  kind: 'duplicate' | 'unaccounted';
  group: string;
  topic: string;
  partition: number;
  offset: number | null;
  eventId: string | null;
  detectedAt: number;
  count: number;
}

export interface AuditResponse {
  duplicates: number;
  unaccounted: number;
  items: AuditItem[];
}

// ---------------------------------------------------------------------------------------------
// Overview: GET /api/overview?rangeSeconds=
// ---------------------------------------------------------------------------------------------

export interface ThroughputPoint {
  at: number;
  /** Records in per second over all non-DLQ topics. */
  recordsPerSecond: number;
}

export interface LatencyPoint {
  at: number;
  p50Ms: number | null;
  p95Ms: number | null;
  p99Ms: number | null;
}

export interface OverviewResponse {
  snapshotAt: number | null;
  rangeSeconds: number;
  throughput: ThroughputPoint[];
  latency: LatencyPoint[];
  sagaOutcomes: Record<SagaStatus, number>;
  /** Groups sorted worst first (status, then lag seconds). */
  worstGroups: GroupSummary[];
  dlqs: DlqSummary[];
  duplicates: number;
  unaccounted: number;
}

// ---------------------------------------------------------------------------------------------
// Flow map: GET /api/flows?rangeSeconds=
// ---------------------------------------------------------------------------------------------

export interface FlowNode {
  id: string;
  kind: 'service' | 'topic';
  name: string;
}

export interface FlowEdge {
  /** service -> topic (publish) or topic -> service (consume, via `group`). */
  from: string;
  to: string;
  group: string | null;
  ratePerSecond: number | null;
  /** Queue time (consume edges) or publish latency; p50/p95 over the range. */
  p50Ms: number | null;
  p95Ms: number | null;
  errorsPerSecond: number | null;
}

export interface FlowMapResponse {
  rangeSeconds: number;
  nodes: FlowNode[];
  edges: FlowEdge[];
}

// ---------------------------------------------------------------------------------------------
// Live updates: GET /api/stream (Server-Sent Events)
// ---------------------------------------------------------------------------------------------

/** `event: snapshot`: a lag/DLQ poll finished. */
export interface SnapshotEvent {
  at: number;
}

/** `event: saga`: a saga changed. */
export interface SagaEvent {
  correlationId: string;
  status: SagaStatus;
}
