/**
 * The SQLite store's schema, its migrations and the connection's settings: `openDatabase`
 * opens (or creates) the file, migrates an older schema in one transaction, and refuses a
 * newer one.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database, { type Database as Db } from 'better-sqlite3';

const SCHEMA_VERSION = '4';
/** Audit log rows kept (the newest); older ones go with retention. Bounds a flood of refused writes too. */
export const AUDIT_MAX_ROWS = 100_000;
/** Schema 1 -> 2: a saga's root publish time and its held-back end (see `sagaOnDelivery` in sqlite-ingest.ts). */
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
/**
 * Schema 3 -> 4 (the loss audit that tells loss from lost telemetry, issue #22): a delivery keeps
 * its record's causation id, and a finding keeps its class, the reason, the group's service and
 * when it was decided. Findings of an older collector stay open and are decided again.
 */
const MIGRATE_3_TO_4: readonly [table: string, column: string, declaration: string][] = [
  ['deliveries', 'causation_id', 'TEXT'],
  ['unaccounted', 'class', "TEXT NOT NULL DEFAULT 'unknown'"],
  ['unaccounted', 'reason', "TEXT NOT NULL DEFAULT 'pending'"],
  ['unaccounted', 'service', 'TEXT'],
  ['unaccounted', 'decided_us', 'INTEGER'],
];
/** Adds the columns schema 4 has that the file lacks (a table SCHEMA just created has them all). */
function migrate3To4(db: Db): void {
  for (const [table, column, declaration] of MIGRATE_3_TO_4) {
    const has = db
      .prepare<[], { name: string }>(`SELECT name FROM pragma_table_info('${table}')`)
      .all()
      .some((c) => c.name === column);
    if (!has) db.exec(`ALTER TABLE ${table} ADD COLUMN ${column} ${declaration}`);
  }
}
/** Created after any migration, so it can name the columns a migration adds. */
const SCHEMA_INDEXES = `
-- What an event caused (the loss audit's evidence). Causation ids are UUIDv7s, time-ordered:
-- inserts land at the end of the index, not on random pages.
CREATE INDEX IF NOT EXISTS publishes_causation ON publishes(causation_id) WHERE causation_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS deliveries_causation ON deliveries(causation_id) WHERE causation_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS unaccounted_open ON unaccounted(detected_us) WHERE decided_us IS NULL;
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
  terminal TEXT, compensation INTEGER NOT NULL, causation_id TEXT
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
  class TEXT NOT NULL DEFAULT 'unknown', reason TEXT NOT NULL DEFAULT 'pending', service TEXT, decided_us INTEGER,
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

export interface SqliteStoreOptions {
  /** File path, or ':memory:'. */
  file: string;
  /** Told before a schema migration starts (it can take minutes on a large store). */
  onMigrate?: (message: string) => void;
  /**
   * SQLite's page cache of this connection, MB; left out, SQLite's own default (2 MB). The store
   * plugin and ThreadedSqliteStore pass the config's `storeCacheMb`. Not read from config.ts here:
   * the writer thread would load the config's whole module graph (typebox's 679 files) for it.
   */
  cacheMb?: number;
}

/** Opens the store's file with the store's settings, creating or migrating its schema. */
export function openDatabase(options: SqliteStoreOptions): Db {
  if (options.file !== ':memory:') mkdirSync(dirname(options.file), { recursive: true });
  const db = new Database(options.file);
  // auto_vacuum must be chosen before the first table exists; a no-op on an existing file.
  db.pragma('auto_vacuum = INCREMENTAL');
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('temp_store = MEMORY');
  // A bounded page cache (negative: KiB), so memory stays bounded whatever the store's size.
  if (options.cacheMb !== undefined) db.pragma(`cache_size = -${Math.round(options.cacheMb * 1024)}`);
  db.pragma('busy_timeout = 5000');
  // Checkpoint the WAL every ~40 MB instead of every 4 MB: hot index pages rewritten by consecutive
  // ingest batches are copied into the database file once per checkpoint, not once per 1,000 pages.
  db.pragma('wal_autocheckpoint = 10000');
  db.exec(SCHEMA);
  const version = db.prepare<[], { value: string }>(`SELECT value FROM meta WHERE key = 'schema'`).get();
  if (!version) db.prepare(`INSERT INTO meta(key, value) VALUES ('schema', ?)`).run(SCHEMA_VERSION);
  else if (version.value === '1' || version.value === '2' || version.value === '3') {
    options.onMigrate?.(
      `migrating the store ${options.file} from schema ${version.value} to ${SCHEMA_VERSION} (minutes on a large store)`,
    );
    // One transaction: a migration interrupted half way leaves the file as it was.
    db.transaction(() => {
      if (version.value === '1') db.exec(MIGRATE_1_TO_2);
      if (version.value !== '3') db.exec(MIGRATE_2_TO_3);
      migrate3To4(db);
      db.exec(SCHEMA_INDEXES);
      db.prepare(`UPDATE meta SET value = ? WHERE key = 'schema'`).run(SCHEMA_VERSION);
    })();
  } else if (version.value !== SCHEMA_VERSION) {
    throw new Error(`store ${options.file} has schema ${version.value}; this collector needs ${SCHEMA_VERSION}`);
  }

  db.exec(SCHEMA_INDEXES);
  return db;
}
