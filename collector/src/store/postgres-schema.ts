/**
 * The PostgreSQL store's schema: versioned, forward-only migrations recorded in
 * `schema_migrations`, applied at start under a session advisory lock (two collectors starting
 * together: the second waits, then finds them applied), and the hop tables' partitions.
 *
 * The hop tables (publishes, deliveries, records) are partitioned by RANGE over `seq`, a
 * sequence that grows with insertion, so each partition holds the rows of one stretch of
 * ingest time; `hop_partitions` records each partition's bounds, rows, bytes and first and newest
 * ingest time. Retention drops whole partitions (postgres-retention.ts): by age once a
 * partition's newest row is past the age limit, by size oldest first. A partition is closed by
 * whichever bound it reaches first (ADR 0006): its rows (so the size limit holds at any ingest
 * rate: an hour at 30k spans/s is ~40 GB, larger than the default size limit) or its time width
 * (so at a low rate a partition still holds one bounded stretch of ingest time, and age
 * retention drops rows at most that width after they pass the limit). Partitions are created
 * ahead of the sequence; closing one moves the sequence on to the next.
 *
 * The partition key is not in a lookup by event id, so `event_partitions` (schema 3, ADR 0007)
 * records per event the partitions of each hop table holding its rows, written in the statements
 * that write the rows (postgres-ingest.ts `countInserted`): a lookup reads those partitions alone.
 */
import type { Pool, PoolClient } from 'pg';

/** One migration: applied once, in order, in one transaction. Never edit one that shipped; add the next. */
interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** The partitioned tables and the columns each inserts (seq comes from the table's sequence). */
export const HOP_TABLES = ['publishes', 'deliveries', 'records'] as const;
export type HopTable = (typeof HOP_TABLES)[number];

const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'flows, sagas, loss audit and access audit log',
    sql: `
CREATE SEQUENCE publishes_seq;
CREATE TABLE publishes (
  seq bigint NOT NULL DEFAULT nextval('publishes_seq'),
  ingest_s bigint NOT NULL,
  event_id text COLLATE "C", event_type text, correlation_id text COLLATE "C", causation_id text,
  topic text NOT NULL, part integer, off bigint,
  time_us bigint NOT NULL, end_us bigint NOT NULL,
  service text NOT NULL, trace_id bytea NOT NULL, span_id bytea NOT NULL,
  saga_type text, compensation smallint NOT NULL, terminal text
) PARTITION BY RANGE (seq);
CREATE INDEX publishes_event_time ON publishes (event_id, time_us) WHERE event_id IS NOT NULL;
CREATE INDEX publishes_corr ON publishes (correlation_id) WHERE correlation_id IS NOT NULL;
CREATE INDEX publishes_causation ON publishes (causation_id) WHERE causation_id IS NOT NULL;
-- An exporter's retry repeats the span's id and start: the retry is recognised by this index.
CREATE INDEX publishes_time_span ON publishes (time_us, span_id);

CREATE SEQUENCE deliveries_seq;
CREATE TABLE deliveries (
  seq bigint NOT NULL DEFAULT nextval('deliveries_seq'),
  ingest_s bigint NOT NULL,
  event_id text COLLATE "C", event_type text, correlation_id text COLLATE "C",
  topic text NOT NULL, part integer, off bigint, grp text NOT NULL, service text NOT NULL,
  start_us bigint NOT NULL, end_us bigint NOT NULL, outcome text NOT NULL, attempt integer NOT NULL,
  dlq_topic text, trace_id bytea NOT NULL, span_id bytea NOT NULL, origin_span_id bytea,
  terminal text, compensation smallint NOT NULL, causation_id text
) PARTITION BY RANGE (seq);
CREATE INDEX deliveries_event ON deliveries (event_id, grp) WHERE event_id IS NOT NULL;
CREATE INDEX deliveries_corr ON deliveries (correlation_id) WHERE correlation_id IS NOT NULL;
CREATE INDEX deliveries_tpo ON deliveries (topic, part, off) WHERE off IS NOT NULL;
CREATE INDEX deliveries_origin ON deliveries (origin_span_id) WHERE event_id IS NULL;
CREATE INDEX deliveries_causation ON deliveries (causation_id) WHERE causation_id IS NOT NULL;
CREATE INDEX deliveries_time_span ON deliveries (start_us, span_id);

CREATE SEQUENCE records_seq;
CREATE TABLE records (
  seq bigint NOT NULL DEFAULT nextval('records_seq'),
  ingest_s bigint NOT NULL,
  topic text NOT NULL, part integer NOT NULL, off bigint NOT NULL, ts_us bigint NOT NULL,
  event_id text COLLATE "C", correlation_id text COLLATE "C"
) PARTITION BY RANGE (seq);
-- One row per position: ingest updates the existing row wherever it is (under the ingest lock).
CREATE INDEX records_tpo ON records (topic, part, off);
CREATE INDEX records_event ON records (event_id) WHERE event_id IS NOT NULL;

CREATE TABLE hop_partitions (
  tbl text NOT NULL, lo bigint NOT NULL, hi bigint NOT NULL,
  rows bigint NOT NULL DEFAULT 0, bytes bigint NOT NULL DEFAULT 0, max_ingest_s bigint,
  PRIMARY KEY (tbl, lo)
);

CREATE TABLE traces (
  trace_id bytea NOT NULL, corr text NOT NULL, first_us bigint NOT NULL, last_us bigint NOT NULL,
  PRIMARY KEY (trace_id, corr)
);
CREATE TABLE sagas (
  correlation_id text COLLATE "C" PRIMARY KEY,
  saga_type text, first_us bigint NOT NULL, first_is_publish smallint NOT NULL, last_us bigint NOT NULL,
  outcome text, terminal_type text, terminal_us bigint, hops integer NOT NULL,
  compensations integer NOT NULL, dlq_steps integer NOT NULL, stuck_reported smallint NOT NULL DEFAULT 0,
  updated_s bigint NOT NULL, root_us bigint, end_held smallint NOT NULL DEFAULT 0
);
CREATE INDEX sagas_first ON sagas (first_us, correlation_id);
CREATE INDEX sagas_open_last ON sagas (last_us) WHERE outcome IS NULL;
CREATE INDEX sagas_outcome ON sagas (outcome, first_us, correlation_id) WHERE outcome IS NOT NULL;
CREATE INDEX sagas_updated ON sagas (updated_s);
CREATE INDEX sagas_end_held ON sagas (last_us) WHERE end_held = 1;
CREATE TABLE duplicates (
  event_id text NOT NULL, grp text NOT NULL, count integer NOT NULL, first_us bigint NOT NULL, last_us bigint NOT NULL,
  PRIMARY KEY (event_id, grp)
);
CREATE INDEX duplicates_last ON duplicates (last_us);
CREATE TABLE unaccounted (
  grp text NOT NULL, topic text NOT NULL, part integer NOT NULL, off bigint NOT NULL,
  event_id text, correlation_id text, detected_us bigint NOT NULL,
  class text NOT NULL DEFAULT 'unknown', reason text NOT NULL DEFAULT 'pending', service text, decided_us bigint,
  PRIMARY KEY (grp, topic, part, off)
);
CREATE INDEX unaccounted_detected ON unaccounted (detected_us);
CREATE INDEX unaccounted_open ON unaccounted (detected_us) WHERE decided_us IS NULL;
CREATE TABLE audit_checkpoints (
  grp text NOT NULL, topic text NOT NULL, part integer NOT NULL, off bigint NOT NULL,
  PRIMARY KEY (grp, topic, part)
);
CREATE TABLE audit_log (
  id bigserial PRIMARY KEY,
  time_us bigint NOT NULL,
  subject text NOT NULL, role text, via text,
  action text NOT NULL, target text NOT NULL, result text NOT NULL, detail text,
  remote_addr text NOT NULL, user_agent text
);
CREATE TABLE group_partitions (
  grp text NOT NULL, topic text NOT NULL, part integer NOT NULL, first_off bigint NOT NULL,
  PRIMARY KEY (grp, topic, part)
);
`,
  },
  {
    version: 2,
    name: 'hop partitions bounded in ingest time as well as in rows',
    sql: `
ALTER TABLE hop_partitions ADD COLUMN min_ingest_s bigint;
-- The first ingest time of partitions written before is not kept: their newest stands in for it.
UPDATE hop_partitions SET min_ingest_s = max_ingest_s WHERE rows > 0;
`,
  },
  {
    version: 3,
    name: 'an index from event id to the hop partitions holding its rows',
    sql: `
-- Per event, the partitions ([lo, hi) of seq) of each hop table that hold rows with its id (ADR 0007):
-- a lookup by id reads those partitions alone. Written by ingest when an event gains a partition.
-- first_s (the earliest ingest second of its rows) finds the entries retention may remove.
CREATE TABLE event_partitions (
  event_id text COLLATE "C" PRIMARY KEY,
  first_s bigint NOT NULL,
  pub_lo bigint, pub_hi bigint, del_lo bigint, del_hi bigint, rec_lo bigint, rec_hi bigint
) WITH (fillfactor = 80);
CREATE INDEX event_partitions_first ON event_partitions (first_s);
-- Deliveries written without an event id, per partition: only these partitions can hold a delivery
-- that a lookup finds by its record's position or its producer span (0 for the other tables).
ALTER TABLE hop_partitions ADD COLUMN unresolved bigint NOT NULL DEFAULT 0;
UPDATE hop_partitions h SET unresolved = (
  SELECT count(*) FROM deliveries d WHERE d.seq >= h.lo AND d.seq < h.hi AND d.event_id IS NULL)
WHERE h.tbl = 'deliveries' AND h.rows > 0;
INSERT INTO event_partitions (event_id, first_s, pub_lo, pub_hi, del_lo, del_hi, rec_lo, rec_hi)
SELECT x.event_id, min(x.s),
  min(h.lo) FILTER (WHERE h.tbl = 'publishes'), max(h.hi) FILTER (WHERE h.tbl = 'publishes'),
  min(h.lo) FILTER (WHERE h.tbl = 'deliveries'), max(h.hi) FILTER (WHERE h.tbl = 'deliveries'),
  min(h.lo) FILTER (WHERE h.tbl = 'records'), max(h.hi) FILTER (WHERE h.tbl = 'records')
FROM hop_partitions h CROSS JOIN LATERAL (
  SELECT event_id, min(ingest_s) AS s FROM publishes t
  WHERE h.tbl = 'publishes' AND t.seq >= h.lo AND t.seq < h.hi AND t.event_id IS NOT NULL GROUP BY event_id
  UNION ALL
  SELECT event_id, min(ingest_s) FROM deliveries t
  WHERE h.tbl = 'deliveries' AND t.seq >= h.lo AND t.seq < h.hi AND t.event_id IS NOT NULL GROUP BY event_id
  UNION ALL
  SELECT event_id, min(ingest_s) FROM records t
  WHERE h.tbl = 'records' AND t.seq >= h.lo AND t.seq < h.hi AND t.event_id IS NOT NULL GROUP BY event_id) x
WHERE h.rows > 0
GROUP BY x.event_id;
`,
  },
];

/** The newest schema this collector knows. */
export const SCHEMA_VERSION = MIGRATIONS.at(-1)?.version ?? 0;

/**
 * Creates `schema` when given, and applies the migrations it lacks, each in its own
 * transaction, holding a session advisory lock so concurrent starts apply each one once.
 * Refuses a database migrated by a newer collector.
 */
export async function migrate(pool: Pool, schema?: string, onMigrate?: (message: string) => void): Promise<void> {
  const c = await pool.connect();
  try {
    // One lock per database (advisory locks are): starts of stores in other schemas wait briefly too.
    await c.query(`SELECT pg_advisory_lock(hashtext('eventscope:migrate'))`);
    try {
      if (schema !== undefined) await c.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
      await c.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
        version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
      const { rows } = await c.query<{ v: number | null }>(`SELECT max(version) AS v FROM schema_migrations`);
      const current = rows[0]?.v ?? 0;
      if (current > SCHEMA_VERSION) {
        throw new Error(`the database has store schema ${current}; this collector knows up to ${SCHEMA_VERSION}`);
      }
      for (const m of MIGRATIONS) {
        if (m.version <= current) continue;
        if (current > 0) onMigrate?.(`migrating the PostgreSQL store to schema ${m.version} (${m.name})`);
        await inTransaction(c, async () => {
          await c.query(m.sql);
          await c.query(`INSERT INTO schema_migrations (version, name) VALUES ($1, $2)`, [m.version, m.name]);
        });
      }
    } finally {
      await c.query(`SELECT pg_advisory_unlock(hashtext('eventscope:migrate'))`);
    }
  } finally {
    c.release();
  }
}

/** Runs `fn` in a transaction on `c`: committed when it resolves, rolled back when it throws. */
export async function inTransaction<T>(c: PoolClient, fn: () => Promise<T>): Promise<T> {
  await c.query('BEGIN');
  try {
    const result = await fn();
    await c.query('COMMIT');
    return result;
  } catch (err) {
    await c.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}

/** The name of the partition of `table` that starts at `lo` (bounds are whole multiples of the partition size). */
export const partitionName = (table: HopTable, lo: number): string => `${table}_p${lo}`;

/** When a hop partition is closed: after `rows` rows, or `seconds` after its first row (undefined: rows only). */
export interface PartitionBounds {
  rows: number;
  seconds?: number;
  /** The ingest second of the batch about to be written (the `ingest_s` of its rows). */
  nowS: number;
}

/**
 * Creates partitions of every hop table so that at least `need` more rows of it plus one whole
 * partition fit above each table's sequence: an insert never finds no partition. Closes the
 * partition being written once its first row is `bounds.seconds` old, by moving the sequence on
 * to the partition above (created ahead: no DDL on the way). Runs in the ingest transaction,
 * under its lock (retention drops under the same lock); it creates a partition once per
 * `bounds.rows` rows or time width, so the DDL's lock on the parent is rare.
 */
export async function ensurePartitions(
  c: PoolClient,
  bounds: PartitionBounds,
  need: Record<HopTable, number>,
): Promise<void> {
  const { rows } = await c.query<{
    tbl: HopTable;
    next: number;
    top: number | null;
    hi: number | null;
    since: number | null;
    above: number | null;
  }>(`
    SELECT t.tbl, t.next, (SELECT max(hi) FROM hop_partitions h WHERE h.tbl = t.tbl) AS top,
      cur.hi, cur.min_ingest_s AS since,
      (SELECT min(lo) FROM hop_partitions h WHERE h.tbl = t.tbl AND h.lo > t.next) AS above
    FROM (
      SELECT 'publishes' AS tbl, last_value + (CASE WHEN is_called THEN 1 ELSE 0 END) AS next FROM publishes_seq
      UNION ALL SELECT 'deliveries', last_value + (CASE WHEN is_called THEN 1 ELSE 0 END) FROM deliveries_seq
      UNION ALL SELECT 'records', last_value + (CASE WHEN is_called THEN 1 ELSE 0 END) FROM records_seq) t
    LEFT JOIN hop_partitions cur ON cur.tbl = t.tbl AND cur.lo <= t.next AND t.next < cur.hi`);
  for (const r of rows) {
    let next = r.next;
    if (r.hi === null && r.above !== null) {
      // Retention dropped the partition being written: continue in the next one created ahead.
      next = r.above;
      await c.query(`SELECT setval('${r.tbl}_seq', $1, false)`, [next]);
    } else if (
      r.hi !== null &&
      r.since !== null &&
      bounds.seconds !== undefined &&
      bounds.nowS - r.since >= bounds.seconds
    ) {
      // The partition being written spans its time width: closed, the rest of its range unused.
      next = r.hi;
      await c.query(`SELECT setval('${r.tbl}_seq', $1, false)`, [next]);
    }
    // Partitions go on from the top one; after retention dropped every partition, from where the sequence is.
    let top = Math.max(r.top ?? 0, Math.floor(next / bounds.rows) * bounds.rows);
    while (top - next < need[r.tbl] + bounds.rows) {
      const hi = top + bounds.rows;
      await c.query(
        `CREATE TABLE IF NOT EXISTS ${partitionName(r.tbl, top)} PARTITION OF ${r.tbl} FOR VALUES FROM (${top}) TO (${hi})`,
      );
      await c.query(`INSERT INTO hop_partitions (tbl, lo, hi) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, [
        r.tbl,
        top,
        hi,
      ]);
      top = hi;
    }
  }
}
