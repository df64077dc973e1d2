/**
 * Figure 3 on PostgreSQL: the flow of one event by its id (`store.event(id)` in the collector
 * process, `GET /api/events/:id` from a client) with 10 million events in the PostgreSQL store.
 *
 * Generating 20 million spans through POST /v1/traces would take over an hour here (the store
 * ingests ~4-6k spans/s under its one ingest lock, figure 2 on PostgreSQL), so the store is
 * filled in two steps:
 * 1. a seed: `seedSagas` sagas of the figure's generator through the collector's own intake
 *    (POST /v1/traces, protobuf) into a database of its own, the store's migrations run by the
 *    collector opening it;
 * 2. copies of the seed's rows, written by PostgreSQL itself (INSERT ... SELECT over
 *    generate_series of copy numbers): every table the ingest wrote (publishes, deliveries,
 *    records, sagas, traces, duplicates), each copy k with new ids (FUNCTIONS), its times moved
 *    on by k seed lengths and its offsets by k strides. The copies go through the store's own partition
 *    scheme: each chunk in a transaction holding the store's ingest lock, `ensurePartitions`
 *    creating the partitions ahead as ingest does, and the inserted rows counted into
 *    `hop_partitions` and their events indexed in `event_partitions` by the store's own
 *    statement (`countInserted`).
 * Then VACUUM ANALYZE (what autovacuum does to a store filled over hours), and a check that
 * generated events look up to the same shape as the seed events they copy.
 *
 * The database is dropped afterwards unless BENCH_LOOKUP_PG_KEEP=1, which keeps it and reuses
 * it on the next run of the same size (the manifest lives in the database, schema `bench`).
 */
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import type { EventHops } from '@eventscope/collector';
import {
  countInserted,
  ensurePartitions,
  HOP_TABLES,
  INGEST_LOCK,
  numberTypes as postgresTypes,
  type HopTable,
} from '@eventscope/collector/postgres';
import { post, startCollector, type Collector } from './lib/collector.ts';
import { atEvents, LOOKUP_TIMING_METHOD, lookupRaw, lookupRows, timeLookups } from './lib/lookup-timing.ts';
import { finish, machine } from './lib/machine.ts';
import { adminUrlFromEnv, dbUrl } from './lib/postgres.ts';
import { intEnv, printTable, progress, writeResult, type FigureResult } from './lib/results.ts';
import { CONTENT_TYPE, Rng, SAGA_SPACING_MS, SagaGenerator } from './lib/sagas.ts';
import { round } from './lib/stats.ts';
import { bodies } from './lookup.ts';

export interface PgLookupOptions {
  /** Events asked for; the store holds whole copies of the seed, so at least this many. */
  events: number;
  /** Sagas (7 events each) ingested through POST /v1/traces as the seed. */
  seedSagas: number;
  samples: number;
  runs: number;
  /** Requests in flight while sending the seed. */
  concurrency: number;
  adminUrl: string;
  /** The bench's database on that server (dropped and created again unless kept and reusable). */
  database: string;
  /** Keep the database afterwards, and reuse a kept one of the same size. */
  keep: boolean;
  /** The store's rows per partition (postgresPartitionRows); undefined: the collector's default. */
  partitionRows?: number;
  /** Generated events compared with the seed events they copy. */
  shapeChecks: number;
}

/** What a filled database holds, kept in it (bench.manifest) so a kept store can be measured again. */
interface Manifest {
  requested: number;
  events: number;
  copies: number;
  seed: { sagas: number; events: number; spans: number; seconds: number; spansPerSec: number };
  fillSeconds: number;
  vacuumSeconds: number;
  partitionRows: number;
  shape: { checked: number; same: number };
  sample: string[];
}

/** How copy k moves a seed row: times by k * shiftUs, offsets by k * offStride, id time prefixes by k * shiftMs. */
interface Geometry {
  shiftMs: number;
  shiftUs: number;
  offStride: number;
}

const MB = 1024 * 1024;
/** Rows of a hop table per fill transaction (whole copies of the seed): about one default partition. */
const CHUNK_ROWS = 250_000;
/** Copies k = $1..$2 of a seed row: ids, times and offsets moved on as `Geometry` says, ingest second $6. */
const GEOMETRY =
  '(SELECT $3::bigint AS shift_ms, $4::bigint AS shift_us, $5::bigint AS off_stride, $6::bigint AS now_s) g';
const ID = (col: string): string => `bench.shift_id(s.${col}, k, g.shift_ms)`;
const US = (col: string): string => `s.${col} + k * g.shift_us`;
const OFF = (col: string): string => `s.${col} + k * g.off_stride`;
const BYTES = (col: string): string => `bench.shift_bytes(s.${col}, k)`;
const NOW = (): string => 'g.now_s';
const SAME = (col: string): string => `s.${col}`;

/** Every column of every table the ingest writes, and how a copy writes it (seq: the table's sequence). */
const COPY: Record<string, Record<string, (col: string) => string>> = {
  publishes: {
    ingest_s: NOW,
    event_id: ID,
    event_type: SAME,
    correlation_id: ID,
    causation_id: ID,
    topic: SAME,
    part: SAME,
    off: OFF,
    time_us: US,
    end_us: US,
    service: SAME,
    trace_id: BYTES,
    span_id: BYTES,
    saga_type: SAME,
    compensation: SAME,
    terminal: SAME,
  },
  deliveries: {
    ingest_s: NOW,
    event_id: ID,
    event_type: SAME,
    correlation_id: ID,
    topic: SAME,
    part: SAME,
    off: OFF,
    grp: SAME,
    service: SAME,
    start_us: US,
    end_us: US,
    outcome: SAME,
    attempt: SAME,
    dlq_topic: SAME,
    trace_id: BYTES,
    span_id: BYTES,
    origin_span_id: BYTES,
    terminal: SAME,
    compensation: SAME,
    causation_id: ID,
  },
  records: { ingest_s: NOW, topic: SAME, part: SAME, off: OFF, ts_us: US, event_id: ID, correlation_id: ID },
  sagas: {
    correlation_id: ID,
    saga_type: SAME,
    first_us: US,
    first_is_publish: SAME,
    last_us: US,
    outcome: SAME,
    terminal_type: SAME,
    terminal_us: US,
    hops: SAME,
    compensations: SAME,
    dlq_steps: SAME,
    stuck_reported: SAME,
    updated_s: NOW,
    root_us: US,
    end_held: SAME,
  },
  traces: { trace_id: BYTES, corr: ID, first_us: US, last_us: US },
  duplicates: { event_id: ID, grp: SAME, count: SAME, first_us: US, last_us: US },
};
/** Insertion order of each table's copies: copy after copy, each in the seed's order (its time order). */
const ORDER: Record<string, string> = {
  publishes: 's.seq',
  deliveries: 's.seq',
  records: 's.seq',
  sagas: 's.first_us',
  traces: 's.first_us',
  duplicates: 's.first_us',
};

/**
 * Copy k of a seed id: its 48-bit millisecond prefix (UUIDv7) moved on by k * shift_ms, the rest
 * kept. The seed's ids lie within shift_ms of each other (checked), so the copies' prefixes never
 * overlap and every id stays unique and in time order, as the generator's. Copy k of a span or
 * trace id: a hash of it and k. Copy 0 is the seed itself. Written so PostgreSQL inlines them
 * (immutable throughout: `k::text`, not `|| k`), ~5 us a call instead of ~40.
 */
const FUNCTIONS = `
CREATE SCHEMA IF NOT EXISTS bench;
CREATE OR REPLACE FUNCTION bench.id_ms(id text) RETURNS bigint
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT ('x' || left(replace(id, '-', ''), 12))::bit(48)::bigint $$;
CREATE OR REPLACE FUNCTION bench.shift_id(id text, k integer, shift_ms bigint) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE WHEN k = 0 OR id = '' THEN id ELSE
    (lpad(to_hex(bench.id_ms(id) + k * shift_ms), 12, '0') || substr(replace(id, '-', ''), 13))::uuid::text END
$$;
CREATE OR REPLACE FUNCTION bench.shift_bytes(b bytea, k integer) RETURNS bytea
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE WHEN k = 0 THEN b ELSE substr(decode(md5(encode(b, 'hex') || ':' || k::text), 'hex'), 1, length(b)) END
$$;
CREATE TABLE IF NOT EXISTS bench.manifest (m json NOT NULL);`;

async function count(c: pg.ClientBase, sql: string, params: unknown[] = []): Promise<number> {
  const { rows } = await c.query<{ n: string | number | null }>(sql, params);
  return Number(rows[0]?.n ?? 0);
}

/** The seed's copies 1..copies-1, `perChunk` copies per transaction, through the store's partition scheme. */
async function fillCopies(
  pool: pg.Pool,
  g: Geometry,
  copies: number,
  seedRows: Record<string, number>,
  partitionRows: number,
): Promise<void> {
  const perChunk = Math.max(1, Math.floor(CHUNK_ROWS / Math.max(1, seedRows.publishes ?? 1)));
  const t0 = performance.now();
  for (let k0 = 1; k0 < copies; k0 += perChunk) {
    const k1 = Math.min(copies - 1, k0 + perChunk - 1);
    const n = k1 - k0 + 1;
    const c = await pool.connect();
    try {
      await c.query('BEGIN');
      await c.query(INGEST_LOCK);
      const need = { publishes: 0, deliveries: 0, records: 0 };
      for (const t of HOP_TABLES) need[t] = (seedRows[t] ?? 0) * n;
      const nowS = Math.floor(Date.now() / 1000);
      // Bounded by rows: a fill takes minutes, far below a partition's time width (postgresPartitionSeconds).
      await ensurePartitions(c, { rows: partitionRows, nowS }, need);
      const params = [k0, k1, g.shiftMs, g.shiftUs, g.offStride, nowS];
      for (const [table, cols] of Object.entries(COPY)) {
        const names = Object.keys(cols);
        const exprs = names.map((col) => (cols[col] as (c: string) => string)(col));
        const select = `SELECT ${exprs.join(', ')} FROM bench.seed_${table} s
          CROSS JOIN generate_series($1::int, $2::int) k CROSS JOIN ${GEOMETRY} ORDER BY k, ${ORDER[table] ?? 's.ctid'}`;
        const hop = (HOP_TABLES as readonly string[]).includes(table);
        await c.query(
          hop
            ? `WITH ins AS (INSERT INTO ${table} (${names.join(', ')}) ${select}
                RETURNING seq, ingest_s, event_id, pg_column_size(${table}.*) AS b) ${countInserted(table as HopTable)}`
            : `INSERT INTO ${table} (${names.join(', ')}) ${select}`,
          params,
        );
      }
      await c.query('COMMIT');
    } catch (err) {
      await c.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      c.release();
    }
    const done = k1 + 1;
    const s = (performance.now() - t0) / 1000;
    progress(`filled ${done} of ${copies} copies (${done * (seedRows.publishes ?? 0)} publishes) in ${round(s, 0)} s`);
  }
}

/** A seed table per table the copies read, and every column of it covered by COPY (or the fill would drop one). */
async function snapshotSeed(c: pg.ClientBase): Promise<Record<string, number>> {
  const rows: Record<string, number> = {};
  for (const table of Object.keys(COPY)) {
    await c.query(`DROP TABLE IF EXISTS bench.seed_${table}`);
    await c.query(`CREATE TABLE bench.seed_${table} AS SELECT * FROM ${table}`);
    const cols = await c.query<{ c: string }>(
      `SELECT column_name AS c FROM information_schema.columns WHERE table_schema = 'public' AND table_name = $1`,
      [table],
    );
    const missing = cols.rows.map((r) => r.c).filter((x) => x !== 'seq' && !Object.hasOwn(COPY[table] ?? {}, x));
    if (missing.length > 0) throw new Error(`the fill does not know ${table}.${missing.join(', ')}: add it to COPY`);
    rows[table] = await count(c, `SELECT count(*) AS n FROM bench.seed_${table}`);
  }
  return rows;
}

/**
 * The partitions as the store keeps them: every partition of a hop table recorded in
 * hop_partitions, and its rows counted there (what retention and stats read); throws if not.
 */
async function checkBookkeeping(c: pg.ClientBase): Promise<void> {
  for (const t of HOP_TABLES) {
    const real = await count(c, `SELECT count(*) AS n FROM ${t}`);
    const kept = await count(c, `SELECT sum(rows) AS n FROM hop_partitions WHERE tbl = $1`, [t]);
    const parts = await count(
      c,
      `SELECT count(*) AS n FROM pg_inherits i JOIN pg_class p ON p.oid = i.inhparent
      WHERE p.relname = $1 AND p.relnamespace = 'public'::regnamespace`,
      [t],
    );
    const listed = await count(c, `SELECT count(*) AS n FROM hop_partitions WHERE tbl = $1`, [t]);
    if (real !== kept || parts !== listed) {
      throw new Error(`${t}: ${real} rows in ${parts} partitions, hop_partitions says ${kept} rows in ${listed}`);
    }
  }
}

/** What must be equal between a seed event's hops and its copy's: everything but ids, times and offsets moved. */
function shape(h: EventHops, self: string, k: number, g: Geometry): unknown {
  const us = (x: number): number => x - k * g.shiftUs;
  const off = (x: number | null): number | null => (x === null ? null : x - k * g.offStride);
  return {
    publishes: h.publishes.map((p) => [
      p.eventType,
      p.topic,
      p.partition,
      off(p.offset),
      us(p.timeUs),
      us(p.endUs),
      p.service,
      p.sagaType,
      p.compensation,
      p.terminal,
      p.eventId === self,
      p.correlationId !== null,
      p.causationId !== null,
    ]),
    deliveries: h.deliveries.map((d) => [
      d.eventType,
      d.topic,
      d.partition,
      off(d.offset),
      d.group,
      d.service,
      us(d.startUs),
      us(d.endUs),
      d.outcome,
      d.attempt,
      d.dlqTopic,
      d.terminal,
      d.compensation,
      d.eventId === self,
      d.correlationId !== null,
      d.originSpanId !== null,
    ]),
    records: h.records.map((r) => [
      r.topic,
      r.partition,
      off(r.offset),
      us(r.timestampUs),
      r.eventId === self,
      r.correlationId !== null,
    ]),
  };
}

/** Copy ids of (seed event index, copy) pairs, in order. */
async function copyIds(c: pg.ClientBase, g: Geometry, pairs: [number, number][]): Promise<string[]> {
  const { rows } = await c.query<{ id: string }>(
    `SELECT bench.shift_id(e.event_id, p.k, $3) AS id
    FROM unnest($1::int[], $2::int[]) WITH ORDINALITY AS p(i, k, o)
    JOIN (SELECT event_id, row_number() OVER (ORDER BY seq) - 1 AS i FROM bench.seed_publishes
          WHERE event_id IS NOT NULL) e ON e.i = p.i
    ORDER BY p.o`,
    [pairs.map((p) => p[0]), pairs.map((p) => p[1]), g.shiftMs],
  );
  if (rows.length !== pairs.length) throw new Error(`${pairs.length} ids asked for, ${rows.length} found`);
  return rows.map((r) => r.id);
}

/** Compares `n` generated events (copies 1..) with the seed events they copy, as store.event(id) answers. */
async function checkShapes(
  coll: Collector,
  c: pg.ClientBase,
  g: Geometry,
  seedEvents: number,
  copies: number,
  n: number,
): Promise<Manifest['shape']> {
  if (copies < 2) return { checked: 0, same: 0 };
  const rng = new Rng(11);
  const pairs: [number, number][] = Array.from({ length: n }, () => [
    rng.next() % seedEvents,
    1 + (rng.next() % (copies - 1)),
  ]);
  const seeds = await copyIds(
    c,
    g,
    pairs.map(([i]) => [i, 0]),
  );
  const generated = await copyIds(c, g, pairs);
  const [a, b] = [await coll.events(seeds), await coll.events(generated)];
  let same = 0;
  for (let j = 0; j < n; j++) {
    const want = JSON.stringify(shape(a[j] as EventHops, seeds[j] as string, 0, g));
    const got = JSON.stringify(shape(b[j] as EventHops, generated[j] as string, (pairs[j] as [number, number])[1], g));
    if (want === got && (a[j]?.deliveries.length ?? 0) > 0) same++;
    else if (same === j) progress(`shape differs: ${seeds[j]} ${want}\n  copy ${generated[j]} ${got}`);
  }
  return { checked: n, same };
}

async function generate(o: PgLookupOptions, coll: Collector, pool: pg.Pool): Promise<Manifest> {
  const c = await pool.connect();
  try {
    await c.query(FUNCTIONS);
    // 1. The seed, through the collector's intake.
    const gen = new SagaGenerator({ seed: 42, prefix: 'lookup.', startMs: Date.now() - 24 * 3600_000 });
    const t0 = performance.now();
    const sent = await post(
      coll.url,
      CONTENT_TYPE.protobuf,
      bodies(gen, o.seedSagas * 7, Infinity, () => {}),
      o.concurrency,
    );
    await coll.flush();
    const seedSeconds = (performance.now() - t0) / 1000;
    progress(`seed: ${gen.events} events, ${sent.spans} spans through POST /v1/traces in ${round(seedSeconds, 1)} s`);
    const seedRows = await snapshotSeed(c);
    const seedEvents = await count(c, `SELECT count(*) AS n FROM bench.seed_publishes WHERE event_id IS NOT NULL`);
    const partitionRows = await count(c, `SELECT hi - lo AS n FROM hop_partitions ORDER BY lo DESC LIMIT 1`);
    const sagas = Math.round(gen.events / 7);
    const g: Geometry = {
      shiftMs: sagas * SAGA_SPACING_MS,
      shiftUs: sagas * SAGA_SPACING_MS * 1000,
      offStride:
        1 +
        (await count(
          c,
          `SELECT greatest((SELECT max(off) FROM bench.seed_publishes), (SELECT max(off) FROM bench.seed_deliveries),
            (SELECT max(off) FROM bench.seed_records)) AS n`,
        )),
    };
    const span = await count(
      c,
      `SELECT max(ms) - min(ms) AS n FROM (SELECT bench.id_ms(event_id) AS ms FROM bench.seed_publishes
        UNION ALL SELECT bench.id_ms(correlation_id) FROM bench.seed_sagas) x`,
    );
    if (span >= g.shiftMs)
      throw new Error(`the seed's ids span ${span} ms, not less than a copy's shift (${g.shiftMs} ms)`);
    const copies = Math.max(1, Math.ceil(o.events / seedEvents));
    // 2. The copies, by PostgreSQL, through the store's partitions.
    const t1 = performance.now();
    await fillCopies(pool, g, copies, seedRows, partitionRows);
    const fillSeconds = (performance.now() - t1) / 1000;
    const t2 = performance.now();
    for (const table of [...Object.keys(COPY), 'event_partitions']) await c.query(`VACUUM (ANALYZE) ${table}`);
    const vacuumSeconds = (performance.now() - t2) / 1000;
    progress(`filled ${copies} copies in ${round(fillSeconds, 0)} s, VACUUM ANALYZE ${round(vacuumSeconds, 0)} s`);
    await checkBookkeeping(c);
    const shapeCheck = await checkShapes(coll, c, g, seedEvents, copies, o.shapeChecks);
    if (shapeCheck.same !== shapeCheck.checked) {
      throw new Error(
        `${shapeCheck.checked - shapeCheck.same} of ${shapeCheck.checked} generated events differ from their seed`,
      );
    }
    // Ids sampled uniformly over the whole store: a seed event and a copy number each.
    const rng = new Rng(7);
    const sample = await copyIds(
      c,
      g,
      Array.from({ length: o.samples }, () => [rng.next() % seedEvents, rng.next() % copies]),
    );
    for (const table of Object.keys(COPY)) await c.query(`DROP TABLE bench.seed_${table}`);
    const manifest: Manifest = {
      requested: o.events,
      events: seedEvents * copies,
      copies,
      seed: {
        sagas,
        events: seedEvents,
        spans: sent.spans,
        seconds: round(seedSeconds, 1),
        spansPerSec: Math.round(sent.spans / seedSeconds),
      },
      fillSeconds: round(fillSeconds, 1),
      vacuumSeconds: round(vacuumSeconds, 1),
      partitionRows,
      shape: shapeCheck,
      sample,
    };
    await c.query(`INSERT INTO bench.manifest (m) VALUES ($1)`, [JSON.stringify(manifest)]);
    return manifest;
  } finally {
    c.release();
  }
}

/** A kept database's manifest when it was filled to the size asked for, else undefined. */
async function keptManifest(adminUrl: string, o: PgLookupOptions): Promise<Manifest | undefined> {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    const exists = await count(admin, `SELECT count(*) AS n FROM pg_database WHERE datname = $1`, [o.database]);
    if (exists === 0) return undefined;
  } finally {
    await admin.end();
  }
  const c = new pg.Client({ connectionString: dbUrl(adminUrl, o.database) });
  await c.connect();
  try {
    const { rows } = await c
      .query<{ m: Manifest }>(`SELECT m FROM bench.manifest WHERE to_regclass('bench.manifest') IS NOT NULL LIMIT 1`)
      .catch(() => ({ rows: [] as { m: Manifest }[] }));
    const m = rows[0]?.m;
    return m && m.requested === o.events && m.sample.length >= o.samples ? m : undefined;
  } finally {
    await c.end();
  }
}

async function adminQuery(adminUrl: string, sql: string): Promise<void> {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(sql);
  } finally {
    await admin.end();
  }
}

export async function benchLookupPostgres(o: PgLookupOptions): Promise<FigureResult> {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(o.database)) throw new Error(`database name ${o.database}: a-z, 0-9 and _ only`);
  const m = machine();
  const notes: string[] = [];
  let manifest = o.keep ? await keptManifest(o.adminUrl, o) : undefined;
  if (manifest) notes.push(`reused the store filled earlier in database ${o.database} (${manifest.events} events)`);
  else {
    await adminQuery(o.adminUrl, `DROP DATABASE IF EXISTS ${o.database} WITH (FORCE)`);
    await adminQuery(o.adminUrl, `CREATE DATABASE ${o.database}`);
  }
  const url = dbUrl(o.adminUrl, o.database);
  const coll = await startCollector({
    env: {
      BENCH_POSTGRES_URL: url,
      ...(o.partitionRows === undefined ? {} : { BENCH_POSTGRES_PARTITION_ROWS: String(o.partitionRows) }),
    },
  });
  // The store's own type parsers: ensurePartitions reads int8 bounds as numbers.
  const pool = new pg.Pool({
    connectionString: url,
    max: 2,
    types: postgresTypes,
    application_name: 'eventscope-bench-lookup',
  });
  try {
    manifest ??= await generate(o, coll, pool);
    const sizes = await pool.query<{ db: string; index: string; parts: string; sagas: string }>(
      `SELECT pg_database_size(current_database()) AS db,
        pg_total_relation_size('event_partitions') AS index,
        (SELECT count(*) FROM hop_partitions WHERE tbl = 'publishes') AS parts,
        (SELECT count(*) FROM sagas) AS sagas`,
    );
    const usage = await coll.usage();
    const timings = await timeLookups(coll, manifest.sample, o.runs);
    const at = atEvents(manifest.events);
    const measured = lookupRows(timings, manifest.events);
    notes.push(...measured.notes);
    const s = sizes.rows[0];
    const rows: FigureResult['rows'] = [
      ...measured.rows,
      { metric: `database size at ${at}`, value: round(Number(s?.db) / MB, 0), unit: 'MB' },
      {
        metric: `store size at ${at} (rows as written, what retention counts)`,
        value: round(usage.storeBytes / MB, 0),
        unit: 'MB',
      },
      {
        metric: 'of which the index from event id to partitions (event_partitions, ADR 0007)',
        value: round(Number(s?.index) / MB, 0),
        unit: 'MB',
      },
      { metric: 'partitions per hop table (publishes)', value: Number(s?.parts), unit: 'partitions' },
      {
        metric: 'store filled in (seed through POST /v1/traces + copies by PostgreSQL + VACUUM ANALYZE)',
        value: round(manifest.seed.seconds + manifest.fillSeconds + manifest.vacuumSeconds, 0),
        unit: 's',
      },
    ];
    notes.push(
      `seed: ${manifest.seed.sagas} sagas, ${manifest.seed.spans} spans through POST /v1/traces in ${manifest.seed.seconds} s (${manifest.seed.spansPerSec} spans/s); ` +
        `${manifest.copies - 1} copies by PostgreSQL in ${manifest.fillSeconds} s, VACUUM ANALYZE ${manifest.vacuumSeconds} s`,
      `${manifest.shape.same} of ${manifest.shape.checked} generated events looked up (store.event) to the same hops as the seed events they copy (types, topics, partitions, groups, services, outcomes, attempts; times and offsets moved by their copy's shift)`,
    );
    return {
      figure: 'figure3-lookup-postgres',
      title: "Lookup of one event's flow by event id, PostgreSQL store",
      at: new Date().toISOString(),
      machine: finish(m),
      method:
        `A database of its own on the local PostgreSQL, its tables made by the collector's store opening it (its migrations). ` +
        `Filled in two steps: a seed of ${manifest.seed.sagas} sagas (7 events, 14+ spans each, 2% of deliveries retried) through the ` +
        "collector's POST /v1/traces (protobuf) into the PostgreSQL store; then PostgreSQL itself copies the seed's rows " +
        `(INSERT ... SELECT over generate_series of copy numbers) ${manifest.copies - 1} times into every table the ingest ` +
        'wrote (publishes, deliveries, records, sagas, traces, duplicates): in copy k the UUIDv7 event and correlation ids have ' +
        "their millisecond prefix moved on by k seed lengths (the rest kept: the copies' prefixes never overlap, so ids stay unique " +
        "and time-ordered), span and trace ids are a hash of the seed's and k, times move on by k seed lengths and offsets by k " +
        "strides. Each chunk of copies runs in a transaction holding the store's ingest lock, with the store's ensurePartitions " +
        "creating the hop tables' partitions ahead as ingest does and the store's own statement counting the rows into " +
        'hop_partitions (checked: rows and partitions as hop_partitions lists them) and indexing their events in ' +
        "event_partitions, the index a lookup reads first (ADR 0007); group_partitions keeps the seed's first " +
        'offsets, which the copies do not lower. Then VACUUM ANALYZE. A sample of generated events is checked to look up to the same hops as the seed ' +
        `events they copy. ${o.samples} event ids sampled uniformly (a seed event and a copy number each) from the whole store; ` +
        LOOKUP_TIMING_METHOD,
      params: {
        ...o,
        adminUrl: undefined,
        storedEvents: manifest.events,
        rows: usage.rows,
        partitionRows: manifest.partitionRows,
        keep: o.keep,
      },
      rows,
      notes,
      raw: {
        seed: manifest.seed,
        fillSeconds: manifest.fillSeconds,
        vacuumSeconds: manifest.vacuumSeconds,
        shape: manifest.shape,
        collectorRssMb: round(usage.rssBytes / MB, 1),
        ...lookupRaw(timings),
      },
    };
  } finally {
    await pool.end();
    await coll.close();
    if (!o.keep) await adminQuery(o.adminUrl, `DROP DATABASE IF EXISTS ${o.database} WITH (FORCE)`);
  }
}

export function pgLookupOptionsFromEnv(): PgLookupOptions {
  const partitionRows = intEnv('BENCH_POSTGRES_PARTITION_ROWS', 0);
  return {
    events: intEnv('BENCH_LOOKUP_EVENTS', 1_000_000),
    seedSagas: intEnv('BENCH_LOOKUP_SEED_SAGAS', 10_000),
    samples: intEnv('BENCH_LOOKUP_SAMPLES', 2000),
    runs: intEnv('BENCH_RUNS', 5),
    concurrency: intEnv('BENCH_CONCURRENCY', 4),
    adminUrl: adminUrlFromEnv(),
    database: process.env.BENCH_LOOKUP_PG_DATABASE ?? 'eventscope_bench_lookup',
    keep: process.env.BENCH_LOOKUP_PG_KEEP === '1',
    shapeChecks: intEnv('BENCH_LOOKUP_SHAPE_CHECKS', 200),
    ...(partitionRows > 0 ? { partitionRows } : {}),
  };
}

export async function main(): Promise<void> {
  const r = await benchLookupPostgres(pgLookupOptionsFromEnv());
  printTable(r);
  console.log(`  -> ${writeResult(r)}`);
}

if (import.meta.main) await main();
