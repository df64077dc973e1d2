/**
 * The SQLite store's rows as its statements return them (snake_case columns, ids as blobs,
 * flags as 0/1) and their mapping to the store's domain types (types.ts). Text columns that
 * hold a union of types.ts (outcomes, finding classes and reasons) are typed as that union:
 * only this store writes them, from values of those types.
 */
import type {
  AuditEntry,
  Delivery,
  FindingClass,
  FindingReason,
  IngestResult,
  Outcome,
  Publish,
  RecordRef,
  SagaOutcome,
  SagaSummary,
} from './types.ts';

export const hexBuf = (hex: string): Buffer => Buffer.from(hex, 'hex');
const bufHex = (b: Buffer | null): string | null => (b ? b.toString('hex') : null);

export interface PublishRow {
  event_id: string | null;
  event_type: string | null;
  correlation_id: string | null;
  causation_id: string | null;
  topic: string;
  part: number | null;
  off: number | null;
  time_us: number;
  end_us: number;
  service: string;
  trace_id: Buffer;
  span_id: Buffer;
  saga_type: string | null;
  compensation: number;
  terminal: SagaOutcome | null;
}

export interface DeliveryRow {
  event_id: string | null;
  event_type: string | null;
  correlation_id: string | null;
  topic: string;
  part: number | null;
  off: number | null;
  grp: string;
  service: string;
  start_us: number;
  end_us: number;
  outcome: Outcome;
  attempt: number;
  dlq_topic: string | null;
  trace_id: Buffer;
  span_id: Buffer;
  origin_span_id: Buffer | null;
  terminal: SagaOutcome | null;
  compensation: number;
}

export interface TracePlace {
  corr: string;
  first_us: number;
  last_us: number;
}

export interface RecordRow {
  topic: string;
  part: number;
  off: number;
  ts_us: number;
  event_id: string | null;
  correlation_id: string | null;
}

export interface SagaRow {
  correlation_id: string;
  saga_type: string | null;
  first_us: number;
  first_is_publish: number;
  last_us: number;
  outcome: SagaOutcome | null;
  terminal_type: string | null;
  terminal_us: number | null;
  hops: number;
  compensations: number;
  dlq_steps: number;
  stuck_reported: number;
  updated_s: number;
  /** Time of the saga's root publish (one without a causation id), once it has arrived. */
  root_us: number | null;
  /** 1 while the saga has ended but its end is held back until the root publish arrives. */
  end_held: number;
}

export const toPublish = (r: PublishRow): Publish => ({
  eventId: r.event_id,
  eventType: r.event_type,
  correlationId: r.correlation_id,
  causationId: r.causation_id,
  topic: r.topic,
  partition: r.part,
  offset: r.off,
  timeUs: r.time_us,
  endUs: r.end_us,
  service: r.service,
  traceId: r.trace_id.toString('hex'),
  spanId: r.span_id.toString('hex'),
  sagaType: r.saga_type,
  compensation: r.compensation === 1,
  terminal: r.terminal,
});

export const toDelivery = (r: DeliveryRow): Delivery => ({
  eventId: r.event_id,
  eventType: r.event_type,
  correlationId: r.correlation_id,
  topic: r.topic,
  partition: r.part,
  offset: r.off,
  group: r.grp,
  service: r.service,
  startUs: r.start_us,
  endUs: r.end_us,
  outcome: r.outcome,
  attempt: r.attempt,
  dlqTopic: r.dlq_topic,
  traceId: r.trace_id.toString('hex'),
  spanId: r.span_id.toString('hex'),
  originSpanId: bufHex(r.origin_span_id),
  terminal: r.terminal,
  compensation: r.compensation === 1,
});

export const toRecord = (r: RecordRow): RecordRef => ({
  topic: r.topic,
  partition: r.part,
  offset: r.off,
  timestampUs: r.ts_us,
  eventId: r.event_id,
  correlationId: r.correlation_id,
});

export const toSaga = (r: SagaRow): SagaSummary => ({
  correlationId: r.correlation_id,
  sagaType: r.saga_type,
  firstUs: r.first_us,
  lastUs: r.last_us,
  outcome: r.outcome,
  terminalEventType: r.terminal_type,
  terminalUs: r.terminal_us,
  endToEndUs: r.terminal_us !== null && r.first_is_publish === 1 ? r.terminal_us - r.first_us : null,
  hops: r.hops,
  compensations: r.compensations,
  dlqSteps: r.dlq_steps,
});

/** A publish of an event as a delivery of it needs it: the earliest to the delivery's topic is used. */
export interface PublishTimeRow {
  time_us: number;
  topic: string;
  event_type: string | null;
  correlation_id: string | null;
  terminal: SagaOutcome | null;
  compensation: number;
}

/** A saga's end as ingest reports it (for metrics and live views). */
export function sagaEnd(r: SagaRow): IngestResult['sagasEnded'][number] {
  const s = toSaga(r);
  return {
    correlationId: s.correlationId,
    sagaType: s.sagaType ?? 'unknown',
    outcome: s.outcome as SagaOutcome,
    endToEndUs: s.endToEndUs,
  };
}

/** A publish found by its span id: what a delivery that only links to it takes from it. */
export interface PublishRefRow {
  event_id: string | null;
  event_type: string | null;
  correlation_id: string | null;
}

/** A delivery that arrived before its publish, timed once the publish arrives. */
export interface EarlyDeliveryRow {
  grp: string;
  service: string;
  start_us: number;
  end_us: number;
}

export interface GroupPartitionRow {
  grp: string;
  topic: string;
  part: number;
  first_off: number;
}

export interface DuplicateRow {
  event_id: string;
  grp: string;
  count: number;
  first_us: number;
  last_us: number;
}

export interface UnaccountedRow {
  grp: string;
  topic: string;
  part: number;
  off: number;
  event_id: string | null;
  correlation_id: string | null;
  detected_us: number;
  class: FindingClass;
  reason: FindingReason;
  service: string | null;
  decided_us: number | null;
}

export interface FindingCountRow {
  class: FindingClass;
  grp: string;
  topic: string;
  service: string | null;
  n: number;
}

export interface AuditRow {
  id: number;
  time_us: number;
  subject: string;
  role: AuditEntry['role'];
  via: AuditEntry['via'];
  action: string;
  target: string;
  result: string;
  detail: string | null;
  remote_addr: string;
  user_agent: string | null;
}

export const toAuditEntry = (r: AuditRow): AuditEntry => ({
  id: r.id,
  timeUs: r.time_us,
  subject: r.subject,
  role: r.role,
  via: r.via,
  action: r.action,
  target: r.target,
  result: r.result,
  detail: r.detail,
  remoteAddress: r.remote_addr,
  userAgent: r.user_agent,
});
