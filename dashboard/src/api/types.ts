/**
 * The collector's HTTP API as the dashboard reads it: ONE file, kept in step with the
 * collector's TypeBox route schemas. Sections say which schema file they mirror; where no
 * route exists yet the section says "ASSUMED" and the collector must match it (or this file
 * changes).
 *
 * Conventions of the collector: times are milliseconds since the epoch (fractional allowed);
 * durations say their unit in the name; rates are per second; unknown values are `null`;
 * errors are `{ error: CODE, message, retryable? }` with a 4xx/5xx status (collector/src/app.ts).
 */

/** The collector's JSON error body. */
export interface ApiErrorBody {
  error: string;
  message: string;
  retryable?: boolean;
}

// ---------------------------------------------------------------------------------------------
// Kafka monitor: mirrors collector/src/lag/schemas.ts
// GET /api/groups[?status=], GET /api/groups/:group, GET /api/topics
// ---------------------------------------------------------------------------------------------

/** Burrow-style status of a partition, topic or group; ERR when the collector could not read it. */
export type LagStatus = 'OK' | 'WARN' | 'REWIND' | 'STALL' | 'STOP' | 'ERR';
export const LAG_STATUSES: readonly LagStatus[] = ['OK', 'WARN', 'REWIND', 'STALL', 'STOP', 'ERR'];

export interface Rebalance {
  startedAt: number;
  endedAt: number | null;
  durationMs: number | null;
  detectedBy: 'state' | 'members';
  membersBefore: number;
  membersAfter: number | null;
}

export interface GroupTopic {
  topic: string;
  partitions: number;
  lag: number;
  lagSeconds: number | null;
  lagSecondsIsLowerBound: boolean;
  consumeRate: number | null;
  produceRate: number | null;
  timeToCatchUpSeconds: number | null;
  status: LagStatus;
}

export interface GroupSummary {
  group: string;
  /** Kafka group state: Stable, Empty, PreparingRebalance, CompletingRebalance, Dead, Unknown. */
  state: string;
  status: LagStatus;
  /** Why the offsets could not be read (status ERR). */
  error: string | null;
  memberCount: number;
  /** Lag in messages. */
  lag: number;
  /** Age of the oldest unconsumed record; null when unknown. */
  lagSeconds: number | null;
  lagSecondsIsLowerBound: boolean;
  consumeRate: number | null;
  timeToCatchUpSeconds: number | null;
  topics: GroupTopic[];
  rebalanceCount: number;
  lastRebalance: Rebalance | null;
  updatedAt: number;
}

export interface GroupsResponse {
  /** When the lag snapshot was taken; null before the first poll finished. */
  snapshotTime: number | null;
  groups: GroupSummary[];
}

export interface GroupMember {
  memberId: string;
  clientId: string;
  host: string;
  assignment: { topic: string; partitions: number[] }[];
}

export interface OffsetSample {
  time: number;
  offset: number;
  lag: number;
}

export type LagSecondsSource = 'record' | 'interpolated' | 'lower-bound' | 'caught-up' | 'unknown';

export interface PartitionLag {
  topic: string;
  partition: number;
  committedOffset: number;
  endOffset: number | null;
  startOffset: number | null;
  lag: number | null;
  lagSeconds: number | null;
  lagSecondsSource: LagSecondsSource;
  lagSecondsIsLowerBound: boolean;
  status: LagStatus;
  owner: { memberId: string; clientId: string; host: string } | null;
  consumeRate: number | null;
  /** The status window, oldest first. */
  samples: OffsetSample[];
}

export interface LagPoint {
  time: number;
  lag: number;
  lagSeconds: number | null;
}

export interface GroupDetail extends GroupSummary {
  protocolType: string;
  protocol: string;
  members: GroupMember[];
  partitions: PartitionLag[];
  history: { total: LagPoint[]; topics: Record<string, LagPoint[]> };
  rebalances: Rebalance[];
  /** Samples in the status window, and the lag tolerated before WARN. */
  statusWindow: number;
  lagTolerance: number;
}

export interface GroupDetailResponse {
  snapshotTime: number;
  group: GroupDetail;
}

export interface TopicSummary {
  topic: string;
  partitions: number;
  /** Records retained (sum of end - start). */
  records: number;
  endOffsetSum: number;
  recordsInPerSecond: number | null;
  recordsInLastInterval: number | null;
  isDlq: boolean;
  consumerGroups: string[];
  offsets: { partition: number; start: number; end: number }[];
  error: string | null;
}

export interface TopicsResponse {
  snapshotTime: number | null;
  topics: TopicSummary[];
}

// ---------------------------------------------------------------------------------------------
// DLQs: mirrors collector/src/dlq/schemas.ts
// GET /api/dlqs, GET /api/dlqs/:topic, GET /api/dlqs/:topic/history, POST /api/dlqs/:topic/mark
// ---------------------------------------------------------------------------------------------

export interface DlqMark {
  at: number;
  endOffsets: Record<string, number>;
}

export interface DlqSummary {
  topic: string;
  partitions: number;
  /** Records retained (end - start offsets). */
  depth: number;
  endOffsetSum: number;
  addedLastInterval: number | null;
  /** Records added since the collector started watching. */
  addedTotal: number;
  growthPerSecond: number | null;
  mark: DlqMark | null;
  addedSinceMark: number | null;
  lastGrowthAt: number | null;
  /** Groups named in the latest records' `dlq-consumer-group` headers. */
  groups: string[];
  /** Error classes of the latest records with counts. */
  errorClasses: Record<string, number>;
  updatedAt: number;
}

export interface DlqsResponse {
  snapshotTime: number | null;
  dlqs: DlqSummary[];
}

export interface DlqRecord {
  partition: number;
  offset: number;
  timestamp: number;
  key: string | null;
  headers: Record<string, string>;
  originalTopic: string | null;
  originalPartition: number | null;
  originalOffset: number | null;
  consumerGroup: string | null;
  errorClass: string | null;
  errorMessage: string | null;
  attempts: number | null;
  /** ISO 8601, as in the headers. */
  firstFailureTime: string | null;
  lastFailureTime: string | null;
  eventId: string | null;
  eventType: string | null;
  correlationId: string | null;
  /** dlq-* headers whose values break the contract (their field is null; the raw value is in headers). */
  headerErrors: string[];
  value: {
    encoding: 'avro' | 'json' | 'utf8' | 'base64' | 'null';
    schemaId: number | null;
    data: unknown;
    decodeError: string | null;
    /** The value's real size in bytes. */
    sizeBytes: number;
    /** The value was too large to show whole; data holds its start. */
    truncated: boolean;
  };
}

export interface DlqDetailResponse {
  snapshotTime: number;
  dlq: DlqSummary & { latest: DlqRecord[] };
}

/** One poll's view of a DLQ (GET /api/dlqs/:topic/history). */
export interface DlqSample {
  time: number;
  /** Records retained at that poll. */
  depth: number;
  endOffsetSum: number;
  /** Records added since the previous sample (null for the first). */
  added: number | null;
}

export interface DlqHistoryResponse {
  topic: string;
  snapshotTime: number;
  /** Samples the collector keeps per DLQ (one per poll, about an hour). */
  capacity: number;
  /** Oldest first. */
  samples: DlqSample[];
}

export interface DlqMarkResponse {
  topic: string;
  mark: DlqMark;
  addedSinceMark: number;
}

// ---------------------------------------------------------------------------------------------
// Flows: mirrors collector/src/flows/schemas.ts
// GET /api/events/:eventId, /api/traces/:traceId, /api/sagas, /api/sagas/:correlationId,
// /api/search?q=, /api/audit
// ---------------------------------------------------------------------------------------------

/** `eventscope.outcome` of a consumer span (docs/event-contract.md), plus `failed`. */
export type DeliveryOutcome = 'processed' | 'duplicate' | 'retried' | 'dead_lettered' | 'failed';

export type SagaStatus = 'in_flight' | 'completed' | 'compensated' | 'failed' | 'stuck';
export const SAGA_STATUSES: readonly SagaStatus[] = ['in_flight', 'completed', 'compensated', 'failed', 'stuck'];

export interface PublishView {
  eventId: string | null;
  eventType: string | null;
  correlationId: string | null;
  causationId: string | null;
  topic: string;
  partition: number | null;
  offset: number | null;
  /** Producer span start: the record was handed to the client. */
  timeMs: number;
  /** Producer span end: the send was acknowledged. */
  endMs: number;
  service: string;
  traceId: string;
  spanId: string;
}

export interface DeliveryView {
  group: string;
  service: string;
  topic: string;
  partition: number | null;
  offset: number | null;
  startMs: number;
  endMs: number;
  outcome: DeliveryOutcome;
  attempt: number;
  /** Delivery start - publish time; null when the publish is unknown. */
  queueTimeMs: number | null;
  processingTimeMs: number;
  dlqTopic: string | null;
  traceId: string;
  spanId: string;
}

export interface PendingView {
  group: string;
  topic: string;
  partition: number;
  committedOffset: number | null;
  /** Messages ahead of the event: event offset - committed offset. */
  position: number | null;
  /** position / consumption rate; null when unknown. */
  estimatedWaitSeconds: number | null;
}

export type GroupState =
  'processed' | 'dead_lettered' | 'duplicate' | 'retrying' | 'failed' | 'pending' | 'passed_without_delivery';

export interface GroupView {
  group: string;
  topic: string;
  state: GroupState;
  processedCount: number;
  /** Processed more than once by this group. */
  duplicate: boolean;
  deliveries: DeliveryView[];
  pending: PendingView | null;
}

/** "Where is my event". */
export interface EventView {
  eventId: string;
  eventType: string | null;
  correlationId: string | null;
  causationId: string | null;
  record: { topic: string; partition: number; offset: number | null } | null;
  publish: PublishView | null;
  /** Later publishes of the same event id (DLQ, retry topics). */
  republishes: PublishView[];
  groups: GroupView[];
  deadLettered: boolean;
  duplicate: boolean;
  /** When the lag snapshot used for positions was taken. */
  offsetsSnapshotMs: number | null;
}

/** One published event with its deliveries (one per group and attempt) and the groups it still waits for. */
export interface HopView {
  eventId: string | null;
  eventType: string | null;
  causationId: string | null;
  topic: string;
  partition: number | null;
  offset: number | null;
  /** null for deliveries whose publish span never arrived. */
  publishedMs: number | null;
  service: string | null;
  traceId: string | null;
  spanId: string | null;
  compensation: boolean;
  deliveries: DeliveryView[];
  pending: PendingView[];
}

export interface SagaListItem {
  correlationId: string;
  sagaType: string | null;
  status: SagaStatus;
  startMs: number;
  lastActivityMs: number;
  /** First publish to terminal event processed; null while not finished. */
  endToEndMs: number | null;
  terminalEventType: string | null;
  hops: number;
  compensations: number;
  dlqSteps: number;
}

export interface SagaPage {
  items: SagaListItem[];
  nextCursor: string | null;
}

export interface SagaView extends Omit<SagaListItem, 'hops' | 'compensations' | 'dlqSteps'> {
  hops: HopView[];
  hopCount: number;
  compensations: { eventId: string | null; eventType: string | null; timeMs: number; service: string }[];
  dlqSteps: {
    eventId: string | null;
    eventType: string | null;
    group: string;
    topic: string;
    dlqTopic: string | null;
    timeMs: number;
  }[];
  pendingCount: number;
}

export interface TraceView {
  traceId: string;
  publishes: PublishView[];
  deliveries: (DeliveryView & { eventId: string | null })[];
  eventIds: string[];
  correlationIds: string[];
}

export type SearchKind = 'event' | 'trace' | 'saga';

export interface SearchMatch {
  kind: SearchKind;
  id: string;
  /** The API path of the match, e.g. /api/events/<id>. */
  href: string;
}

export interface SearchResponse {
  query: string;
  matches: SearchMatch[];
}

export interface AuditResponse {
  duplicates: { eventId: string; group: string; count: number; firstMs: number; lastMs: number }[];
  unaccounted: {
    group: string;
    topic: string;
    partition: number;
    offset: number;
    eventId: string | null;
    correlationId: string | null;
    detectedMs: number;
  }[];
}

// ---------------------------------------------------------------------------------------------
// Overview: mirrors OverviewSchema in collector/src/api/overview.ts. GET /api/overview?rangeSeconds=60..21600
// ---------------------------------------------------------------------------------------------

export interface ThroughputPoint {
  time: number;
  /** Records in per second over all non-DLQ topics. */
  recordsPerSecond: number;
}

export interface LatencyPoint {
  time: number;
  p50Ms: number | null;
  p95Ms: number | null;
  p99Ms: number | null;
}

/** The collector keeps overview series for 6 hours. */
export const OVERVIEW_MAX_SECONDS = 6 * 3600;

export interface OverviewResponse {
  snapshotTime: number | null;
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
// Flow map: mirrors FlowMapView in collector/src/flows/schemas.ts. GET /api/flows?rangeSeconds=60..3600
// ---------------------------------------------------------------------------------------------

export interface FlowNode {
  /** `service:<name>` or `topic:<name>`. */
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
  /** Publish edges: send duration; consume edges: queue time. */
  p50Ms: number | null;
  p95Ms: number | null;
  /** Deliveries failed or dead-lettered per second. */
  errorsPerSecond: number | null;
}

/** The collector keeps the flow map for the last hour. */
export const FLOW_MAP_MAX_SECONDS = 3600;

export interface FlowMapResponse {
  rangeSeconds: number;
  nodes: FlowNode[];
  edges: FlowEdge[];
}

// ---------------------------------------------------------------------------------------------
// Live updates: mirrors collector/src/api/stream.ts. GET /api/stream (Server-Sent Events)
// ---------------------------------------------------------------------------------------------

/** `event: snapshot`: a lag/DLQ poll finished. */
export interface SnapshotEvent {
  at: number;
}

/** `event: saga`: a saga changed. */
export interface SagaEvent {
  correlationId: string;
  status: string;
}

// ---------------------------------------------------------------------------------------------
// Sign-in: mirrors collector/src/auth/oidc.ts. GET /auth/me, POST /auth/logout
// ---------------------------------------------------------------------------------------------

export type Role = 'viewer' | 'operator';

export interface Principal {
  subject: string;
  /** Display name (the OpenID `name`, `preferred_username` or `email`; a token's name). */
  name: string;
  role: Role;
  via: 'token' | 'session';
}

/** 200 of GET /auth/me. `authEnabled: false`: the collector is open, nobody signs in. */
export interface MeResponse {
  sso: boolean;
  authEnabled: boolean;
  principal: Principal | null;
  csrfToken: string | null;
}

/** 401 of GET /auth/me: nobody is signed in; `sso` says whether /auth/login is offered. */
export interface MeUnauthorized extends ApiErrorBody {
  sso: boolean;
  loginUrl: string | null;
}

export interface LogoutResponse {
  redirectTo: string;
}

// ---------------------------------------------------------------------------------------------
// Audit log of state changes: mirrors collector/src/auth/audit-routes.ts. GET /api/audit-log
// (Not /api/audit: that is the loss and duplicate audit above.)
// ---------------------------------------------------------------------------------------------

export interface AuditLogEntry {
  id: number;
  timeMs: number;
  /** A token's name or a signed-in user; `anonymous` when nobody was authenticated. */
  subject: string;
  role: Role | null;
  via: 'token' | 'session' | null;
  /** E.g. `POST /api/dlqs/:topic/mark` (the route as declared) or `dlq.redrive`. */
  action: string;
  /** E.g. `topic=payments.dlq`. */
  target: string;
  /** `ok`, `failed (HTTP 404)`, or `refused: unauthorized|forbidden|origin|host|form_body`. */
  result: string;
  detail: string | null;
  remoteAddress: string;
  userAgent: string | null;
}

export interface AuditLogResponse {
  entries: AuditLogEntry[];
  /** Pass as `before` for the next (older) page; null on the last page. */
  nextBefore: number | null;
}
