/**
 * What the PostgreSQL store answers about flows (one event's hops, one trace, one saga, a page
 * of sagas, what an id names) and the access audit log: the SQLite store's queries
 * (sqlite-queries.ts) in PostgreSQL's dialect, returning the same rows (sqlite-rows.ts).
 */
import type { Pool, PoolClient, QueryResult } from 'pg';
import type * as T from './types.ts';
import type { AuditRow, DeliveryRow, PublishRow, RecordRow, SagaRow, TracePlace } from './sqlite-rows.ts';
import { hexBuf, toAuditEntry, toDelivery, toPublish, toRecord, toSaga } from './sqlite-rows.ts';
import { traceResult } from './sqlite-queries.ts';

type Scalar = string | number | Buffer | null;
type Param = Scalar | readonly Scalar[];

/**
 * Text as PostgreSQL takes it: it refuses NUL characters (and JSON with lone surrogates), which
 * span attributes may carry; they become U+FFFD, in stored values and in lookups alike.
 */
export const pgText = (s: string): string =>
  // Most text has neither: one scan for the characters involved, the rewrite only when one is there.
  /[\0\uD800-\uDFFF]/.test(s)
    ? s.replace(/\0|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD')
    : s;

const pgParam = (p: Param): Param =>
  typeof p === 'string'
    ? pgText(p)
    : Array.isArray(p)
      ? p.map((x: Scalar) => (typeof x === 'string' ? pgText(x) : x))
      : p;

/**
 * JSON.stringify writes a NUL as `\u0000` and a lone surrogate as `\udXXX` (paired ones as
 * they are): text with none of these escapes holds no character `pgText` would change.
 */
const NEEDS_PG_TEXT = /\\u(?:0000|d[89a-f])/i;

/**
 * Rows as one JSON parameter for json_populate_recordset (a batch insert in one statement).
 * Written without a replacer (V8's fast path) and again with `pgText` on every string only when
 * the first text has an escape that may stand for a NUL or a lone surrogate.
 */
export const pgJson = (rows: readonly object[]): string => {
  const json = JSON.stringify(rows);
  return NEEDS_PG_TEXT.test(json)
    ? JSON.stringify(rows, (_key, value: unknown) => (typeof value === 'string' ? pgText(value) : value))
    : json;
};

/** Runs one query with its text parameters made acceptable (`pgText`). */
export function q<R extends object = Record<string, unknown>>(
  c: Pool | PoolClient,
  sql: string,
  params: Param[] = [],
): Promise<QueryResult<R>> {
  return c.query<R>(sql, params.map(pgParam));
}

/** Runs one query on the pool and returns its rows. */
export async function rowsOf<R extends object>(pool: Pool, sql: string, params: Param[] = []): Promise<R[]> {
  return (await q<R>(pool, sql, params)).rows;
}

/**
 * Runs one of the lookups by id as a prepared statement named `name` (one name per text):
 * each connection plans it once and keeps the plan, or, where the plan depends on the partitions
 * the parameters select, plans only those (figure 3 on PostgreSQL: planning over every partition
 * was most of an unprepared lookup's server time). New partitions invalidate a plan; PostgreSQL
 * plans it again.
 */
async function preparedRows<R extends object>(pool: Pool, name: string, text: string, params: Param[]): Promise<R[]> {
  return (await pool.query<R>({ name, text, values: params.map(pgParam) })).rows;
}

/** One event's rows of each hop table, as json_agg gives them (bytea as '\\x…' text). */
interface EventRows {
  pubs: Record<string, unknown>[];
  recs: Record<string, unknown>[];
  dels: Record<string, unknown>[];
  un_lo: number | null;
  un_hi: number | null;
}

/** json_agg's rows with their bytea columns as Buffers again, the shape the row mappers take. */
function fromJson<R>(rows: Record<string, unknown>[], bytea: readonly string[]): R[] {
  for (const r of rows) {
    for (const k of bytea) {
      const v = r[k];
      r[k] = typeof v === 'string' ? Buffer.from(v.slice(2), 'hex') : null;
    }
  }
  return rows as R[];
}

/**
 * Every hop of one event: its publishes, its records, and deliveries by id, by position or by
 * producer span. One statement reads the event's entry in `event_partitions` (ADR 0007) and, per
 * hop table, only the partitions it names (pruned as the statement runs), the rows as json_agg
 * arrays: one round trip on one connection, where the entry and then three queries side by side
 * took two round trips on three (figure 3 on PostgreSQL at 10M events, interleaved: store.event
 * p50 0.48 -> 0.33 ms, p99 1.4 -> 0.8 ms). Deliveries without an event id (found by position or
 * producer span) can only be in the partitions that hop_partitions counts them in, and none is
 * read when there are none.
 */
export async function eventHops(pool: Pool, eventId: string): Promise<T.EventHops> {
  const [w] = await preparedRows<EventRows>(
    pool,
    'event_rows',
    `SELECT
      (SELECT coalesce(json_agg(p ORDER BY p.time_us, p.seq), '[]'::json) FROM publishes p
        WHERE p.event_id = $1 AND p.seq >= e.pub_lo AND p.seq < e.pub_hi) AS pubs,
      (SELECT coalesce(json_agg(r), '[]'::json) FROM records r
        WHERE r.event_id = $1 AND r.seq >= e.rec_lo AND r.seq < e.rec_hi) AS recs,
      (SELECT coalesce(json_agg(d ORDER BY d.start_us, d.seq), '[]'::json) FROM deliveries d
        WHERE d.event_id = $1 AND d.seq >= e.del_lo AND d.seq < e.del_hi) AS dels,
      u.lo AS un_lo, u.hi AS un_hi
    FROM (SELECT min(lo) AS lo, max(hi) AS hi FROM hop_partitions WHERE tbl = 'deliveries' AND unresolved > 0) u
    LEFT JOIN event_partitions e ON e.event_id = $1`,
    [eventId],
  );
  if (!w) throw new Error("the lookup of an event's rows returned no row");
  const publishes = fromJson<PublishRow>(w.pubs, ['trace_id', 'span_id']).map(toPublish);
  const records = fromJson<RecordRow>(w.recs, []).map(toRecord);
  const delRows = fromJson<DeliveryRow>(w.dels, ['trace_id', 'span_id', 'origin_span_id']);
  const deliveries = new Map<string, T.Delivery>();
  for (const r of delRows) deliveries.set(r.span_id.toString('hex'), toDelivery(r));
  const sorted = (): T.Delivery[] => [...deliveries.values()].sort((a, b) => a.startUs - b.startUs);
  const { un_lo: lo, un_hi: hi } = w;
  if (lo === null || hi === null) return { publishes, deliveries: sorted(), records };
  // Deliveries that carry no event id: by position, then by producer span, applied in that order.
  const [atRecords, byOrigin] = await Promise.all([
    Promise.all(
      records.map((rec) =>
        preparedRows<DeliveryRow>(
          pool,
          'event_deliveries_at',
          `SELECT * FROM deliveries WHERE topic = $1 AND part = $2 AND off = $3 AND seq >= $4 AND seq < $5`,
          [rec.topic, rec.partition, rec.offset, lo, hi],
        ),
      ),
    ),
    Promise.all(
      publishes.map((p) =>
        preparedRows<DeliveryRow>(
          pool,
          'event_deliveries_by_origin',
          `SELECT * FROM deliveries WHERE origin_span_id = $1 AND event_id IS NULL AND seq >= $2 AND seq < $3`,
          [hexBuf(p.spanId), lo, hi],
        ),
      ),
    ),
  ]);
  for (const rows of atRecords) {
    for (const r of rows) {
      if (r.event_id === null || r.event_id === eventId) {
        const d = toDelivery(r);
        d.eventId = eventId;
        deliveries.set(d.spanId, d);
      }
    }
  }
  for (const rows of byOrigin) {
    for (const r of rows) {
      const d = toDelivery(r);
      d.eventId = eventId;
      deliveries.set(d.spanId, d);
    }
  }
  return { publishes, deliveries: sorted(), records };
}

export async function traceHops(
  pool: Pool,
  traceId: string,
): Promise<{ publishes: T.Publish[]; deliveries: T.Delivery[] }> {
  const id = hexBuf(traceId);
  const publishes = new Map<string, PublishRow>();
  const deliveries = new Map<string, DeliveryRow>();
  // Each saga the trace touched through the saga's index; spans without a saga by time range.
  for (const t of await rowsOf<TracePlace>(pool, `SELECT corr, first_us, last_us FROM traces WHERE trace_id = $1`, [
    id,
  ])) {
    const [pubs, dels] =
      t.corr !== ''
        ? await Promise.all([
            rowsOf<PublishRow>(pool, `SELECT * FROM publishes WHERE correlation_id = $1 AND trace_id = $2 LIMIT 5000`, [
              t.corr,
              id,
            ]),
            rowsOf<DeliveryRow>(
              pool,
              `SELECT * FROM deliveries WHERE correlation_id = $1 AND trace_id = $2 LIMIT 5000`,
              [t.corr, id],
            ),
          ])
        : await Promise.all([
            rowsOf<PublishRow>(
              pool,
              `SELECT * FROM publishes WHERE time_us BETWEEN $1 AND $2 AND trace_id = $3 LIMIT 5000`,
              [t.first_us, t.last_us, id],
            ),
            rowsOf<DeliveryRow>(
              pool,
              `SELECT * FROM deliveries WHERE start_us BETWEEN $1 AND $2 AND trace_id = $3 LIMIT 5000`,
              [t.first_us, t.last_us, id],
            ),
          ]);
    for (const r of pubs) publishes.set(r.span_id.toString('hex'), r);
    for (const r of dels) deliveries.set(r.span_id.toString('hex'), r);
  }
  return traceResult(publishes, deliveries);
}

export async function sagaHops(
  pool: Pool,
  correlationId: string,
): Promise<{ summary: T.SagaSummary; hops: T.EventHops } | undefined> {
  const [row] = await rowsOf<SagaRow>(pool, `SELECT * FROM sagas WHERE correlation_id = $1`, [correlationId]);
  if (!row) return undefined;
  const [pubRows, delRows] = await Promise.all([
    rowsOf<PublishRow>(pool, `SELECT * FROM publishes WHERE correlation_id = $1 ORDER BY time_us, seq LIMIT 5000`, [
      correlationId,
    ]),
    rowsOf<DeliveryRow>(pool, `SELECT * FROM deliveries WHERE correlation_id = $1 ORDER BY start_us, seq LIMIT 5000`, [
      correlationId,
    ]),
  ]);
  const publishes = pubRows.map(toPublish);
  const deliveries = new Map<string, T.Delivery>();
  for (const r of delRows) deliveries.set(r.span_id.toString('hex'), toDelivery(r));
  const records: T.RecordRef[] = [];
  const seen = new Set<string>();
  for (const p of publishes) {
    if (p.eventId === null || seen.has(p.eventId)) continue;
    seen.add(p.eventId);
    const hops = await eventHops(pool, p.eventId);
    for (const d of hops.deliveries) deliveries.set(d.spanId, d);
    records.push(...hops.records);
  }
  return {
    summary: toSaga(row),
    hops: { publishes, deliveries: [...deliveries.values()].sort((a, b) => a.startUs - b.startUs), records },
  };
}

/** The WHERE of the saga list and of its counts (one query path, as in the SQLite store). */
function sagaWhere(f: T.SagaCountFilter, where: string[], args: Param[]): void {
  const arg = (v: Param): string => {
    args.push(v);
    return `$${args.length}`;
  };
  if (f.sagaType !== undefined) where.push(`saga_type = ${arg(f.sagaType)}`);
  if (f.fromUs !== undefined) where.push(`first_us >= ${arg(f.fromUs)}`);
  if (f.toUs !== undefined) where.push(`first_us < ${arg(f.toUs)}`);
  if (f.correlationIdPrefix !== undefined && f.correlationIdPrefix !== '') {
    // left() compares characters, whatever the prefix holds (no LIKE wildcards to escape).
    where.push(`left(correlation_id, ${arg(f.correlationIdPrefix.length)}) = ${arg(f.correlationIdPrefix)}`);
  }
  if (f.group !== undefined) {
    where.push(
      `EXISTS (SELECT 1 FROM deliveries d WHERE d.correlation_id = sagas.correlation_id AND d.grp = ${arg(f.group)})`,
    );
  }
}

export async function sagaCounts(pool: Pool, f: T.SagaCountFilter): Promise<Record<T.SagaStatus, number>> {
  const where: string[] = [];
  const args: Param[] = [f.nowUs - f.stuckAfterUs];
  sagaWhere(f, where, args);
  const sql = `SELECT CASE WHEN outcome IS NOT NULL THEN outcome WHEN last_us >= $1 THEN 'in_flight' ELSE 'stuck' END
      AS status, count(*) AS n FROM sagas ${where.length ? `WHERE ${where.join(' AND ')}` : ''} GROUP BY 1`;
  const counts: Record<T.SagaStatus, number> = { in_flight: 0, completed: 0, compensated: 0, failed: 0, stuck: 0 };
  for (const r of await rowsOf<{ status: string; n: number }>(pool, sql, args)) {
    if (Object.hasOwn(counts, r.status)) counts[r.status as T.SagaStatus] += r.n;
  }
  return counts;
}

/** A page of sagas, newest first; throws a RangeError for a cursor it did not hand out. */
export async function sagaPage(pool: Pool, f: T.SagaFilter): Promise<T.SagaPage> {
  const where: string[] = [];
  const args: Param[] = [];
  const arg = (v: Param): string => {
    args.push(v);
    return `$${args.length}`;
  };
  const stuckBefore = f.nowUs - f.stuckAfterUs;
  switch (f.status) {
    case undefined:
      break;
    case 'in_flight':
      where.push(`outcome IS NULL AND last_us >= ${arg(stuckBefore)}`);
      break;
    case 'stuck':
      where.push(`outcome IS NULL AND last_us < ${arg(stuckBefore)}`);
      break;
    default:
      where.push(`outcome = ${arg(f.status)}`);
  }
  sagaWhere(f, where, args);
  if (f.cursor !== undefined) {
    const sep = f.cursor.indexOf('~');
    const us = Number(f.cursor.slice(0, sep));
    if (sep < 1 || !Number.isSafeInteger(us)) throw new RangeError(`bad cursor ${f.cursor}`);
    where.push(`(first_us, correlation_id) < (${arg(us)}, ${arg(f.cursor.slice(sep + 1))})`);
  }
  const sql = `SELECT * FROM sagas ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY first_us DESC, correlation_id DESC LIMIT ${arg(f.limit + 1)}`;
  const rows = await rowsOf<SagaRow>(pool, sql, args);
  const more = rows.length > f.limit;
  const items = rows.slice(0, f.limit).map(toSaga);
  const last = items.at(-1);
  return { items, nextCursor: more && last ? `${last.firstUs}~${last.correlationId}` : null };
}

/**
 * Event ids starting with `prefix`: the range [prefix, prefix + U+FFFF) of the event id indexes
 * (the column's collation is "C", byte order, as in SQLite), in order.
 */
export async function eventIdsByPrefix(pool: Pool, prefix: string, limit: number): Promise<string[]> {
  const rows = await rowsOf<{ event_id: string }>(
    pool,
    `SELECT event_id FROM publishes WHERE event_id >= $1 AND event_id < $2
    UNION SELECT event_id FROM deliveries WHERE event_id >= $1 AND event_id < $2
    ORDER BY 1 LIMIT $3`,
    [prefix, `${prefix}\uffff`, limit],
  );
  return rows.map((r) => r.event_id);
}

/** The record at one position and the deliveries there. */
export async function recordAt(
  pool: Pool,
  topic: string,
  partition: number,
  offset: number,
): Promise<{ record: T.RecordRef | null; deliveries: T.Delivery[] }> {
  const [recs, dels] = await Promise.all([
    rowsOf<RecordRow>(pool, `SELECT * FROM records WHERE topic = $1 AND part = $2 AND off = $3 LIMIT 1`, [
      topic,
      partition,
      offset,
    ]),
    rowsOf<DeliveryRow>(pool, `SELECT * FROM deliveries WHERE topic = $1 AND part = $2 AND off = $3`, [
      topic,
      partition,
      offset,
    ]),
  ]);
  const rec = recs[0];
  return {
    record: rec ? toRecord(rec) : null,
    deliveries: dels.map(toDelivery).sort((a, b) => a.startUs - b.startUs),
  };
}

/** What `q` names: an event, a trace (32 hex digits), a saga. */
export async function search(pool: Pool, q: string): Promise<{ event: boolean; trace: boolean; saga: boolean }> {
  const isTrace = /^[0-9a-f]{32}$/i.test(q);
  const [r] = await rowsOf<{ event: boolean; trace: boolean; saga: boolean }>(
    pool,
    `SELECT EXISTS (SELECT 1 FROM publishes WHERE event_id = $1)
        OR EXISTS (SELECT 1 FROM deliveries WHERE event_id = $1)
        OR EXISTS (SELECT 1 FROM records WHERE event_id = $1) AS event,
      ($2::bytea IS NOT NULL AND EXISTS (SELECT 1 FROM traces WHERE trace_id = $2)) AS trace,
      EXISTS (SELECT 1 FROM sagas WHERE correlation_id = $1) AS saga`,
    [q, isTrace ? hexBuf(q) : null],
  );
  return { event: r?.event ?? false, trace: r?.trace ?? false, saga: r?.saga ?? false };
}

export async function addAuditEntry(pool: Pool, e: Omit<T.AuditEntry, 'id'>): Promise<number> {
  const [r] = await rowsOf<{ id: number }>(
    pool,
    `INSERT INTO audit_log (time_us, subject, role, via, action, target, result, detail, remote_addr, user_agent)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`,
    [e.timeUs, e.subject, e.role, e.via, e.action, e.target, e.result, e.detail, e.remoteAddress, e.userAgent],
  );
  if (!r) throw new Error('the audit log insert returned no id');
  return r.id;
}

/** A page of the audit log, newest first. */
export async function auditPage(pool: Pool, q: T.AuditLogQuery): Promise<T.AuditEntry[]> {
  const rows = await rowsOf<AuditRow>(pool, `SELECT * FROM audit_log WHERE id < $1 ORDER BY id DESC LIMIT $2`, [
    q.beforeId ?? Number.MAX_SAFE_INTEGER,
    q.limit,
  ]);
  return rows.map(toAuditEntry);
}
