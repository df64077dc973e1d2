/**
 * The store's contract: what flows/ writes (hops, tap records) and reads (events, traces,
 * sagas, audits). Every method is async so a PostgreSQL implementation can sit behind the
 * same interface and pass the same test suite (test/store.suite.ts).
 *
 * Times are integer microseconds since the Unix epoch (`...Us`): exact in a JS number and
 * fine enough for the 1 ms end-to-end figure. Trace and span ids are lowercase hex strings.
 */

/** Outcome of one delivery (a consumer `process` span), from `eventscope.outcome`; terminal saga outcomes. */
import type { Outcome, SagaOutcome } from '@eventscope/contract';
export { OUTCOMES, type Outcome, type SagaOutcome } from '@eventscope/contract';
/** Status as reported: terminal, or in-flight / stuck (derived from the last activity). */
export type SagaStatus = 'in_flight' | 'completed' | 'compensated' | 'failed' | 'stuck';
export const SAGA_STATUSES: readonly SagaStatus[] = ['in_flight', 'completed', 'compensated', 'failed', 'stuck'];

/** A record published to a topic (a producer `send` span). */
export interface Publish {
  eventId: string | null;
  eventType: string | null;
  correlationId: string | null;
  causationId: string | null;
  topic: string;
  partition: number | null;
  offset: number | null;
  /** Producer span start: when the service handed the record to the client. */
  timeUs: number;
  /** Producer span end: when the send was acknowledged. */
  endUs: number;
  service: string;
  traceId: string;
  spanId: string;
  /** Set by flows/: the saga this event belongs to starts a saga of this type. */
  sagaType: string | null;
  /** Set by flows/: the event is a compensation step. */
  compensation: boolean;
  /** Set by flows/: processing this event ends the saga with this outcome ('failed' may become 'compensated'). */
  terminal: SagaOutcome | null;
}

/** One consumer group's processing of one record (a consumer `process` span). */
export interface Delivery {
  eventId: string | null;
  eventType: string | null;
  correlationId: string | null;
  topic: string;
  partition: number | null;
  offset: number | null;
  group: string;
  service: string;
  startUs: number;
  endUs: number;
  outcome: Outcome;
  attempt: number;
  dlqTopic: string | null;
  traceId: string;
  spanId: string;
  /** The record's `causation-id`: the event that caused it (the loss audit follows it back). */
  causationId?: string | null;
  /** The producer span this delivery came from: its span link (eachBatch) or its parent (eachMessage). */
  originSpanId: string | null;
  /** That producer span's trace (the link's; the delivery's own for a parent). Used at ingest, not stored. */
  originTraceId?: string | null;
  /** Set by flows/ (from the event type): processing this event ends the saga. */
  terminal: SagaOutcome | null;
  compensation: boolean;
  /**
   * Set by flows/ (from the event type, like Publish.sagaType): the saga type the event names.
   * A terminal delivery settles the saga's type, whichever publish arrived first.
   */
  sagaType?: string | null;
}

/** A record seen on a topic (tap, or learnt from a span carrying its offset). */
export interface RecordRef {
  topic: string;
  partition: number;
  offset: number;
  timestampUs: number;
  eventId: string | null;
  correlationId: string | null;
}

export interface IngestBatch {
  publishes: Publish[];
  deliveries: Delivery[];
  records: RecordRef[];
}

/** Facts the store derives while ingesting, for metrics. */
export interface IngestResult {
  /** Deliveries whose publish is now known (whichever arrived second): per-hop timings. */
  hopTimings: { topic: string; group: string; service: string; queueUs: number; processingUs: number }[];
  /** A second (or later) `processed` delivery of one event id by one group. */
  duplicates: { eventId: string; group: string }[];
  /** Sagas that reached a terminal state in this batch. */
  sagasEnded: { correlationId: string; sagaType: string; outcome: SagaOutcome; endToEndUs: number | null }[];
  /**
   * Sagas whose end was already reported (in `sagasEnded` of this or an earlier batch) and whose
   * outcome changed since: a compensation that arrived after `failed` turns it `compensated`.
   * Counting ends and these changes gives the sagas by their current outcome, as the lists show.
   */
  sagasChanged: { correlationId: string; sagaType: string; from: SagaOutcome; to: SagaOutcome }[];
}

export interface SagaSummary {
  correlationId: string;
  sagaType: string | null;
  firstUs: number;
  lastUs: number;
  /** Terminal outcome when a terminal event was processed; null while running. */
  outcome: SagaOutcome | null;
  terminalEventType: string | null;
  terminalUs: number | null;
  endToEndUs: number | null;
  hops: number;
  compensations: number;
  dlqSteps: number;
}

export interface SagaFilter {
  status?: SagaStatus;
  sagaType?: string;
  /** Sagas that started at or after / before these times. */
  fromUs?: number;
  toUs?: number;
  /** Correlation id prefix. */
  correlationIdPrefix?: string;
  /** Sagas a consumer group took part in (has a delivery of). */
  group?: string;
  /** Now and the stuck threshold decide in-flight vs stuck. */
  nowUs: number;
  stuckAfterUs: number;
  limit: number;
  /** Keyset cursor from a previous page. */
  cursor?: string;
}

/** What `sagaCounts` counts: the filters of a saga page that select sagas (no status, no paging). */
export type SagaCountFilter = Omit<SagaFilter, 'status' | 'limit' | 'cursor'>;

export interface SagaPage {
  items: SagaSummary[];
  nextCursor: string | null;
}

export interface EventHops {
  publishes: Publish[];
  deliveries: Delivery[];
  records: RecordRef[];
}

export interface DuplicateEntry {
  eventId: string;
  group: string;
  count: number;
  firstUs: number;
  lastUs: number;
}

/**
 * What the loss audit concluded about a record a group committed past without a delivery span:
 * `skipped` (evidence the group did not process it: loss), `telemetry-missing` (evidence it was
 * processed, its span is what was lost), `unknown` (no evidence either way, yet or for good).
 */
export type FindingClass = 'skipped' | 'telemetry-missing' | 'unknown';
export const FINDING_CLASSES: readonly FindingClass[] = ['skipped', 'telemetry-missing', 'unknown'];
/**
 * Why: `pending` (open, waiting for evidence); `late-span` (the group's delivery span arrived
 * after the grace period); `caused-event` (an event whose causation id is this record's event id
 * was published by the group's service, or by a producer whose span is lost too); `offset-reset`
 * (the committed offset moved past it while the group had no members); `no-effect` (the group's
 * neighbouring records caused events, this one caused none within the decision window);
 * `no-evidence` (a group whose records cause no events: nothing to tell by); `group-ended` (the
 * group ended before evidence came).
 */
export type FindingReason =
  'pending' | 'late-span' | 'caused-event' | 'offset-reset' | 'no-effect' | 'no-evidence' | 'group-ended';
export const FINDING_REASONS: readonly FindingReason[] = [
  'pending',
  'late-span',
  'caused-event',
  'offset-reset',
  'no-effect',
  'no-evidence',
  'group-ended',
];

/** A record a group committed past with no delivery and no DLQ copy (a loss audit finding). */
export interface UnaccountedEntry {
  group: string;
  topic: string;
  partition: number;
  offset: number;
  eventId: string | null;
  correlationId: string | null;
  detectedUs: number;
  class: FindingClass;
  reason: FindingReason;
  /** The service that consumes for the group (from its other deliveries), when known. */
  service: string | null;
  /** When the class became final; null while the finding is open (`unknown`, `pending`). */
  decidedUs: number | null;
}

/** Which finding: the record of one group. */
export interface FindingKey {
  group: string;
  topic: string;
  partition: number;
  offset: number;
}

/** The decision on one finding (its key and what was concluded). */
export interface FindingDecision {
  group: string;
  topic: string;
  partition: number;
  offset: number;
  class: FindingClass;
  reason: FindingReason;
  service: string | null;
  decidedUs: number;
}

/** What the store knows that tells whether a finding's record was processed (flows/audit.ts decides). */
export interface FindingEvidence {
  /** The group has a delivery of the record now, or dead-lettered it (a span that came late). */
  delivered: boolean;
  /**
   * The group processed the same event from another record (same event id, another offset: a
   * producer's retry wrote it twice): the event is accounted for, whatever became of this copy.
   */
  copyProcessed: boolean;
  /**
   * Events caused by the record (causation id = its event id): the publishing service of each,
   * or null when only a delivery of the caused event is known (its publish span is lost too).
   */
  causedBy: (string | null)[];
  /** Services that processed the group's neighbouring records on the partition. */
  services: string[];
  /** Neighbouring records the group processed (up to a few), and how many of them caused an event. */
  neighbours: number;
  neighboursWithEffects: number;
}

/** Findings per class, group, topic and service (the API's and the overview's counts). */
export interface FindingCount {
  class: FindingClass;
  group: string;
  topic: string;
  service: string | null;
  count: number;
}

export interface InstrumentedPartition {
  group: string;
  topic: string;
  partition: number;
  /** Lowest offset with a delivery by the group: auditing starts there. */
  firstOffset: number;
}

export interface StoreStats {
  bytes: number;
  rows: { publishes: number; deliveries: number; records: number; sagas: number };
  /** Wall-clock second the newest publish or delivery was stored; null when none is. */
  lastHopIngestS: number | null;
}

export interface RetentionPolicy {
  nowUs: number;
  maxAgeUs: number;
  maxBytes: number;
}

/** One row of the audit log of state changes (and refused attempts). */
export interface AuditEntry {
  /** Increasing with insertion: the page cursor. */
  id: number;
  timeUs: number;
  /** A token's name or a session's user; `anonymous` when nobody was authenticated. */
  subject: string;
  role: 'viewer' | 'operator' | null;
  via: 'token' | 'session' | null;
  action: string;
  target: string;
  result: string;
  detail: string | null;
  remoteAddress: string;
  userAgent: string | null;
}

export interface AuditLogQuery {
  limit: number;
  /** Only rows with a smaller id (the previous page's last id). */
  beforeId?: number;
}

export interface Store {
  readonly kind: string;
  ingest(batch: IngestBatch): Promise<IngestResult>;
  /** Publishes, deliveries and records of one event id, joined by event id, (topic, partition, offset) and origin span. */
  event(eventId: string): Promise<EventHops>;
  /** Hops whose span belongs to this trace. */
  trace(traceId: string): Promise<{ publishes: Publish[]; deliveries: Delivery[] }>;
  saga(correlationId: string): Promise<{ summary: SagaSummary; hops: EventHops } | undefined>;
  sagas(filter: SagaFilter): Promise<SagaPage>;
  /**
   * How many sagas `sagas` would list under each status with these filters: the same query
   * path, so a count and the list it links to agree.
   */
  sagaCounts(filter: SagaCountFilter): Promise<Record<SagaStatus, number>>;
  /** Which kinds of id `q` is: an event id, a trace id, a correlation id. */
  search(q: string): Promise<{ event: boolean; trace: boolean; saga: boolean }>;
  /** Event ids (of publishes and deliveries) starting with `prefix`, in order, at most `limit`. */
  eventIdsByPrefix(prefix: string, limit: number): Promise<string[]>;
  /**
   * The record at (topic, partition, offset), as far as spans and the tap saw it: the record
   * (with its event id when any hop or the tap carried one) and the deliveries at that position.
   */
  recordAt(
    topic: string,
    partition: number,
    offset: number,
  ): Promise<{ record: RecordRef | null; deliveries: Delivery[] }>;
  /** Partitions each instrumented group has deliveries on, with the lowest offset delivered. */
  instrumentedGroups(): Promise<InstrumentedPartition[]>;
  /**
   * Records of a partition in [fromOffset, toOffset) with a timestamp before `seenBeforeUs`
   * that the group has no delivery of and that were not published to `<group>.dlq`.
   * `nextCheckpoint`: where the next check starts (the first record still inside the grace
   * period, or the end of the range / the record after the last one returned when limited).
   */
  unaccountedCandidates(q: {
    group: string;
    topic: string;
    partition: number;
    fromOffset: number;
    toOffset: number;
    seenBeforeUs: number;
    limit: number;
  }): Promise<{ records: RecordRef[]; nextCheckpoint: number }>;
  /** Stores new findings (open: `unknown`, `pending`); one per (group, topic, partition, offset). Returns how many were new. */
  addUnaccounted(entries: UnaccountedEntry[]): Promise<number>;
  /** Open findings (not decided yet), oldest first. */
  openFindings(limit: number): Promise<UnaccountedEntry[]>;
  /** The evidence on one finding's record (see FindingEvidence). */
  findingEvidence(f: UnaccountedEntry): Promise<FindingEvidence>;
  /** Records decisions; a finding already decided keeps its first decision. Returns the decisions that took effect. */
  decideFindings(decisions: FindingDecision[]): Promise<FindingDecision[]>;
  /** Findings per class, group, topic and service. */
  findingCounts(): Promise<FindingCount[]>;
  /** Removes open findings that turned out to be no finding (their event was processed from a copy). Returns how many. */
  withdrawFindings(keys: FindingKey[]): Promise<number>;
  auditCheckpoint(group: string, topic: string, partition: number): Promise<number | undefined>;
  setAuditCheckpoint(group: string, topic: string, partition: number, offset: number): Promise<void>;
  duplicates(limit: number): Promise<DuplicateEntry[]>;
  /** Findings, newest first; only those of one class when given. */
  unaccounted(limit: number, cls?: FindingClass): Promise<UnaccountedEntry[]>;
  /** Sagas without a terminal outcome and no activity since `beforeUs`, not reported stuck yet; marks them reported. */
  takeNewlyStuck(beforeUs: number, limit: number): Promise<SagaSummary[]>;
  /**
   * Ended sagas whose end was held back by `ingest` (the terminal event was processed before
   * the saga's first event, one without a causation id, had arrived) and that have had no
   * activity since `beforeUs`: reported now with what is known; marks them reported.
   */
  takeHeldEnds(beforeUs: number, limit: number): Promise<IngestResult['sagasEnded']>;
  /** Appends one audit log row; returns its id. */
  addAuditEntry(entry: Omit<AuditEntry, 'id'>): Promise<number>;
  /** Audit log rows, newest first. */
  auditLog(q: AuditLogQuery): Promise<AuditEntry[]>;
  stats(): Promise<StoreStats>;
  /** Deletes by age, then the oldest rows while larger than maxBytes. Returns rows deleted. */
  enforceRetention(policy: RetentionPolicy): Promise<number>;
  close(): Promise<void>;
}
