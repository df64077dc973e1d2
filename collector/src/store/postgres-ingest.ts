/**
 * Ingest into the PostgreSQL store: the same joins and the same saga state machine as the
 * SQLite store (sqlite-ingest.ts, whose pure parts are reused), with the writes batched: the
 * batch's new publishes in one INSERT before the joins, its deliveries, records, traces, group
 * partitions, duplicates and sagas in one statement each at the end.
 *
 * Several collectors on one database: every ingest transaction first takes one transaction-level
 * advisory lock (`pg_advisory_xact_lock`, keyed by the schema), so batches from all collectors
 * apply one after another, each seeing every row the previous one committed — the same order of
 * effects as one SQLite writer. The saga rows a batch reads are therefore current, a span
 * retried to another collector is recognised as a retry, and a record is one row however many
 * collectors saw it. Reads take no lock. A deadlock or serialization failure is retried.
 */
import type { PoolClient } from 'pg';
import type { Delivery, IngestBatch, IngestResult, Publish, RecordRef, SagaSummary } from './types.ts';
import {
  adoptPublish,
  firstPublishTo,
  mergeRecord,
  mergeTrace,
  noteDelivery,
  publishJoinsSaga,
  resolveByPublish,
  resolveByRecord,
  sagaOnDelivery,
  timeEarlyDeliveries,
  type BatchWrites,
  type SagaSlot,
  type SagaSource,
} from './sqlite-ingest.ts';
import { hexBuf, sagaEnd, toDelivery, toSaga } from './sqlite-rows.ts';
import type {
  DeliveryRow,
  EarlyDeliveryRow,
  PublishRefRow,
  PublishTimeRow,
  SagaRow,
  TracePlace,
} from './sqlite-rows.ts';
import { HOP_TABLES, type HopTable } from './postgres-schema.ts';
import { pgJson, q } from './postgres-queries.ts';

/** The lock every ingest transaction (and retention's drops) holds: one writer at a time per store. */
export const INGEST_LOCK = `SELECT pg_advisory_xact_lock(hashtext('eventscope:ingest:' || current_schema()))`;

/** `\x...`: how bytea is written inside a JSON document that json_populate_recordset reads. */
const byteaText = (b: Buffer): string => `\\x${b.toString('hex')}`;

/** The saga machine never reads through this: every slot is loaded (`loadSagas`) before it runs. */
const NO_READS: SagaSource = {
  s: {
    saga: {
      get(id: string): SagaRow | undefined {
        throw new Error(`saga ${id} was not loaded before the saga state machine ran`);
      },
    },
  },
};

const PUBLISH_COLUMNS =
  'ingest_s, event_id, event_type, correlation_id, causation_id, topic, part, off, time_us, end_us, service, trace_id, span_id, saga_type, compensation, terminal';
const DELIVERY_COLUMNS =
  'ingest_s, event_id, event_type, correlation_id, topic, part, off, grp, service, start_us, end_us, outcome, attempt, dlq_topic, trace_id, span_id, origin_span_id, terminal, compensation, causation_id';

/** The columns of `event_partitions` that hold a hop table's partitions ([lo, hi) of seq). */
const EVENT_RANGE: Record<HopTable, { lo: string; hi: string }> = {
  publishes: { lo: 'pub_lo', hi: 'pub_hi' },
  deliveries: { lo: 'del_lo', hi: 'del_hi' },
  records: { lo: 'rec_lo', hi: 'rec_hi' },
};

/**
 * CTEs (`src`, `parts`, `ahead`, `idx`) that add the partitions of `table` holding `rows` (a CTE
 * or subquery with seq, ingest_s, event_id: rows written or given an event id by this statement)
 * to their events' entries in `event_partitions` (ADR 0007).
 *
 * An event's hops reach the hop tables over seconds, in several batches. A new entry therefore
 * names, for every hop table, the partition being written and those created ahead of it (one
 * whole spare at least): the rows still to come land there, and the entry is written once. An
 * entry is written again only when rows land outside what it names (a late hop, rows given an id
 * late), and widened then; most rows of an event already indexed cost one read of its entry.
 * Updating entries per statement instead made PostgreSQL's CPU per span ~40% higher (figure 2).
 */
export const indexEvents = (table: HopTable, rows: string): string => {
  const own = EVENT_RANGE[table];
  const range = (t: HopTable): string => {
    const { lo, hi } = EVENT_RANGE[t];
    return t === table ? `least(plo.lo, w.${lo}), greatest(phi.hi, w.${hi})` : `w.${lo}, w.${hi}`;
  };
  const ahead = (t: HopTable): string => {
    const { lo, hi } = EVENT_RANGE[t];
    return `coalesce(max(lo) FILTER (WHERE tbl = '${t}' AND rows > 0), min(lo) FILTER (WHERE tbl = '${t}')) AS ${lo},
      max(hi) FILTER (WHERE tbl = '${t}') AS ${hi}`;
  };
  // The partitions the rows are in (one or two of a batch's, a few more for rows given an id
  // late): mapped once, not looked up per event.
  return `src AS (SELECT seq, ingest_s, event_id FROM ${rows} r WHERE event_id IS NOT NULL),
  parts AS (SELECT lo, hi FROM hop_partitions
            WHERE tbl = '${table}' AND hi > (SELECT min(seq) FROM src) AND lo <= (SELECT max(seq) FROM src)),
  ahead AS (SELECT ${HOP_TABLES.map(ahead).join(', ')} FROM hop_partitions),
  idx AS (
    INSERT INTO event_partitions AS e (event_id, first_s, ${HOP_TABLES.map((t) => `${EVENT_RANGE[t].lo}, ${EVENT_RANGE[t].hi}`).join(', ')})
    SELECT a.event_id, a.s, ${HOP_TABLES.map(range).join(', ')}
    FROM (SELECT event_id, min(ingest_s) AS s, min(seq) AS first, max(seq) AS last FROM src GROUP BY event_id) a
    JOIN parts plo ON a.first >= plo.lo AND a.first < plo.hi
    JOIN parts phi ON a.last >= phi.lo AND a.last < phi.hi
    CROSS JOIN ahead w
    LEFT JOIN event_partitions o ON o.event_id = a.event_id
    WHERE o.event_id IS NULL OR o.${own.lo} IS NULL OR plo.lo < o.${own.lo} OR phi.hi > o.${own.hi}
    ON CONFLICT (event_id) DO UPDATE
    SET ${own.lo} = least(e.${own.lo}, excluded.${own.lo}), ${own.hi} = greatest(e.${own.hi}, excluded.${own.hi}))`;
};

/**
 * The end of a statement whose CTE `ins` inserted rows into `table` (`RETURNING seq, ingest_s,
 * event_id, pg_column_size(t.*) AS b`): indexes their events (`indexEvents`, from `indexed`,
 * `ins` unless the statement gave more rows an event id) and adds them to their partitions'
 * counts (rows, bytes, ingest times, deliveries without an event id), which retention reads.
 */
export const countInserted = (table: HopTable, indexed = 'ins'): string => `,
  ${indexEvents(table, indexed)}
  UPDATE hop_partitions h SET rows = h.rows + a.n, bytes = h.bytes + a.b, max_ingest_s = greatest(h.max_ingest_s, a.s),
    min_ingest_s = least(h.min_ingest_s, a.s0), unresolved = h.unresolved + a.u
  FROM (SELECT p.lo, count(*) AS n, sum(ins.b) AS b, max(ins.ingest_s) AS s, min(ins.ingest_s) AS s0,
          ${table === 'deliveries' ? 'count(*) FILTER (WHERE ins.event_id IS NULL)' : '0'} AS u
        FROM ins JOIN hop_partitions p ON p.tbl = '${table}' AND ins.seq >= p.lo AND ins.seq < p.hi GROUP BY p.lo) a
  WHERE h.tbl = '${table}' AND h.lo = a.lo`;

/**
 * A statement that gave existing rows of `table` an event id (`upd`, `RETURNING seq, ingest_s,
 * event_id`) indexes their events too: `WITH upd AS (UPDATE ...)${indexUpdated(table)}`.
 */
const indexUpdated = (table: HopTable): string => `, ${indexEvents(table, 'upd')} SELECT 1`;

/**
 * Inserts rows (a JSON array of objects named like the columns) into a hop table, indexes their
 * events and adds them to their partitions' counts (`countInserted`).
 */
async function insertHops(c: PoolClient, table: HopTable, columns: string, rows: object[]): Promise<void> {
  if (rows.length === 0) return;
  await q(
    c,
    `WITH ins AS (
      INSERT INTO ${table} (${columns}) SELECT ${columns} FROM json_populate_recordset(NULL::${table}, $1::json)
      RETURNING seq, ingest_s, event_id, pg_column_size(${table}.*) AS b)
    ${countInserted(table)}`,
    [pgJson(rows)],
  );
}

/** Upserts records: the existing row of a position (in whichever partition) is merged into, others inserted. */
async function flushRecords(c: PoolClient, nowS: number, pending: Map<string, RecordRef>): Promise<void> {
  if (pending.size === 0) return;
  const rows = [...pending.values()].map((r) => ({
    ingest_s: nowS,
    topic: r.topic,
    part: r.partition,
    off: r.offset,
    ts_us: r.timestampUs,
    event_id: r.eventId,
    correlation_id: r.correlationId,
  }));
  pending.clear();
  await q(
    c,
    `WITH u AS (SELECT * FROM json_populate_recordset(NULL::records, $1::json)),
    upd AS (
      UPDATE records r SET ts_us = least(r.ts_us, u.ts_us), event_id = coalesce(r.event_id, u.event_id),
        correlation_id = coalesce(r.correlation_id, u.correlation_id)
      FROM u WHERE r.topic = u.topic AND r.part = u.part AND r.off = u.off
      RETURNING r.topic, r.part, r.off, r.seq, r.ingest_s, r.event_id),
    ins AS (
      INSERT INTO records (ingest_s, topic, part, off, ts_us, event_id, correlation_id)
      SELECT u.ingest_s, u.topic, u.part, u.off, u.ts_us, u.event_id, u.correlation_id FROM u
      WHERE NOT EXISTS (SELECT 1 FROM upd WHERE upd.topic = u.topic AND upd.part = u.part AND upd.off = u.off)
      RETURNING seq, ingest_s, event_id, pg_column_size(records.*) AS b)
    ${countInserted('records', '(SELECT seq, ingest_s, event_id FROM ins UNION ALL SELECT seq, ingest_s, event_id FROM upd)')}`,
    [pgJson(rows)],
  );
}

async function flushTraces(c: PoolClient, pending: BatchWrites['traces']): Promise<void> {
  if (pending.size === 0) return;
  const rows = [...pending.values()].map((t) => ({
    trace_id: byteaText(t.traceId),
    corr: t.corr,
    first_us: t.firstUs,
    last_us: t.lastUs,
  }));
  pending.clear();
  await q(
    c,
    `INSERT INTO traces (trace_id, corr, first_us, last_us)
    SELECT trace_id, corr, first_us, last_us FROM json_populate_recordset(NULL::traces, $1::json)
    ON CONFLICT (trace_id, corr) DO UPDATE SET
      first_us = least(traces.first_us, excluded.first_us), last_us = greatest(traces.last_us, excluded.last_us)`,
    [pgJson(rows)],
  );
}

/** Span keys (start time, span id) of `spans` that the table already holds: exporter retries. */
async function storedSpans(
  c: PoolClient,
  table: 'publishes' | 'deliveries',
  timeColumn: 'time_us' | 'start_us',
  spans: { timeUs: number; spanId: string }[],
): Promise<Set<string>> {
  if (spans.length === 0) return new Set();
  const { rows } = await q<{ t: number; s: string }>(
    c,
    `SELECT ${timeColumn} AS t, encode(span_id, 'hex') AS s FROM ${table}
    WHERE (${timeColumn}, span_id) IN (SELECT * FROM unnest($1::bigint[], $2::bytea[]))`,
    [spans.map((s) => s.timeUs), spans.map((s) => hexBuf(s.spanId))],
  );
  return new Set(rows.map((r) => `${r.t}:${r.s}`));
}

/**
 * What the deliveries of a batch look up by event id (its publishes, the group's processed
 * deliveries stored before the batch), fetched for many ids in one query each. The batch's
 * deliveries are inserted at its end, so stored counts do not change while it runs.
 */
class EventLookups {
  readonly publishes = new Map<string, PublishTimeRow[]>();
  /** Processed deliveries per `event id \0 group`. */
  readonly processed = new Map<string, number>();

  async fetch(c: PoolClient, eventIds: string[]): Promise<void> {
    const ids = [...new Set(eventIds)].filter((id) => !this.publishes.has(id));
    if (ids.length === 0) return;
    for (const id of ids) this.publishes.set(id, []);
    const pubs = await q<PublishTimeRow & { event_id: string }>(
      c,
      `SELECT event_id, time_us, topic, event_type, correlation_id, terminal, compensation
      FROM publishes WHERE event_id = ANY($1::text[])`,
      [ids],
    );
    for (const r of pubs.rows) this.publishes.get(r.event_id)?.push(r);
    const counts = await q<{ event_id: string; grp: string; n: number }>(
      c,
      `SELECT event_id, grp, count(*) AS n FROM deliveries
      WHERE event_id = ANY($1::text[]) AND outcome = 'processed' GROUP BY 1, 2`,
      [ids],
    );
    for (const r of counts.rows) this.processed.set(`${r.event_id}\u0000${r.grp}`, r.n);
  }
}

/** Loads the saga rows of `ids` the batch has no slot for yet. */
async function loadSagas(c: PoolClient, slots: Map<string, SagaSlot>, ids: Iterable<string>): Promise<void> {
  const missing = [...new Set(ids)].filter((id) => !slots.has(id));
  if (missing.length === 0) return;
  const { rows } = await q<SagaRow>(c, `SELECT * FROM sagas WHERE correlation_id = ANY($1::text[])`, [missing]);
  const found = new Map(rows.map((r) => [r.correlation_id, r]));
  for (const id of missing) slots.set(id, { row: found.get(id), isNew: false, dirty: false });
}

/** The publish with this span id, found through its trace's sagas and time range (no span-id index). */
async function publishBySpan(c: PoolClient, traceIdHex: string, spanIdHex: string): Promise<PublishRefRow | undefined> {
  const spanId = hexBuf(spanIdHex);
  const places = await q<TracePlace>(c, `SELECT corr, first_us, last_us FROM traces WHERE trace_id = $1`, [
    hexBuf(traceIdHex),
  ]);
  for (const t of places.rows) {
    const { rows } =
      t.corr !== ''
        ? await q<PublishRefRow>(
            c,
            `SELECT event_id, event_type, correlation_id FROM publishes WHERE correlation_id = $1 AND span_id = $2 LIMIT 1`,
            [t.corr, spanId],
          )
        : await q<PublishRefRow>(
            c,
            `SELECT event_id, event_type, correlation_id FROM publishes
            WHERE time_us BETWEEN $1 AND $2 AND span_id = $3 LIMIT 1`,
            [t.first_us, t.last_us, spanId],
          );
    if (rows[0]) return rows[0];
  }
  return undefined;
}

/** The columns publishes and deliveries share, as json_populate_recordset reads them. */
const hopRow = (nowS: number, h: Publish | Delivery): Record<string, unknown> => ({
  ingest_s: nowS,
  event_id: h.eventId,
  event_type: h.eventType,
  correlation_id: h.correlationId,
  causation_id: h.causationId ?? null,
  topic: h.topic,
  part: h.partition,
  off: h.offset,
  end_us: h.endUs,
  service: h.service,
  trace_id: byteaText(hexBuf(h.traceId)),
  span_id: byteaText(hexBuf(h.spanId)),
  compensation: h.compensation ? 1 : 0,
  terminal: h.terminal,
});

const publishRow = (nowS: number, p: Publish): object => ({
  ...hopRow(nowS, p),
  time_us: p.timeUs,
  saga_type: p.sagaType,
});

const deliveryRow = (nowS: number, d: Delivery): object => ({
  ...hopRow(nowS, d),
  grp: d.group,
  start_us: d.startUs,
  outcome: d.outcome,
  attempt: d.attempt,
  dlq_topic: d.dlqTopic,
  origin_span_id: d.originSpanId === null ? null : byteaText(hexBuf(d.originSpanId)),
});

/** Keeps the first of each span key (start, id) in `items` that the store does not hold yet. */
function newSpans<T>(items: T[], key: (x: T) => string, stored: Set<string>): T[] {
  const seen = new Set<string>();
  return items.filter((x) => {
    const k = key(x);
    if (stored.has(k) || seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/**
 * One batch, inside the caller's transaction that holds INGEST_LOCK. The result is the same as
 * the SQLite store's `ingestBatch` on the same store contents (test/store.suite.ts).
 */
export async function ingestBatch(c: PoolClient, batch: IngestBatch): Promise<IngestResult> {
  const nowS = Math.floor(Date.now() / 1000);
  const result: IngestResult = { hopTimings: [], duplicates: [], sagasEnded: [], sagasChanged: [] };
  const w: BatchWrites = { sagas: new Map(), records: new Map(), groupPartitions: new Map(), traces: new Map() };
  const spanKey = (timeUs: number, spanId: string): string => `${timeUs}:${hexBuf(spanId).toString('hex')}`;

  // The batch's records (tap), merged as the upsert would, then the deliveries they name.
  for (const r of batch.records) {
    mergeRecord(w.records, r.topic, r.partition, r.offset, r.timestampUs, r.eventId, r.correlationId);
  }
  const tapped = [...w.records.values()].filter((r) => r.eventId !== null);
  await flushRecords(c, nowS, w.records);
  if (tapped.length > 0) {
    await q(
      c,
      `WITH upd AS (
        UPDATE deliveries d SET event_id = u.event_id, correlation_id = coalesce(d.correlation_id, u.correlation_id)
        FROM json_populate_recordset(NULL::records, $1::json) u
        WHERE d.topic = u.topic AND d.part = u.part AND d.off = u.off AND d.event_id IS NULL
        RETURNING d.seq, d.ingest_s, d.event_id)${indexUpdated('deliveries')}`,
      [
        pgJson(
          tapped.map((r) => ({
            topic: r.topic,
            part: r.partition,
            off: r.offset,
            event_id: r.eventId,
            correlation_id: r.correlationId,
          })),
        ),
      ],
    );
  }

  const linkOnlyStored =
    (await q(c, `SELECT 1 FROM deliveries WHERE origin_span_id IS NOT NULL AND event_id IS NULL LIMIT 1`)).rowCount !==
    0;

  // Publishes first (all of the batch's new ones in one insert), so a delivery finds its publish.
  const pubStored = await storedSpans(c, 'publishes', 'time_us', batch.publishes);
  const publishes = newSpans(batch.publishes, (p) => spanKey(p.timeUs, p.spanId), pubStored);
  await insertHops(
    c,
    'publishes',
    PUBLISH_COLUMNS,
    publishes.map((p) => publishRow(nowS, p)),
  );
  await loadSagas(
    c,
    w.sagas,
    publishes.flatMap((p) => (p.correlationId === null ? [] : [p.correlationId])),
  );
  // Link-only deliveries (eachBatch) each publish resolves, then gives its event id.
  const resolvedBy = new Map<Publish, Delivery[]>();
  if (linkOnlyStored) {
    for (const p of publishes) {
      if (p.eventId === null) continue;
      const spanId = hexBuf(p.spanId);
      const linked = await q<DeliveryRow>(
        c,
        `SELECT * FROM deliveries WHERE origin_span_id = $1 AND event_id IS NULL`,
        [spanId],
      );
      resolvedBy.set(p, linked.rows.filter((r) => r.correlation_id === null).map(toDelivery));
      await q(
        c,
        `WITH upd AS (
          UPDATE deliveries SET event_id = $1, correlation_id = coalesce(correlation_id, $2),
          event_type = coalesce(event_type, $3) WHERE origin_span_id = $4 AND event_id IS NULL
          RETURNING seq, ingest_s, event_id)${indexUpdated('deliveries')}`,
        [p.eventId, p.correlationId, p.eventType, spanId],
      );
    }
  }
  // Deliveries that came before their publish, and publishes of those events from earlier batches:
  // one query each for the whole batch.
  const eventIds = [...new Set(publishes.flatMap((p) => (p.eventId === null ? [] : [p.eventId])))];
  const early = new Map<string, EarlyDeliveryRow[]>();
  const publishedBefore = new Set<string>();
  if (eventIds.length > 0) {
    const rows = await q<EarlyDeliveryRow & { event_id: string; topic: string }>(
      c,
      `SELECT event_id, topic, grp, service, start_us, end_us FROM deliveries WHERE event_id = ANY($1::text[])`,
      [eventIds],
    );
    for (const r of rows.rows) {
      const key = `${r.event_id}\u0000${r.topic}`;
      early.set(key, [...(early.get(key) ?? []), r]);
    }
    if (early.size > 0) {
      const other = await q<{ event_id: string; topic: string }>(
        c,
        `SELECT DISTINCT event_id, topic FROM publishes WHERE event_id = ANY($1::text[]) AND span_id <> ALL($2::bytea[])`,
        [
          [...new Set([...early.keys()].map((k) => k.slice(0, k.indexOf('\u0000'))))],
          publishes.map((p) => hexBuf(p.spanId)),
        ],
      );
      for (const r of other.rows) publishedBefore.add(`${r.event_id}\u0000${r.topic}`);
    }
  }
  /** (event, topic) of the batch's publishes handled so far: "an earlier-arrived publish" in this batch. */
  const earlier = new Set<string>();
  for (const p of publishes) {
    mergeTrace(w.traces, hexBuf(p.traceId), p.correlationId, p.timeUs);
    if (p.eventId !== null) {
      if (p.partition !== null && p.offset !== null) {
        mergeRecord(w.records, p.topic, p.partition, p.offset, p.timeUs, p.eventId, p.correlationId);
      }
      const key = `${p.eventId}\u0000${p.topic}`;
      const first = !earlier.has(key) && !publishedBefore.has(key);
      if (first) timeEarlyDeliveries(result, p, early.get(key) ?? []);
      earlier.add(key);
    }
    if (p.correlationId !== null) publishJoinsSaga(NO_READS, w, result, p, resolvedBy.get(p) ?? []);
  }

  const delStored = await storedSpans(
    c,
    'deliveries',
    'start_us',
    batch.deliveries.map((d) => ({ timeUs: d.startUs, spanId: d.spanId })),
  );
  const deliveries = newSpans(batch.deliveries, (d) => spanKey(d.startUs, d.spanId), delStored);
  /** Processed deliveries of (event, group) in this batch so far (not inserted until the end). */
  const processedInBatch = new Map<string, number>();
  const dupes = new Map<string, { eventId: string; group: string; count: number; firstUs: number; lastUs: number }>();
  const inserts: object[] = [];
  const lookups = new EventLookups();
  await lookups.fetch(
    c,
    deliveries.flatMap((d) => (d.eventId === null ? [] : [d.eventId])),
  );
  await loadSagas(
    c,
    w.sagas,
    deliveries.flatMap((d) => (d.correlationId === null ? [] : [d.correlationId])),
  );
  for (const d0 of deliveries) {
    const d = { ...d0 };
    if (d.eventId === null && d.partition !== null && d.offset !== null) {
      await flushRecords(c, nowS, w.records); // the lookup must see this batch's records too
      const rec = await q<{ event_id: string | null; correlation_id: string | null }>(
        c,
        `SELECT event_id, correlation_id FROM records WHERE topic = $1 AND part = $2 AND off = $3 LIMIT 1`,
        [d.topic, d.partition, d.offset],
      );
      resolveByRecord(d, rec.rows[0]);
    }
    if (d.eventId === null && d.originSpanId !== null) {
      await flushTraces(c, w.traces); // the producer span may be in this batch
      resolveByPublish(d, await publishBySpan(c, d.originTraceId ?? d.traceId, d.originSpanId));
    }
    let publishUs: number | undefined;
    let priorProcessed = 0;
    const dupKey = `${d.eventId}\u0000${d.group}`;
    if (d.eventId !== null) {
      await lookups.fetch(c, [d.eventId]); // resolved above: not fetched yet
      publishUs = adoptPublish(d, firstPublishTo(lookups.publishes.get(d.eventId) ?? [], d.topic));
      if (d.outcome === 'processed') {
        priorProcessed = (lookups.processed.get(dupKey) ?? 0) + (processedInBatch.get(dupKey) ?? 0);
      }
    }
    inserts.push(deliveryRow(nowS, d));
    if (d.outcome === 'processed' && d.eventId !== null) {
      processedInBatch.set(dupKey, (processedInBatch.get(dupKey) ?? 0) + 1);
    }
    noteDelivery(w, result, d, hexBuf(d.traceId), publishUs);
    if (priorProcessed > 0 && d.eventId !== null) {
      const dup = dupes.get(dupKey);
      if (!dup)
        dupes.set(dupKey, {
          eventId: d.eventId,
          group: d.group,
          count: priorProcessed + 1,
          firstUs: d.startUs,
          lastUs: d.startUs,
        });
      else {
        dup.count = priorProcessed + 1;
        dup.firstUs = Math.min(dup.firstUs, d.startUs);
        dup.lastUs = Math.max(dup.lastUs, d.startUs);
      }
      result.duplicates.push({ eventId: d.eventId, group: d.group });
    }
    if (d.correlationId !== null) {
      await loadSagas(c, w.sagas, [d.correlationId]);
      const ended = sagaOnDelivery(NO_READS, w.sagas, d);
      if (ended) result.sagasEnded.push(ended);
    }
  }

  await insertHops(c, 'deliveries', DELIVERY_COLUMNS, inserts);
  await flushRecords(c, nowS, w.records);
  await flushTraces(c, w.traces);
  if (w.groupPartitions.size > 0) {
    await q(
      c,
      `INSERT INTO group_partitions (grp, topic, part, first_off)
      SELECT grp, topic, part, first_off FROM json_populate_recordset(NULL::group_partitions, $1::json)
      ON CONFLICT (grp, topic, part) DO UPDATE SET first_off = excluded.first_off
        WHERE excluded.first_off < group_partitions.first_off`,
      [
        pgJson(
          [...w.groupPartitions.values()].map((g) => ({
            grp: g.group,
            topic: g.topic,
            part: g.partition,
            first_off: g.offset,
          })),
        ),
      ],
    );
  }
  if (dupes.size > 0) {
    await q(
      c,
      `INSERT INTO duplicates (event_id, grp, count, first_us, last_us)
      SELECT event_id, grp, count, first_us, last_us FROM json_populate_recordset(NULL::duplicates, $1::json)
      ON CONFLICT (event_id, grp) DO UPDATE SET count = excluded.count,
        first_us = least(duplicates.first_us, excluded.first_us), last_us = greatest(duplicates.last_us, excluded.last_us)`,
      [
        pgJson(
          [...dupes.values()].map((x) => ({
            event_id: x.eventId,
            grp: x.group,
            count: x.count,
            first_us: x.firstUs,
            last_us: x.lastUs,
          })),
        ),
      ],
    );
  }
  const updatedS = Math.floor(Date.now() / 1000);
  const sagaRows: SagaRow[] = [];
  for (const slot of w.sagas.values()) {
    if (!slot.row || !slot.dirty) continue;
    if (slot.release) result.sagasEnded.push(sagaEnd(slot.row));
    slot.row.updated_s = updatedS;
    sagaRows.push(slot.row);
  }
  if (sagaRows.length > 0) {
    await q(
      c,
      `INSERT INTO sagas SELECT * FROM json_populate_recordset(NULL::sagas, $1::json)
      ON CONFLICT (correlation_id) DO UPDATE SET saga_type = excluded.saga_type, first_us = excluded.first_us,
        first_is_publish = excluded.first_is_publish, last_us = excluded.last_us, outcome = excluded.outcome,
        terminal_type = excluded.terminal_type, terminal_us = excluded.terminal_us, hops = excluded.hops,
        compensations = excluded.compensations, dlq_steps = excluded.dlq_steps,
        stuck_reported = excluded.stuck_reported, updated_s = excluded.updated_s, root_us = excluded.root_us,
        end_held = excluded.end_held`,
      [pgJson(sagaRows)],
    );
  }
  return result;
}

/** Reports (once) the held-back ends of sagas quiet since `beforeUs` whose root publish never came. */
export async function takeHeldEnds(
  c: PoolClient,
  beforeUs: number,
  limit: number,
): Promise<IngestResult['sagasEnded']> {
  const { rows } = await q<SagaRow>(
    c,
    `UPDATE sagas SET end_held = 0 WHERE correlation_id IN (
      SELECT correlation_id FROM sagas WHERE end_held = 1 AND last_us < $1 ORDER BY last_us LIMIT $2 FOR UPDATE SKIP LOCKED)
    RETURNING *`,
    [beforeUs, limit],
  );
  return rows.sort((a, b) => a.last_us - b.last_us).map((r) => sagaEnd({ ...r, end_held: 0 }));
}

/** Marks (once) the open sagas quiet since `beforeUs` as reported stuck. */
export async function takeNewlyStuck(c: PoolClient, beforeUs: number, limit: number): Promise<SagaSummary[]> {
  const { rows } = await q<SagaRow>(
    c,
    `UPDATE sagas SET stuck_reported = 1 WHERE correlation_id IN (
      SELECT correlation_id FROM sagas WHERE last_us < $1 AND outcome IS NULL AND stuck_reported = 0
      ORDER BY last_us LIMIT $2 FOR UPDATE SKIP LOCKED)
    RETURNING *`,
    [beforeUs, limit],
  );
  return rows.sort((a, b) => a.last_us - b.last_us).map(toSaga);
}
