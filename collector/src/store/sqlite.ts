/**
 * The embedded store: one SQLite file (better-sqlite3, WAL) under the data directory.
 *
 * Rows are compact (trace and span ids as 16/8-byte blobs, times as integer microseconds)
 * and nothing is cached in memory beyond row counters, so memory stays flat however many
 * events are stored. Every write batch is one transaction of prepared statements.
 * Retention deletes by insertion order (`id`, monotonic with `ingest_s`), found by a binary
 * search over the rowid, so no time index is needed on the hop tables.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database, { type Database as Db, type Statement } from 'better-sqlite3';
import type {
  Delivery,
  DuplicateEntry,
  EventHops,
  IngestBatch,
  IngestResult,
  InstrumentedPartition,
  Outcome,
  Publish,
  RecordRef,
  RetentionPolicy,
  SagaFilter,
  SagaOutcome,
  SagaPage,
  SagaSummary,
  Store,
  StoreStats,
  UnaccountedEntry,
  AuditEntry,
  AuditLogQuery,
} from './types.ts';

const SCHEMA_VERSION = '3';
/** Audit log rows kept (the newest); older ones go with retention. Bounds a flood of refused writes too. */
export const AUDIT_MAX_ROWS = 100_000;
/** Schema 1 -> 2: a saga's root publish time and its held-back end (see `#sagaOnDelivery`). */
const MIGRATE_1_TO_2 = `
ALTER TABLE sagas ADD COLUMN root_us INTEGER;
ALTER TABLE sagas ADD COLUMN end_held INTEGER NOT NULL DEFAULT 0;
`;
/**
 * Schema 2 -> 3: no index keyed by a random span or trace id on the hop tables (every insert
 * dirtied its own index page, which the commit then wrote: the largest ingest cost, growing with
 * the store). Span ids are unique together with the span's start time instead (an exporter's retry
 * repeats both), and traces get a table of their own with one row per trace and saga.
 */
const MIGRATE_2_TO_3 = `
DROP INDEX IF EXISTS publishes_span;
DROP INDEX IF EXISTS deliveries_span;
DROP INDEX IF EXISTS publishes_trace;
DROP INDEX IF EXISTS deliveries_trace;
INSERT INTO traces (trace_id, corr, first_us, last_us)
  SELECT trace_id, coalesce(correlation_id, ''), min(time_us), max(time_us) FROM publishes GROUP BY 1, 2
  ON CONFLICT (trace_id, corr) DO UPDATE SET
    first_us = min(first_us, excluded.first_us), last_us = max(last_us, excluded.last_us);
INSERT INTO traces (trace_id, corr, first_us, last_us)
  SELECT trace_id, coalesce(correlation_id, ''), min(start_us), max(start_us) FROM deliveries GROUP BY 1, 2
  ON CONFLICT (trace_id, corr) DO UPDATE SET
    first_us = min(first_us, excluded.first_us), last_us = max(last_us, excluded.last_us);
`;
/** Created after any migration, so it can name the columns a migration adds. */
const SCHEMA_INDEXES = `
CREATE INDEX IF NOT EXISTS sagas_end_held ON sagas(last_us) WHERE end_held = 1;
CREATE UNIQUE INDEX IF NOT EXISTS publishes_time_span ON publishes(time_us, span_id);
CREATE UNIQUE INDEX IF NOT EXISTS deliveries_time_span ON deliveries(start_us, span_id);
`;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS publishes (
  id INTEGER PRIMARY KEY,
  ingest_s INTEGER NOT NULL,
  event_id TEXT, event_type TEXT, correlation_id TEXT, causation_id TEXT,
  topic TEXT NOT NULL, part INTEGER, off INTEGER,
  time_us INTEGER NOT NULL, end_us INTEGER NOT NULL,
  service TEXT NOT NULL, trace_id BLOB NOT NULL, span_id BLOB NOT NULL,
  saga_type TEXT, compensation INTEGER NOT NULL, terminal TEXT
);
DROP INDEX IF EXISTS publishes_event;
-- (event_id, time_us): the first publish of an event is an index seek, not a sort.
CREATE INDEX IF NOT EXISTS publishes_event_time ON publishes(event_id, time_us) WHERE event_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS publishes_corr ON publishes(correlation_id) WHERE correlation_id IS NOT NULL;
CREATE TABLE IF NOT EXISTS deliveries (
  id INTEGER PRIMARY KEY,
  ingest_s INTEGER NOT NULL,
  event_id TEXT, event_type TEXT, correlation_id TEXT,
  topic TEXT NOT NULL, part INTEGER, off INTEGER, grp TEXT NOT NULL, service TEXT NOT NULL,
  start_us INTEGER NOT NULL, end_us INTEGER NOT NULL, outcome TEXT NOT NULL, attempt INTEGER NOT NULL,
  dlq_topic TEXT, trace_id BLOB NOT NULL, span_id BLOB NOT NULL, origin_span_id BLOB,
  terminal TEXT, compensation INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS deliveries_event ON deliveries(event_id) WHERE event_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS deliveries_corr ON deliveries(correlation_id) WHERE correlation_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS deliveries_tpo ON deliveries(topic, part, off) WHERE off IS NOT NULL;
CREATE INDEX IF NOT EXISTS deliveries_origin ON deliveries(origin_span_id) WHERE event_id IS NULL;
-- Where a trace's spans are: the sagas it touched ('' for spans without a correlation id) and
-- the time range of those spans. One row per trace and saga, so one random-key insert per trace.
CREATE TABLE IF NOT EXISTS traces (
  trace_id BLOB NOT NULL, corr TEXT NOT NULL, first_us INTEGER NOT NULL, last_us INTEGER NOT NULL,
  PRIMARY KEY (trace_id, corr)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS records (
  id INTEGER PRIMARY KEY,
  ingest_s INTEGER NOT NULL,
  topic TEXT NOT NULL, part INTEGER NOT NULL, off INTEGER NOT NULL, ts_us INTEGER NOT NULL,
  event_id TEXT, correlation_id TEXT
);
CREATE UNIQUE INDEX IF NOT EXISTS records_tpo ON records(topic, part, off);
CREATE INDEX IF NOT EXISTS records_event ON records(event_id) WHERE event_id IS NOT NULL;
CREATE TABLE IF NOT EXISTS sagas (
  correlation_id TEXT PRIMARY KEY,
  saga_type TEXT, first_us INTEGER NOT NULL, first_is_publish INTEGER NOT NULL, last_us INTEGER NOT NULL,
  outcome TEXT, terminal_type TEXT, terminal_us INTEGER, hops INTEGER NOT NULL,
  compensations INTEGER NOT NULL, dlq_steps INTEGER NOT NULL, stuck_reported INTEGER NOT NULL DEFAULT 0,
  updated_s INTEGER NOT NULL, root_us INTEGER, end_held INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS sagas_first ON sagas(first_us, correlation_id);
DROP INDEX IF EXISTS sagas_last;
-- Open sagas by last activity (stuck sweep); ended sagas by outcome (status filters), newest first.
CREATE INDEX IF NOT EXISTS sagas_open_last ON sagas(last_us) WHERE outcome IS NULL;
CREATE INDEX IF NOT EXISTS sagas_outcome ON sagas(outcome, first_us, correlation_id) WHERE outcome IS NOT NULL;
CREATE INDEX IF NOT EXISTS sagas_updated ON sagas(updated_s);
CREATE TABLE IF NOT EXISTS duplicates (
  event_id TEXT NOT NULL, grp TEXT NOT NULL, count INTEGER NOT NULL, first_us INTEGER NOT NULL, last_us INTEGER NOT NULL,
  PRIMARY KEY (event_id, grp)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS duplicates_last ON duplicates(last_us);
CREATE TABLE IF NOT EXISTS unaccounted (
  grp TEXT NOT NULL, topic TEXT NOT NULL, part INTEGER NOT NULL, off INTEGER NOT NULL,
  event_id TEXT, correlation_id TEXT, detected_us INTEGER NOT NULL,
  PRIMARY KEY (grp, topic, part, off)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS unaccounted_detected ON unaccounted(detected_us);
CREATE TABLE IF NOT EXISTS audit_checkpoints (
  grp TEXT NOT NULL, topic TEXT NOT NULL, part INTEGER NOT NULL, off INTEGER NOT NULL,
  PRIMARY KEY (grp, topic, part)
) WITHOUT ROWID;
-- Who changed what (and who was refused), newest last; bounded to AUDIT_MAX_ROWS by retention.
-- Created by every open (IF NOT EXISTS), so a store of an older collector gains it in place.
CREATE TABLE IF NOT EXISTS audit_log (
  id INTEGER PRIMARY KEY,
  time_us INTEGER NOT NULL,
  subject TEXT NOT NULL, role TEXT, via TEXT,
  action TEXT NOT NULL, target TEXT NOT NULL, result TEXT NOT NULL, detail TEXT,
  remote_addr TEXT NOT NULL, user_agent TEXT
);
CREATE TABLE IF NOT EXISTS group_partitions (
  grp TEXT NOT NULL, topic TEXT NOT NULL, part INTEGER NOT NULL, first_off INTEGER NOT NULL,
  PRIMARY KEY (grp, topic, part)
) WITHOUT ROWID;
`;

const hexBuf = (hex: string): Buffer => Buffer.from(hex, 'hex');
const bufHex = (b: Buffer | null): string | null => (b ? b.toString('hex') : null);

interface PublishRow {
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
  terminal: string | null;
}

interface DeliveryRow {
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
  outcome: string;
  attempt: number;
  dlq_topic: string | null;
  trace_id: Buffer;
  span_id: Buffer;
  origin_span_id: Buffer | null;
  terminal: string | null;
  compensation: number;
}

interface TracePlace {
  corr: string;
  first_us: number;
  last_us: number;
}

interface RecordRow {
  topic: string;
  part: number;
  off: number;
  ts_us: number;
  event_id: string | null;
  correlation_id: string | null;
}

interface SagaRow {
  correlation_id: string;
  saga_type: string | null;
  first_us: number;
  first_is_publish: number;
  last_us: number;
  outcome: string | null;
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

const toPublish = (r: PublishRow): Publish => ({
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
  terminal: r.terminal as SagaOutcome | null,
});

const toDelivery = (r: DeliveryRow): Delivery => ({
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
  outcome: r.outcome as Outcome,
  attempt: r.attempt,
  dlqTopic: r.dlq_topic,
  traceId: r.trace_id.toString('hex'),
  spanId: r.span_id.toString('hex'),
  originSpanId: bufHex(r.origin_span_id),
  terminal: r.terminal as SagaOutcome | null,
  compensation: r.compensation === 1,
});

const toRecord = (r: RecordRow): RecordRef => ({
  topic: r.topic,
  partition: r.part,
  offset: r.off,
  timestampUs: r.ts_us,
  eventId: r.event_id,
  correlationId: r.correlation_id,
});

const toSaga = (r: SagaRow): SagaSummary => ({
  correlationId: r.correlation_id,
  sagaType: r.saga_type,
  firstUs: r.first_us,
  lastUs: r.last_us,
  outcome: r.outcome as SagaOutcome | null,
  terminalEventType: r.terminal_type,
  terminalUs: r.terminal_us,
  endToEndUs: r.terminal_us !== null && r.first_is_publish === 1 ? r.terminal_us - r.first_us : null,
  hops: r.hops,
  compensations: r.compensations,
  dlqSteps: r.dlq_steps,
});

interface PublishTimeRow {
  time_us: number;
  topic: string;
  event_type: string | null;
  correlation_id: string | null;
  terminal: SagaOutcome | null;
  compensation: number;
}

/** A saga's end as ingest reports it (for metrics and live views). */
function sagaEnd(r: SagaRow): IngestResult['sagasEnded'][number] {
  const s = toSaga(r);
  return {
    correlationId: s.correlationId,
    sagaType: s.sagaType ?? 'unknown',
    outcome: s.outcome as SagaOutcome,
    endToEndUs: s.endToEndUs,
  };
}

/** The earliest publish to `topic` (the first of equals, as ORDER BY time_us over the index gives). */
function firstPublishTo(rows: PublishTimeRow[], topic: string): PublishTimeRow | undefined {
  let first: PublishTimeRow | undefined;
  for (const r of rows) if (r.topic === topic && (first === undefined || r.time_us < first.time_us)) first = r;
  return first;
}

/** What one ingest batch writes once at its end. */
interface SagaSlot {
  /** The saga as of now in this batch; undefined while it has no row. */
  row: SagaRow | undefined;
  /** Created in this batch (counted once when written). */
  isNew: boolean;
  dirty: boolean;
  /** Its held-back end is released by this batch (reported once the whole batch is applied). */
  release?: boolean;
}

interface BatchWrites {
  sagas: Map<string, SagaSlot>;
  records: Map<string, RecordRef>;
  groupPartitions: Map<string, { group: string; topic: string; partition: number; offset: number }>;
  /** (trace, saga) pairs seen in the batch, with their time range. */
  traces: Map<string, { traceId: Buffer; corr: string; firstUs: number; lastUs: number }>;
}

/** Notes that a span of `traceId` (in saga `corr`, '' for none) was stored at `timeUs`. */
function mergeTrace(pending: BatchWrites['traces'], traceId: Buffer, corr: string | null, timeUs: number): void {
  const key = `${traceId.toString('latin1')}\u0000${corr ?? ''}`;
  const t = pending.get(key);
  if (!t) pending.set(key, { traceId, corr: corr ?? '', firstUs: timeUs, lastUs: timeUs });
  else {
    if (timeUs < t.firstUs) t.firstUs = timeUs;
    if (timeUs > t.lastUs) t.lastUs = timeUs;
  }
}

/** Merges a record sighting into the batch's pending records as the upsert would: earliest time, first ids seen. */
function mergeRecord(
  pending: Map<string, RecordRef>,
  topic: string,
  partition: number,
  offset: number,
  timestampUs: number,
  eventId: string | null,
  correlationId: string | null,
): void {
  const key = `${topic}\u0000${partition}\u0000${offset}`;
  const r = pending.get(key);
  if (!r) {
    pending.set(key, { topic, partition, offset, timestampUs, eventId, correlationId });
    return;
  }
  if (timestampUs < r.timestampUs) r.timestampUs = timestampUs;
  r.eventId ??= eventId;
  r.correlationId ??= correlationId;
}

/** Every statement the store runs, prepared once. */
function statements(db: Db) {
  const p = (sql: string): Statement => db.prepare(sql);
  return {
    insPublish: p(`INSERT OR IGNORE INTO publishes
      (ingest_s, event_id, event_type, correlation_id, causation_id, topic, part, off, time_us, end_us, service,
       trace_id, span_id, saga_type, compensation, terminal)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
    insDelivery: p(`INSERT OR IGNORE INTO deliveries
      (ingest_s, event_id, event_type, correlation_id, topic, part, off, grp, service, start_us, end_us, outcome,
       attempt, dlq_topic, trace_id, span_id, origin_span_id, terminal, compensation)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
    upsRecord: p(`INSERT INTO records (ingest_s, topic, part, off, ts_us, event_id, correlation_id)
      VALUES (?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (topic, part, off) DO UPDATE SET
        ts_us = min(ts_us, excluded.ts_us),
        event_id = coalesce(event_id, excluded.event_id),
        correlation_id = coalesce(correlation_id, excluded.correlation_id)`),
    publishesByEvent: p(`SELECT * FROM publishes WHERE event_id = ? ORDER BY time_us`),
    otherPublishTo: p(`SELECT 1 FROM publishes WHERE event_id = ? AND topic = ? AND span_id != ? LIMIT 1`),
    // Every publish of the event (index order is time order), the earliest to the topic picked in
    // JS: measured 4x cheaper per delivery than `... AND topic = ? ORDER BY time_us LIMIT 1`.
    publishesOfEvent: p(
      `SELECT time_us, topic, event_type, correlation_id, terminal, compensation FROM publishes WHERE event_id = ?`,
    ),
    processedCount: p(`SELECT count(*) AS n FROM deliveries WHERE event_id = ? AND grp = ? AND outcome = 'processed'`),
    anyLinkOnly: p(`SELECT 1 FROM deliveries WHERE origin_span_id IS NOT NULL AND event_id IS NULL LIMIT 1`),
    tracePlaces: p(`SELECT corr, first_us, last_us FROM traces WHERE trace_id = ?`),
    upsTrace: p(`INSERT INTO traces (trace_id, corr, first_us, last_us) VALUES (?, ?, ?, ?)
      ON CONFLICT (trace_id, corr) DO UPDATE SET
        first_us = min(first_us, excluded.first_us), last_us = max(last_us, excluded.last_us)`),
    publishBySpanInSaga: p(`SELECT event_id, event_type, correlation_id FROM publishes
      WHERE correlation_id = ? AND span_id = ?`),
    publishBySpanInTime: p(`SELECT event_id, event_type, correlation_id FROM publishes
      WHERE time_us BETWEEN ? AND ? AND span_id = ?`),
    publishesByTraceInSaga: p(`SELECT * FROM publishes WHERE correlation_id = ? AND trace_id = ? LIMIT 5000`),
    publishesByTraceInTime: p(`SELECT * FROM publishes WHERE time_us BETWEEN ? AND ? AND trace_id = ? LIMIT 5000`),
    publishesByCorr: p(`SELECT * FROM publishes WHERE correlation_id = ? ORDER BY time_us LIMIT 5000`),
    deliveriesByEvent: p(`SELECT * FROM deliveries WHERE event_id = ? ORDER BY start_us`),
    deliveriesByEventTopic: p(`SELECT grp, service, start_us, end_us FROM deliveries WHERE event_id = ? AND topic = ?`),
    deliveriesByTpo: p(`SELECT * FROM deliveries WHERE topic = ? AND part = ? AND off = ?`),
    deliveriesByOrigin: p(`SELECT * FROM deliveries WHERE origin_span_id = ? AND event_id IS NULL`),
    deliveriesByTraceInSaga: p(`SELECT * FROM deliveries WHERE correlation_id = ? AND trace_id = ? LIMIT 5000`),
    deliveriesByTraceInTime: p(`SELECT * FROM deliveries WHERE start_us BETWEEN ? AND ? AND trace_id = ? LIMIT 5000`),
    deliveriesByCorr: p(`SELECT * FROM deliveries WHERE correlation_id = ? ORDER BY start_us LIMIT 5000`),
    backfillByOrigin: p(`UPDATE deliveries SET event_id = ?, correlation_id = coalesce(correlation_id, ?),
      event_type = coalesce(event_type, ?) WHERE origin_span_id = ? AND event_id IS NULL`),
    backfillByTpo: p(`UPDATE deliveries SET event_id = ?, correlation_id = coalesce(correlation_id, ?)
      WHERE topic = ? AND part = ? AND off = ? AND event_id IS NULL`),
    recordByTpo: p(`SELECT * FROM records WHERE topic = ? AND part = ? AND off = ?`),
    recordsByEvent: p(`SELECT * FROM records WHERE event_id = ?`),
    saga: p(`SELECT * FROM sagas WHERE correlation_id = ?`),
    insSaga:
      p(`INSERT INTO sagas (correlation_id, saga_type, first_us, first_is_publish, last_us, outcome, terminal_type,
        terminal_us, hops, compensations, dlq_steps, stuck_reported, updated_s, root_us, end_held)
      VALUES (@correlation_id, @saga_type, @first_us, @first_is_publish, @last_us, @outcome, @terminal_type,
        @terminal_us, @hops, @compensations, @dlq_steps, @stuck_reported, @updated_s, @root_us, @end_held)
      ON CONFLICT (correlation_id) DO UPDATE SET saga_type = excluded.saga_type, first_us = excluded.first_us,
        first_is_publish = excluded.first_is_publish, last_us = excluded.last_us, outcome = excluded.outcome,
        terminal_type = excluded.terminal_type, terminal_us = excluded.terminal_us, hops = excluded.hops,
        compensations = excluded.compensations, dlq_steps = excluded.dlq_steps, stuck_reported = excluded.stuck_reported,
        updated_s = excluded.updated_s, root_us = excluded.root_us, end_held = excluded.end_held`),
    upsGroupPartition: p(`INSERT INTO group_partitions (grp, topic, part, first_off) VALUES (?, ?, ?, ?)
      ON CONFLICT (grp, topic, part) DO UPDATE SET first_off = excluded.first_off WHERE excluded.first_off < first_off`),
    groupPartitions: p(`SELECT * FROM group_partitions ORDER BY grp, topic, part`),
    upsDuplicate: p(`INSERT INTO duplicates (event_id, grp, count, first_us, last_us) VALUES (?, ?, ?, ?, ?)
      ON CONFLICT (event_id, grp) DO UPDATE SET count = excluded.count,
        first_us = min(first_us, excluded.first_us), last_us = max(last_us, excluded.last_us)`),
    duplicates: p(`SELECT * FROM duplicates ORDER BY last_us DESC LIMIT ?`),
    unaccounted: p(`SELECT * FROM unaccounted ORDER BY detected_us DESC LIMIT ?`),
    insUnaccounted: p(`INSERT OR IGNORE INTO unaccounted (grp, topic, part, off, event_id, correlation_id, detected_us)
      VALUES (?, ?, ?, ?, ?, ?, ?)`),
    checkpoint: p(`SELECT off FROM audit_checkpoints WHERE grp = ? AND topic = ? AND part = ?`),
    setCheckpoint: p(`INSERT INTO audit_checkpoints (grp, topic, part, off) VALUES (?, ?, ?, ?)
      ON CONFLICT (grp, topic, part) DO UPDATE SET off = excluded.off`),
    candidates: p(`SELECT r.* FROM records r
      WHERE r.topic = @topic AND r.part = @part AND r.off >= @from AND r.off < @to AND r.ts_us < @before
        AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.topic = r.topic AND d.part = r.part AND d.off = r.off
                          AND d.off IS NOT NULL AND d.grp = @grp)
        AND NOT (r.event_id IS NOT NULL AND EXISTS (
              SELECT 1 FROM deliveries d WHERE d.event_id = r.event_id AND d.grp = @grp))
        AND NOT (r.event_id IS NOT NULL AND EXISTS (
              SELECT 1 FROM publishes p WHERE p.event_id = r.event_id AND p.topic = @dlq))
      ORDER BY r.off LIMIT @limit`),
    firstYoung: p(`SELECT min(off) AS off FROM records
      WHERE topic = ? AND part = ? AND off >= ? AND off < ? AND ts_us >= ?`),
    newlyStuck: p(`SELECT * FROM sagas WHERE last_us < ? AND outcome IS NULL AND stuck_reported = 0
      ORDER BY last_us LIMIT ?`),
    markStuck: p(`UPDATE sagas SET stuck_reported = 1 WHERE correlation_id = ?`),
    heldEnds: p(`SELECT * FROM sagas WHERE end_held = 1 AND last_us < ? ORDER BY last_us LIMIT ?`),
    releaseEnd: p(`UPDATE sagas SET end_held = 0 WHERE correlation_id = ?`),
    existsEvent: p(`SELECT 1 FROM publishes WHERE event_id = @q UNION ALL SELECT 1 FROM deliveries WHERE event_id = @q
      UNION ALL SELECT 1 FROM records WHERE event_id = @q LIMIT 1`),
    existsTrace: p(`SELECT 1 FROM traces WHERE trace_id = @q LIMIT 1`),
    existsSaga: p(`SELECT 1 FROM sagas WHERE correlation_id = ?`),
  };
}

export interface SqliteStoreOptions {
  /** File path, or ':memory:'. */
  file: string;
  /** Told before a schema migration starts (it can take minutes on a large store). */
  onMigrate?: (message: string) => void;
  /** SQLite's page cache of this connection, MB (default 16). */
  cacheMb?: number;
}

/**
 * Smallest and largest id of a hop table. Two subqueries: SQLite answers a lone min() or max()
 * from the end of the index, but `SELECT min(id), max(id)` together scans the whole table.
 */
function idRange(db: Db, table: 'publishes' | 'deliveries' | 'records'): { lo: number | null; hi: number | null } {
  return db.prepare(`SELECT (SELECT min(id) FROM ${table}) AS lo, (SELECT max(id) FROM ${table}) AS hi`).get() as {
    lo: number | null;
    hi: number | null;
  };
}

/**
 * Rows of a hop table from its id range: ids are only ever deleted as a prefix (retention), and
 * an insert that is ignored or an upsert that updates takes no id. Counting 10 million rows
 * instead took seconds at every start.
 */
function hopRows(db: Db, table: 'publishes' | 'deliveries' | 'records'): number {
  const r = idRange(db, table);
  return r.lo === null || r.hi === null ? 0 : r.hi - r.lo + 1;
}

export class SqliteStore implements Store {
  readonly kind = 'sqlite';
  readonly #db: Db;
  readonly #s: ReturnType<typeof statements>;
  readonly #rows: StoreStats['rows'];
  readonly #ingestTx: (batch: IngestBatch) => IngestResult;

  constructor(options: SqliteStoreOptions) {
    if (options.file !== ':memory:') mkdirSync(dirname(options.file), { recursive: true });
    const db = new Database(options.file);
    this.#db = db;
    // auto_vacuum must be chosen before the first table exists; a no-op on an existing file.
    db.pragma('auto_vacuum = INCREMENTAL');
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('temp_store = MEMORY');
    // A bounded page cache (negative: KiB), so memory stays bounded whatever the store's size.
    db.pragma(`cache_size = -${Math.round((options.cacheMb ?? 16) * 1024)}`);
    db.pragma('busy_timeout = 5000');
    // Checkpoint the WAL every ~40 MB instead of every 4 MB: hot index pages rewritten by consecutive
    // ingest batches are copied into the database file once per checkpoint, not once per 1,000 pages.
    db.pragma('wal_autocheckpoint = 10000');
    db.exec(SCHEMA);
    const version = db.prepare<[], { value: string }>(`SELECT value FROM meta WHERE key = 'schema'`).get();
    if (!version) db.prepare(`INSERT INTO meta(key, value) VALUES ('schema', ?)`).run(SCHEMA_VERSION);
    else if (version.value === '1' || version.value === '2') {
      options.onMigrate?.(
        `migrating the store ${options.file} from schema ${version.value} to ${SCHEMA_VERSION} (minutes on a large store)`,
      );
      // One transaction: a migration interrupted half way leaves the file as it was.
      db.transaction(() => {
        if (version.value === '1') db.exec(MIGRATE_1_TO_2);
        db.exec(MIGRATE_2_TO_3);
        db.exec(SCHEMA_INDEXES);
        db.prepare(`UPDATE meta SET value = ? WHERE key = 'schema'`).run(SCHEMA_VERSION);
      })();
    } else if (version.value !== SCHEMA_VERSION) {
      throw new Error(`store ${options.file} has schema ${version.value}; this collector needs ${SCHEMA_VERSION}`);
    }

    db.exec(SCHEMA_INDEXES);
    this.#s = statements(db);

    this.#rows = {
      publishes: hopRows(db, 'publishes'),
      deliveries: hopRows(db, 'deliveries'),
      records: hopRows(db, 'records'),
      sagas: (db.prepare(`SELECT count(*) AS n FROM sagas`).get() as { n: number }).n,
    };
    this.#ingestTx = db.transaction((batch: IngestBatch) => this.#ingest(batch));
  }

  /** This connection's page cache limit, KiB (`cacheMb`). */
  // eslint-disable-next-line @typescript-eslint/require-await -- async: the threaded store answers from its writer thread
  async cacheKb(): Promise<number> {
    return Math.abs(this.#db.pragma('cache_size', { simple: true }) as number);
  }

  /** Row counters (publishes, deliveries, sagas) as this connection maintains them. */
  rowCounts(): StoreStats['rows'] {
    return { ...this.#rows };
  }

  /**
   * Takes the row counters of the connection that writes (sqlite-threaded.ts: the writer thread),
   * so a connection that only reads reports the same `stats()`.
   */
  setRowCounts(rows: StoreStats['rows']): void {
    this.#rows.publishes = rows.publishes;
    this.#rows.deliveries = rows.deliveries;
    this.#rows.sagas = rows.sagas;
  }

  // eslint-disable-next-line @typescript-eslint/require-await -- async so a throw becomes a rejection
  async ingest(batch: IngestBatch): Promise<IngestResult> {
    return this.#ingestTx(batch);
  }

  /**
   * One batch in one transaction, with as few statements per hop as the joins allow: saga rows
   * are read once per correlation id and written once at the end; records and group partitions
   * seen several times in a batch (a publish and its deliveries share a position) are merged and
   * upserted once; the link-only joins run only while the store holds link-only deliveries.
   * The result is the same as applying the hops one by one.
   */
  #ingest(batch: IngestBatch): IngestResult {
    const s = this.#s;
    const nowS = Math.floor(Date.now() / 1000);
    const result: IngestResult = { hopTimings: [], duplicates: [], sagasEnded: [] };
    const w: BatchWrites = { sagas: new Map(), records: new Map(), groupPartitions: new Map(), traces: new Map() };

    for (const r of batch.records) this.#putRecord(nowS, r, true);

    // Deliveries with no event id of their own (eachBatch: a span link only) wait for their
    // publish; when the store holds none, no publish can resolve one, so skip those two lookups.
    const linkOnlyStored = s.anyLinkOnly.get() !== undefined;

    // Publishes first, so a delivery in the same batch finds its publish.
    for (const p of batch.publishes) {
      const spanId = hexBuf(p.spanId);
      const traceId = hexBuf(p.traceId);
      const info = s.insPublish.run(
        nowS,
        p.eventId,
        p.eventType,
        p.correlationId,
        p.causationId,
        p.topic,
        p.partition,
        p.offset,
        p.timeUs,
        p.endUs,
        p.service,
        traceId,
        spanId,
        p.sagaType,
        p.compensation ? 1 : 0,
        p.terminal,
      );
      if (info.changes === 0) continue; // the same span again (an exporter retry)
      this.#rows.publishes++;
      mergeTrace(w.traces, traceId, p.correlationId, p.timeUs);
      const resolved: Delivery[] = [];
      if (p.eventId !== null) {
        if (linkOnlyStored) {
          for (const r of s.deliveriesByOrigin.all(spanId) as DeliveryRow[]) {
            if (r.correlation_id === null) resolved.push(toDelivery(r));
          }
          s.backfillByOrigin.run(p.eventId, p.correlationId, p.eventType, spanId);
        }
        if (p.partition !== null && p.offset !== null) {
          mergeRecord(w.records, p.topic, p.partition, p.offset, p.timeUs, p.eventId, p.correlationId);
        }
        // Deliveries that arrived before this publish get their queue time now, unless an
        // earlier-arrived publish of the event to this topic already timed them.
        const early = s.deliveriesByEventTopic.all(p.eventId, p.topic) as {
          grp: string;
          service: string;
          start_us: number;
          end_us: number;
        }[];
        if (early.length > 0 && s.otherPublishTo.get(p.eventId, p.topic, spanId) === undefined) {
          for (const d of early) {
            result.hopTimings.push({
              topic: p.topic,
              group: d.grp,
              service: d.service,
              queueUs: Math.max(0, d.start_us - p.timeUs),
              processingUs: d.end_us - d.start_us,
            });
          }
        }
      }
      if (p.correlationId !== null) {
        this.#sagaOnPublish(w.sagas, p);
        // They join the saga now: last activity, DLQ steps, and its end if this event is terminal.
        for (const d of resolved) {
          const ended = this.#sagaOnDelivery(w.sagas, {
            ...d,
            eventId: p.eventId,
            eventType: p.eventType,
            correlationId: p.correlationId,
            terminal: p.terminal,
            compensation: p.compensation,
            sagaType: p.sagaType,
          });
          if (ended) result.sagasEnded.push(ended);
        }
      }
    }

    for (const d0 of batch.deliveries) {
      const d = { ...d0 };
      const traceId = hexBuf(d.traceId);
      // Resolve the event: (topic, partition, offset) first, then the producer span.
      if (d.eventId === null && d.partition !== null && d.offset !== null) {
        this.#flushRecords(nowS, w.records); // the lookup must see this batch's records too
        const rec = s.recordByTpo.get(d.topic, d.partition, d.offset) as RecordRow | undefined;
        if (rec?.event_id) {
          d.eventId = rec.event_id;
          d.correlationId ??= rec.correlation_id;
        }
      }
      if (d.eventId === null && d.originSpanId !== null) {
        this.#flushTraces(w.traces); // the producer span may be in this batch
        const pub = this.#publishBySpan(d.originTraceId ?? d.traceId, d.originSpanId);
        if (pub?.event_id) {
          d.eventId = pub.event_id;
          d.correlationId ??= pub.correlation_id;
          d.eventType ??= pub.event_type;
        }
      }
      let publishUs: number | undefined;
      let priorProcessed = 0;
      if (d.eventId !== null) {
        const pub = firstPublishTo(s.publishesOfEvent.all(d.eventId) as PublishTimeRow[], d.topic);
        if (pub) {
          // The publish is the authority on what the event is.
          publishUs = pub.time_us;
          d.correlationId ??= pub.correlation_id;
          d.eventType = pub.event_type ?? d.eventType;
          d.terminal ??= pub.terminal;
          d.compensation ||= pub.compensation === 1;
        }
        if (d.outcome === 'processed') priorProcessed = (s.processedCount.get(d.eventId, d.group) as { n: number }).n;
      }
      const info = s.insDelivery.run(
        nowS,
        d.eventId,
        d.eventType,
        d.correlationId,
        d.topic,
        d.partition,
        d.offset,
        d.group,
        d.service,
        d.startUs,
        d.endUs,
        d.outcome,
        d.attempt,
        d.dlqTopic,
        traceId,
        hexBuf(d.spanId),
        d.originSpanId === null ? null : hexBuf(d.originSpanId),
        d.terminal,
        d.compensation ? 1 : 0,
      );
      if (info.changes === 0) continue;
      this.#rows.deliveries++;
      mergeTrace(w.traces, traceId, d.correlationId, d.startUs);
      if (d.partition !== null && d.offset !== null) {
        const key = `${d.group}\u0000${d.topic}\u0000${d.partition}`;
        const gp = w.groupPartitions.get(key);
        if (!gp)
          w.groupPartitions.set(key, { group: d.group, topic: d.topic, partition: d.partition, offset: d.offset });
        else if (d.offset < gp.offset) gp.offset = d.offset;
        mergeRecord(w.records, d.topic, d.partition, d.offset, d.startUs, d.eventId, d.correlationId);
      }
      if (publishUs !== undefined) {
        result.hopTimings.push({
          topic: d.topic,
          group: d.group,
          service: d.service,
          queueUs: Math.max(0, d.startUs - publishUs),
          processingUs: d.endUs - d.startUs,
        });
      }
      if (priorProcessed > 0 && d.eventId !== null) {
        s.upsDuplicate.run(d.eventId, d.group, priorProcessed + 1, d.startUs, d.startUs);
        result.duplicates.push({ eventId: d.eventId, group: d.group });
      }
      if (d.correlationId !== null) {
        const ended = this.#sagaOnDelivery(w.sagas, d);
        if (ended) result.sagasEnded.push(ended);
      }
    }

    this.#flushRecords(nowS, w.records);
    this.#flushTraces(w.traces);
    for (const gp of w.groupPartitions.values()) s.upsGroupPartition.run(gp.group, gp.topic, gp.partition, gp.offset);
    const updatedS = Math.floor(Date.now() / 1000);
    for (const slot of w.sagas.values()) {
      if (!slot.row || !slot.dirty) continue;
      if (slot.release) result.sagasEnded.push(sagaEnd(slot.row));
      slot.row.updated_s = updatedS;
      s.insSaga.run(slot.row);
      if (slot.isNew) this.#rows.sagas++;
    }
    return result;
  }

  #flushTraces(pending: BatchWrites['traces']): void {
    for (const t of pending.values()) this.#s.upsTrace.run(t.traceId, t.corr, t.firstUs, t.lastUs);
    pending.clear();
  }

  /** The publish with this span id, found through its trace's sagas and time range (no span-id index). */
  #publishBySpan(
    traceIdHex: string,
    spanIdHex: string,
  ): { event_id: string | null; event_type: string | null; correlation_id: string | null } | undefined {
    const s = this.#s;
    const spanId = hexBuf(spanIdHex);
    for (const t of s.tracePlaces.all(hexBuf(traceIdHex)) as TracePlace[]) {
      const pub = (
        t.corr !== ''
          ? s.publishBySpanInSaga.get(t.corr, spanId)
          : s.publishBySpanInTime.get(t.first_us, t.last_us, spanId)
      ) as { event_id: string | null; event_type: string | null; correlation_id: string | null } | undefined;
      if (pub) return pub;
    }
    return undefined;
  }

  #flushRecords(nowS: number, pending: Map<string, RecordRef>): void {
    for (const r of pending.values()) this.#putRecord(nowS, r);
    pending.clear();
  }

  #putRecord(nowS: number, r: RecordRef, backfill = false): void {
    this.#s.upsRecord.run(nowS, r.topic, r.partition, r.offset, r.timestampUs, r.eventId, r.correlationId);
    if (backfill && r.eventId !== null) {
      this.#s.backfillByTpo.run(r.eventId, r.correlationId, r.topic, r.partition, r.offset);
    }
  }

  #sagaRow(correlationId: string): SagaRow | undefined {
    return this.#s.saga.get(correlationId) as SagaRow | undefined;
  }

  /** The batch's copy of a saga row: read once, changed in memory, written at the end of the batch. */
  #sagaSlot(slots: Map<string, SagaSlot>, id: string): SagaSlot {
    let slot = slots.get(id);
    if (!slot) {
      slot = { row: this.#sagaRow(id), isNew: false, dirty: false };
      slots.set(id, slot);
    }
    return slot;
  }

  /**
   * A publish joins its saga. The root publish (no causation id) an end was held back for
   * releases it (reported at the end of the batch, with the rest of the batch applied). A
   * compensation that arrives after the terminal delivery turns `failed` into `compensated`.
   */
  #sagaOnPublish(slots: Map<string, SagaSlot>, p: Publish): void {
    const id = p.correlationId as string;
    const slot = this.#sagaSlot(slots, id);
    const old = slot.row;
    slot.dirty = true;
    const root = p.causationId === null;
    if (!old) {
      slot.isNew = true;
      slot.row = {
        correlation_id: id,
        saga_type: p.sagaType,
        first_us: p.timeUs,
        first_is_publish: 1,
        last_us: p.endUs,
        outcome: null,
        terminal_type: null,
        terminal_us: null,
        hops: 1,
        compensations: p.compensation ? 1 : 0,
        dlq_steps: 0,
        stuck_reported: 0,
        updated_s: 0,
        root_us: root ? p.timeUs : null,
        end_held: 0,
      };
      return;
    }
    const earlier = old.first_is_publish === 0 || p.timeUs < old.first_us;
    // Once a terminal delivery has named the saga's type, publishes no longer change it.
    if (old.outcome === null)
      old.saga_type = earlier && p.sagaType !== null ? p.sagaType : (old.saga_type ?? p.sagaType);
    old.first_us = earlier ? p.timeUs : old.first_us;
    old.first_is_publish = 1;
    old.last_us = Math.max(old.last_us, p.endUs);
    old.hops += 1;
    old.stuck_reported = 0;
    if (p.compensation) {
      old.compensations += 1;
      if (old.outcome === 'failed') old.outcome = 'compensated';
    }
    if (root && (old.root_us === null || p.timeUs < old.root_us)) old.root_us = p.timeUs;
    if (old.end_held === 1 && old.root_us !== null) {
      old.end_held = 0;
      slot.release = true;
    }
  }

  /**
   * A delivery joins its saga. The first processed terminal delivery ends it; its end (for
   * metrics) is returned at once when the saga's root publish is known, and otherwise held back
   * until that publish arrives (exporters send spans in their own order: the terminal delivery
   * can come before `order.placed`) or `takeHeldEnds` reports it. End-to-end latency ends at the
   * start of the earliest processed terminal delivery, whichever arrives first.
   */
  #sagaOnDelivery(slots: Map<string, SagaSlot>, d: Delivery): IngestResult['sagasEnded'][number] | undefined {
    const id = d.correlationId as string;
    const slot = this.#sagaSlot(slots, id);
    slot.dirty = true;
    let row = slot.row;
    if (row) {
      row.last_us = Math.max(row.last_us, d.endUs);
      row.stuck_reported = 0;
    } else {
      slot.isNew = true;
      row = {
        correlation_id: id,
        saga_type: null,
        // Provisional until a publish of the saga arrives (first_is_publish = 0).
        first_us: d.startUs,
        first_is_publish: 0,
        last_us: d.endUs,
        outcome: null,
        terminal_type: null,
        terminal_us: null,
        hops: 0,
        compensations: 0,
        dlq_steps: 0,
        stuck_reported: 0,
        updated_s: 0,
        root_us: null,
        end_held: 0,
      };
      slot.row = row;
    }
    if (d.outcome === 'dead_lettered') row.dlq_steps++;
    if (d.terminal === null || d.outcome !== 'processed') return undefined;
    if (row.outcome !== null) {
      if (row.terminal_us !== null && d.startUs < row.terminal_us) row.terminal_us = d.startUs;
      return undefined;
    }
    row.outcome = d.terminal === 'failed' && row.compensations > 0 ? 'compensated' : d.terminal;
    row.terminal_type = d.eventType;
    row.terminal_us = d.startUs;
    if (d.sagaType !== undefined && d.sagaType !== null) row.saga_type = d.sagaType;
    if (row.root_us === null) {
      row.end_held = 1;
      return undefined;
    }
    return sagaEnd(row);
  }

  event(eventId: string): Promise<EventHops> {
    const s = this.#s;
    const publishes = (s.publishesByEvent.all(eventId) as PublishRow[]).map(toPublish);
    const records = (s.recordsByEvent.all(eventId) as RecordRow[]).map(toRecord);
    const deliveries = new Map<string, Delivery>();
    for (const r of s.deliveriesByEvent.all(eventId) as DeliveryRow[])
      deliveries.set(r.span_id.toString('hex'), toDelivery(r));
    // Deliveries that carry no event id: by position, then by producer span.
    for (const rec of records) {
      for (const r of s.deliveriesByTpo.all(rec.topic, rec.partition, rec.offset) as DeliveryRow[]) {
        if (r.event_id === null || r.event_id === eventId) {
          const d = toDelivery(r);
          d.eventId = eventId;
          deliveries.set(d.spanId, d);
        }
      }
    }
    for (const p of publishes) {
      for (const r of s.deliveriesByOrigin.all(hexBuf(p.spanId)) as DeliveryRow[]) {
        const d = toDelivery(r);
        d.eventId = eventId;
        deliveries.set(d.spanId, d);
      }
    }
    return Promise.resolve({
      publishes,
      deliveries: [...deliveries.values()].sort((a, b) => a.startUs - b.startUs),
      records,
    });
  }

  trace(traceId: string): Promise<{ publishes: Publish[]; deliveries: Delivery[] }> {
    const s = this.#s;
    const id = hexBuf(traceId);
    const publishes = new Map<string, PublishRow>();
    const deliveries = new Map<string, DeliveryRow>();
    // Each saga the trace touched through the saga's index; spans without a saga by time range.
    const collect = <R extends { span_id: Buffer }>(
      t: TracePlace,
      bySaga: Statement,
      byTime: Statement,
      into: Map<string, R>,
    ) => {
      const rows = (t.corr !== '' ? bySaga.all(t.corr, id) : byTime.all(t.first_us, t.last_us, id)) as R[];
      for (const r of rows) into.set(r.span_id.toString('hex'), r);
    };
    for (const t of s.tracePlaces.all(id) as TracePlace[]) {
      collect(t, s.publishesByTraceInSaga, s.publishesByTraceInTime, publishes);
      collect(t, s.deliveriesByTraceInSaga, s.deliveriesByTraceInTime, deliveries);
    }
    return Promise.resolve({
      publishes: [...publishes.values()]
        .sort((a, b) => a.time_us - b.time_us)
        .slice(0, 5000)
        .map(toPublish),
      deliveries: [...deliveries.values()]
        .sort((a, b) => a.start_us - b.start_us)
        .slice(0, 5000)
        .map(toDelivery),
    });
  }

  async saga(correlationId: string): Promise<{ summary: SagaSummary; hops: EventHops } | undefined> {
    const row = this.#sagaRow(correlationId);
    if (!row) return undefined;
    const s = this.#s;
    const publishes = (s.publishesByCorr.all(correlationId) as PublishRow[]).map(toPublish);
    const deliveries = new Map<string, Delivery>();
    for (const r of s.deliveriesByCorr.all(correlationId) as DeliveryRow[]) {
      deliveries.set(r.span_id.toString('hex'), toDelivery(r));
    }
    const records: RecordRef[] = [];
    const seen = new Set<string>();
    for (const p of publishes) {
      if (p.eventId === null || seen.has(p.eventId)) continue;
      seen.add(p.eventId);
      const hops = await this.event(p.eventId);
      for (const d of hops.deliveries) deliveries.set(d.spanId, d);
      records.push(...hops.records);
    }
    return {
      summary: toSaga(row),
      hops: { publishes, deliveries: [...deliveries.values()].sort((a, b) => a.startUs - b.startUs), records },
    };
  }

  sagas(f: SagaFilter): Promise<SagaPage> {
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
    if (f.cursor !== undefined) {
      const sep = f.cursor.indexOf('~');
      const us = Number(f.cursor.slice(0, sep));
      if (sep < 1 || !Number.isSafeInteger(us)) throw new RangeError(`bad cursor ${f.cursor}`);
      where.push('(first_us, correlation_id) < (?, ?)');
      args.push(us, f.cursor.slice(sep + 1));
    }
    const sql = `SELECT * FROM sagas ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY first_us DESC, correlation_id DESC LIMIT ?`;
    const rows = this.#db.prepare(sql).all(...args, f.limit + 1) as SagaRow[];
    const more = rows.length > f.limit;
    const items = rows.slice(0, f.limit).map(toSaga);
    const last = items.at(-1);
    return Promise.resolve({ items, nextCursor: more && last ? `${last.firstUs}~${last.correlationId}` : null });
  }

  search(q: string): Promise<{ event: boolean; trace: boolean; saga: boolean }> {
    const s = this.#s;
    const trace = /^[0-9a-f]{32}$/i.test(q) ? s.existsTrace.get({ q: hexBuf(q) }) !== undefined : false;
    return Promise.resolve({
      event: s.existsEvent.get({ q }) !== undefined,
      trace,
      saga: s.existsSaga.get(q) !== undefined,
    });
  }

  instrumentedGroups(): Promise<InstrumentedPartition[]> {
    return Promise.resolve(
      (this.#s.groupPartitions.all() as { grp: string; topic: string; part: number; first_off: number }[]).map((r) => ({
        group: r.grp,
        topic: r.topic,
        partition: r.part,
        firstOffset: r.first_off,
      })),
    );
  }

  unaccountedCandidates(q: {
    group: string;
    topic: string;
    partition: number;
    fromOffset: number;
    toOffset: number;
    seenBeforeUs: number;
    limit: number;
  }): Promise<{ records: RecordRef[]; nextCheckpoint: number }> {
    const young = this.#s.firstYoung.get(q.topic, q.partition, q.fromOffset, q.toOffset, q.seenBeforeUs) as {
      off: number | null;
    };
    const to = young.off ?? q.toOffset;
    const rows = this.#s.candidates.all({
      topic: q.topic,
      part: q.partition,
      from: q.fromOffset,
      to,
      before: q.seenBeforeUs,
      grp: q.group,
      dlq: `${q.group}.dlq`,
      limit: q.limit,
    }) as RecordRow[];
    const records = rows.map(toRecord);
    const last = records.at(-1);
    const nextCheckpoint = records.length >= q.limit && last ? last.offset + 1 : to;
    return Promise.resolve({ records, nextCheckpoint });
  }

  addUnaccounted(entries: UnaccountedEntry[]): Promise<number> {
    let added = 0;
    this.#db.transaction(() => {
      for (const e of entries) {
        added += this.#s.insUnaccounted.run(
          e.group,
          e.topic,
          e.partition,
          e.offset,
          e.eventId,
          e.correlationId,
          e.detectedUs,
        ).changes;
      }
    })();
    return Promise.resolve(added);
  }

  auditCheckpoint(group: string, topic: string, partition: number): Promise<number | undefined> {
    const row = this.#s.checkpoint.get(group, topic, partition) as { off: number } | undefined;
    return Promise.resolve(row?.off);
  }

  setAuditCheckpoint(group: string, topic: string, partition: number, offset: number): Promise<void> {
    this.#s.setCheckpoint.run(group, topic, partition, offset);
    return Promise.resolve();
  }

  duplicates(limit: number): Promise<DuplicateEntry[]> {
    return Promise.resolve(
      (
        this.#s.duplicates.all(limit) as {
          event_id: string;
          grp: string;
          count: number;
          first_us: number;
          last_us: number;
        }[]
      ).map((r) => ({ eventId: r.event_id, group: r.grp, count: r.count, firstUs: r.first_us, lastUs: r.last_us })),
    );
  }

  unaccounted(limit: number): Promise<UnaccountedEntry[]> {
    return Promise.resolve(
      (
        this.#s.unaccounted.all(limit) as {
          grp: string;
          topic: string;
          part: number;
          off: number;
          event_id: string | null;
          correlation_id: string | null;
          detected_us: number;
        }[]
      ).map((r) => ({
        group: r.grp,
        topic: r.topic,
        partition: r.part,
        offset: r.off,
        eventId: r.event_id,
        correlationId: r.correlation_id,
        detectedUs: r.detected_us,
      })),
    );
  }

  takeHeldEnds(beforeUs: number, limit: number): Promise<IngestResult['sagasEnded']> {
    const rows = this.#db.transaction(() => {
      const found = this.#s.heldEnds.all(beforeUs, limit) as SagaRow[];
      for (const r of found) this.#s.releaseEnd.run(r.correlation_id);
      return found;
    })();
    return Promise.resolve(rows.map(sagaEnd));
  }

  takeNewlyStuck(beforeUs: number, limit: number): Promise<SagaSummary[]> {
    const rows = this.#db.transaction(() => {
      const found = this.#s.newlyStuck.all(beforeUs, limit) as SagaRow[];
      for (const r of found) this.#s.markStuck.run(r.correlation_id);
      return found;
    })();
    return Promise.resolve(rows.map(toSaga));
  }

  #usedBytes(): number {
    const pageSize = this.#db.pragma('page_size', { simple: true }) as number;
    const pages = this.#db.pragma('page_count', { simple: true }) as number;
    const free = this.#db.pragma('freelist_count', { simple: true }) as number;
    return (pages - free) * pageSize;
  }

  // eslint-disable-next-line @typescript-eslint/require-await -- async so a throw becomes a rejection
  async addAuditEntry(e: Omit<AuditEntry, 'id'>): Promise<number> {
    const info = this.#db
      .prepare(
        `INSERT INTO audit_log (time_us, subject, role, via, action, target, result, detail, remote_addr, user_agent)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(e.timeUs, e.subject, e.role, e.via, e.action, e.target, e.result, e.detail, e.remoteAddress, e.userAgent);
    return Number(info.lastInsertRowid);
  }

  // eslint-disable-next-line @typescript-eslint/require-await -- async so a throw becomes a rejection
  async auditLog(q: AuditLogQuery): Promise<AuditEntry[]> {
    const rows = this.#db
      .prepare(`SELECT * FROM audit_log WHERE id < ? ORDER BY id DESC LIMIT ?`)
      .all(q.beforeId ?? Number.MAX_SAFE_INTEGER, q.limit) as {
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
    }[];
    return rows.map((r) => ({
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
    }));
  }

  stats(): Promise<StoreStats> {
    // records are upserted (an update reports a change too), so counted from their id range.
    this.#rows.records = hopRows(this.#db, 'records');
    return Promise.resolve({ bytes: this.#usedBytes(), rows: { ...this.#rows } });
  }

  /** Largest id of `table` whose ingest_s is below `cutoffS` (ids grow with ingest_s). */
  #cutoffId(table: 'publishes' | 'deliveries' | 'records', cutoffS: number): number {
    const bounds = idRange(this.#db, table);
    if (bounds.lo === null || bounds.hi === null) return 0;
    const at = this.#db.prepare(`SELECT id, ingest_s FROM ${table} WHERE id >= ? ORDER BY id LIMIT 1`);
    let lo = bounds.lo;
    let hi = bounds.hi;
    let found = 0;
    while (lo <= hi) {
      const mid = Math.floor((lo + hi) / 2);
      const row = at.get(mid) as { id: number; ingest_s: number } | undefined;
      if (!row) break;
      if (row.ingest_s < cutoffS) {
        found = row.id;
        lo = row.id + 1;
      } else {
        hi = mid - 1;
      }
    }
    return found;
  }

  #deleteUpTo(ids: Partial<Record<'publishes' | 'deliveries' | 'records', number>>, deleteSagas: () => number): number {
    let deleted = 0;
    this.#db.transaction(() => {
      for (const table of ['publishes', 'deliveries', 'records'] as const) {
        const id = ids[table];
        if (id !== undefined && id > 0) {
          const n = this.#db.prepare(`DELETE FROM ${table} WHERE id <= ?`).run(id).changes;
          deleted += n;
          if (table !== 'records') this.#rows[table] -= n;
        }
      }
      const sagas = deleteSagas();
      this.#rows.sagas -= sagas;
      deleted += sagas;
    })();
    return deleted;
  }

  enforceRetention(policy: RetentionPolicy): Promise<number> {
    const cutoffUs = policy.nowUs - policy.maxAgeUs;
    const cutoffS = Math.floor(cutoffUs / 1e6);
    let deleted = this.#deleteUpTo(
      {
        publishes: this.#cutoffId('publishes', cutoffS),
        deliveries: this.#cutoffId('deliveries', cutoffS),
        records: this.#cutoffId('records', cutoffS),
      },
      () => this.#db.prepare(`DELETE FROM sagas WHERE updated_s < ?`).run(cutoffS).changes,
    );
    deleted += this.#db.prepare(`DELETE FROM duplicates WHERE last_us < ?`).run(cutoffUs).changes;
    deleted += this.#db.prepare(`DELETE FROM unaccounted WHERE detected_us < ?`).run(cutoffUs).changes;
    deleted += this.#db
      .prepare(`DELETE FROM audit_log WHERE id <= (SELECT max(id) FROM audit_log) - ?`)
      .run(AUDIT_MAX_ROWS).changes;
    // By size: drop the oldest tenth of every table (by insertion order) until under the limit.
    for (let round = 0; round < 20 && this.#usedBytes() > policy.maxBytes; round++) {
      const ids: Partial<Record<'publishes' | 'deliveries' | 'records', number>> = {};
      for (const table of ['publishes', 'deliveries', 'records'] as const) {
        const b = idRange(this.#db, table);
        if (b.lo !== null && b.hi !== null) ids[table] = b.lo + Math.floor((b.hi - b.lo) / 10);
      }
      const n = this.#deleteUpTo(ids, () => {
        const tenth = Math.max(1, Math.floor(this.#rows.sagas / 10));
        return this.#db
          .prepare(
            `DELETE FROM sagas WHERE correlation_id IN (SELECT correlation_id FROM sagas ORDER BY updated_s LIMIT ?)`,
          )
          .run(BigInt(tenth)).changes;
      });
      deleted += n;
      if (n === 0) break;
      this.#db.pragma('incremental_vacuum');
    }
    if (deleted > 0) this.#db.pragma('incremental_vacuum');
    return Promise.resolve(deleted);
  }

  close(): Promise<void> {
    if (this.#db.open) {
      this.#db.pragma('wal_checkpoint(TRUNCATE)');
      this.#db.close();
    }
    return Promise.resolve();
  }
}
