/**
 * What the SQLite store answers about flows: one event's hops, one trace, one saga, a page of
 * sagas, what an id names; and the access audit log.
 */
import type { Statement } from 'better-sqlite3';
import type {
  AuditEntry,
  AuditLogQuery,
  Delivery,
  EventHops,
  Publish,
  RecordRef,
  SagaCountFilter,
  SagaFilter,
  SagaPage,
  SagaStatus,
  SagaSummary,
} from './types.ts';
import {
  hexBuf,
  toAuditEntry,
  toDelivery,
  toPublish,
  toRecord,
  toSaga,
  type DeliveryRow,
  type PublishRow,
  type SagaRow,
  type TracePlace,
} from './sqlite-rows.ts';
import type { Conn } from './sqlite-statements.ts';

/** Every hop of one event: its publishes, its records, and deliveries by id, by position or by producer span. */
export function eventHops(c: Conn, eventId: string): EventHops {
  const s = c.s;
  const publishes = s.publishesByEvent.all(eventId).map(toPublish);
  const records = s.recordsByEvent.all(eventId).map(toRecord);
  const deliveries = new Map<string, Delivery>();
  for (const r of s.deliveriesByEvent.all(eventId)) deliveries.set(r.span_id.toString('hex'), toDelivery(r));
  // Deliveries that carry no event id: by position, then by producer span.
  for (const rec of records) {
    for (const r of s.deliveriesByTpo.all(rec.topic, rec.partition, rec.offset)) {
      if (r.event_id === null || r.event_id === eventId) {
        const d = toDelivery(r);
        d.eventId = eventId;
        deliveries.set(d.spanId, d);
      }
    }
  }
  for (const p of publishes) {
    for (const r of s.deliveriesByOrigin.all(hexBuf(p.spanId))) {
      const d = toDelivery(r);
      d.eventId = eventId;
      deliveries.set(d.spanId, d);
    }
  }
  return {
    publishes,
    deliveries: [...deliveries.values()].sort((a, b) => a.startUs - b.startUs),
    records,
  };
}

export function traceHops(c: Conn, traceId: string): { publishes: Publish[]; deliveries: Delivery[] } {
  const s = c.s;
  const id = hexBuf(traceId);
  const publishes = new Map<string, PublishRow>();
  const deliveries = new Map<string, DeliveryRow>();
  // Each saga the trace touched through the saga's index; spans without a saga by time range.
  const collect = <R extends { span_id: Buffer }>(
    t: TracePlace,
    bySaga: Statement<[corr: string, traceId: Buffer], R>,
    byTime: Statement<[fromUs: number, toUs: number, traceId: Buffer], R>,
    into: Map<string, R>,
  ) => {
    const rows = t.corr !== '' ? bySaga.all(t.corr, id) : byTime.all(t.first_us, t.last_us, id);
    for (const r of rows) into.set(r.span_id.toString('hex'), r);
  };
  for (const t of s.tracePlaces.all(id)) {
    collect(t, s.publishesByTraceInSaga, s.publishesByTraceInTime, publishes);
    collect(t, s.deliveriesByTraceInSaga, s.deliveriesByTraceInTime, deliveries);
  }
  return traceResult(publishes, deliveries);
}

/** A trace's hops, collected by span id, in time order, at most 5,000 of each. */
export function traceResult(
  publishes: Map<string, PublishRow>,
  deliveries: Map<string, DeliveryRow>,
): { publishes: Publish[]; deliveries: Delivery[] } {
  return {
    publishes: [...publishes.values()]
      .sort((a, b) => a.time_us - b.time_us)
      .slice(0, 5000)
      .map(toPublish),
    deliveries: [...deliveries.values()]
      .sort((a, b) => a.start_us - b.start_us)
      .slice(0, 5000)
      .map(toDelivery),
  };
}

export function sagaHops(c: Conn, correlationId: string): { summary: SagaSummary; hops: EventHops } | undefined {
  const row = c.s.saga.get(correlationId);
  if (!row) return undefined;
  const s = c.s;
  const publishes = s.publishesByCorr.all(correlationId).map(toPublish);
  const deliveries = new Map<string, Delivery>();
  for (const r of s.deliveriesByCorr.all(correlationId)) {
    deliveries.set(r.span_id.toString('hex'), toDelivery(r));
  }
  const records: RecordRef[] = [];
  const seen = new Set<string>();
  for (const p of publishes) {
    if (p.eventId === null || seen.has(p.eventId)) continue;
    seen.add(p.eventId);
    const hops = eventHops(c, p.eventId);
    for (const d of hops.deliveries) deliveries.set(d.spanId, d);
    records.push(...hops.records);
  }
  return {
    summary: toSaga(row),
    hops: { publishes, deliveries: [...deliveries.values()].sort((a, b) => a.startUs - b.startUs), records },
  };
}

/**
 * The WHERE of the saga list and of its counts (one query path: a count and the list it
 * links to select the same sagas): type, start time, correlation id prefix.
 */
function sagaWhere(f: SagaCountFilter, where: string[], args: (string | number)[]): void {
  if (f.sagaType !== undefined) {
    where.push('saga_type = ?');
    args.push(f.sagaType);
  }
  if (f.fromUs !== undefined) {
    where.push('first_us >= ?');
    args.push(f.fromUs);
  }
  if (f.toUs !== undefined) {
    where.push('first_us < ?');
    args.push(f.toUs);
  }
  if (f.correlationIdPrefix !== undefined && f.correlationIdPrefix !== '') {
    where.push('substr(correlation_id, 1, ?) = ?');
    args.push(f.correlationIdPrefix.length, f.correlationIdPrefix);
  }
  if (f.group !== undefined) {
    where.push('EXISTS (SELECT 1 FROM deliveries d WHERE d.correlation_id = sagas.correlation_id AND d.grp = ?)');
    args.push(f.group);
  }
}

/** Sagas per status under the list's filters; in-flight and stuck split as `sagaPage` splits them. */
export function sagaCounts(c: Conn, f: SagaCountFilter): Record<SagaStatus, number> {
  const where: string[] = [];
  const args: (string | number)[] = [f.nowUs - f.stuckAfterUs];
  sagaWhere(f, where, args);
  const sql = `SELECT CASE WHEN outcome IS NOT NULL THEN outcome WHEN last_us >= ? THEN 'in_flight' ELSE 'stuck' END
      AS status, count(*) AS n FROM sagas ${where.length ? `WHERE ${where.join(' AND ')}` : ''} GROUP BY 1`;
  const counts: Record<SagaStatus, number> = { in_flight: 0, completed: 0, compensated: 0, failed: 0, stuck: 0 };
  for (const r of c.db.prepare<(string | number)[], { status: string; n: number }>(sql).all(...args)) {
    if (Object.hasOwn(counts, r.status)) counts[r.status as SagaStatus] += r.n;
  }
  return counts;
}

/** A page of sagas, newest first; throws a RangeError for a cursor it did not hand out. */
export function sagaPage(c: Conn, f: SagaFilter): SagaPage {
  const where: string[] = [];
  const args: (string | number)[] = [];
  const stuckBefore = f.nowUs - f.stuckAfterUs;
  switch (f.status) {
    case undefined:
      break;
    case 'in_flight':
      where.push('outcome IS NULL AND last_us >= ?');
      args.push(stuckBefore);
      break;
    case 'stuck':
      where.push('outcome IS NULL AND last_us < ?');
      args.push(stuckBefore);
      break;
    default:
      where.push('outcome = ?');
      args.push(f.status);
  }
  sagaWhere(f, where, args);
  if (f.cursor !== undefined) {
    const sep = f.cursor.indexOf('~');
    const us = Number(f.cursor.slice(0, sep));
    if (sep < 1 || !Number.isSafeInteger(us)) throw new RangeError(`bad cursor ${f.cursor}`);
    where.push('(first_us, correlation_id) < (?, ?)');
    args.push(us, f.cursor.slice(sep + 1));
  }
  const sql = `SELECT * FROM sagas ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY first_us DESC, correlation_id DESC LIMIT ?`;
  const rows = c.db.prepare<(string | number)[], SagaRow>(sql).all(...args, f.limit + 1);
  const more = rows.length > f.limit;
  const items = rows.slice(0, f.limit).map(toSaga);
  const last = items.at(-1);
  return { items, nextCursor: more && last ? `${last.firstUs}~${last.correlationId}` : null };
}

/**
 * Event ids starting with `prefix`: the range [prefix, prefix + U+FFFF) of the event id
 * indexes of publishes and deliveries (ids are ASCII), in order.
 */
export function eventIdsByPrefix(c: Conn, prefix: string, limit: number): string[] {
  const sql = `SELECT event_id FROM publishes WHERE event_id >= ? AND event_id < ?
    UNION SELECT event_id FROM deliveries WHERE event_id >= ? AND event_id < ?
    ORDER BY 1 LIMIT ?`;
  const end = `${prefix}\uffff`;
  return c.db
    .prepare<[string, string, string, string, number], { event_id: string }>(sql)
    .all(prefix, end, prefix, end, limit)
    .map((r) => r.event_id);
}

/** What `q` names: an event, a trace (32 hex digits), a saga. */
/** The record at one position and the deliveries there (for a lookup by coordinates, e.g. from DLQ headers). */
export function recordAt(
  c: Conn,
  topic: string,
  partition: number,
  offset: number,
): { record: RecordRef | null; deliveries: Delivery[] } {
  const rec = c.s.recordByTpo.get(topic, partition, offset);
  const deliveries = c.s.deliveriesByTpo.all(topic, partition, offset).map(toDelivery);
  return { record: rec ? toRecord(rec) : null, deliveries: deliveries.sort((a, b) => a.startUs - b.startUs) };
}

export function search(c: Conn, q: string): { event: boolean; trace: boolean; saga: boolean } {
  const s = c.s;
  const trace = /^[0-9a-f]{32}$/i.test(q) ? s.existsTrace.get({ q: hexBuf(q) }) !== undefined : false;
  return {
    event: s.existsEvent.get({ q }) !== undefined,
    trace,
    saga: s.existsSaga.get(q) !== undefined,
  };
}

export function addAuditEntry(c: Conn, e: Omit<AuditEntry, 'id'>): number {
  const info = c.s.insAudit.run(
    e.timeUs,
    e.subject,
    e.role,
    e.via,
    e.action,
    e.target,
    e.result,
    e.detail,
    e.remoteAddress,
    e.userAgent,
  );
  return Number(info.lastInsertRowid);
}

/** A page of the audit log, newest first. */
export function auditPage(c: Conn, q: AuditLogQuery): AuditEntry[] {
  return c.s.auditPage.all(q.beforeId ?? Number.MAX_SAFE_INTEGER, q.limit).map(toAuditEntry);
}
