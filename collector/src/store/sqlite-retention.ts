/**
 * The SQLite store's size and retention. Retention deletes by insertion order (`id`, monotonic
 * with `ingest_s`), found by a binary search over the rowid, so no time index is needed on the
 * hop tables; rows are counted from id ranges, never by a scan.
 */
import type { Database as Db } from 'better-sqlite3';
import { AUDIT_MAX_ROWS } from './sqlite-schema.ts';
import type { Conn } from './sqlite-statements.ts';
import type { RetentionPolicy, StoreStats } from './types.ts';

type HopTable = 'publishes' | 'deliveries' | 'records';
const HOP_TABLES: readonly HopTable[] = ['publishes', 'deliveries', 'records'];

/**
 * Smallest and largest id of a hop table. Two subqueries: SQLite answers a lone min() or max()
 * from the end of the index, but `SELECT min(id), max(id)` together scans the whole table.
 */
function idRange(db: Db, table: HopTable): { lo: number | null; hi: number | null } {
  const row = db
    .prepare<[], { lo: number | null; hi: number | null }>(
      `SELECT (SELECT min(id) FROM ${table}) AS lo, (SELECT max(id) FROM ${table}) AS hi`,
    )
    .get();
  return row ?? { lo: null, hi: null };
}

/**
 * Rows of a hop table from its id range: ids are only ever deleted as a prefix (retention), and
 * an insert that is ignored or an upsert that updates takes no id. Counting 10 million rows
 * instead took seconds at every start.
 */
export function hopRows(db: Db, table: HopTable): number {
  const r = idRange(db, table);
  return r.lo === null || r.hi === null ? 0 : r.hi - r.lo + 1;
}

/** A pragma whose value is a number. */
export function pragmaNumber(db: Db, name: string): number {
  const v = db.pragma(name, { simple: true });
  if (typeof v !== 'number') throw new Error(`pragma ${name} returned ${typeof v}, not a number`);
  return v;
}

/** Bytes in pages that are in use (the file may be larger). */
export function usedBytes(db: Db): number {
  return (pragmaNumber(db, 'page_count') - pragmaNumber(db, 'freelist_count')) * pragmaNumber(db, 'page_size');
}

export function stats(c: Conn): StoreStats {
  // records are upserted (an update reports a change too), so counted from their id range.
  c.rows.records = hopRows(c.db, 'records');
  return { bytes: usedBytes(c.db), rows: { ...c.rows }, lastHopIngestS: lastHopIngestS(c.db) };
}

/** The newest hop's `ingest_s`: the row of the largest id of each hop table, an index seek each. */
function lastHopIngestS(db: Db): number | null {
  let last: number | null = null;
  for (const table of ['publishes', 'deliveries'] as const) {
    const row = db
      .prepare<[], { s: number }>(`SELECT ingest_s AS s FROM ${table} WHERE id = (SELECT max(id) FROM ${table})`)
      .get();
    if (row && (last === null || row.s > last)) last = row.s;
  }
  return last;
}

/** Largest id of `table` whose ingest_s is below `cutoffS` (ids grow with ingest_s). */
function cutoffId(db: Db, table: HopTable, cutoffS: number): number {
  const bounds = idRange(db, table);
  if (bounds.lo === null || bounds.hi === null) return 0;
  const at = db.prepare<[id: number], { id: number; ingest_s: number }>(
    `SELECT id, ingest_s FROM ${table} WHERE id >= ? ORDER BY id LIMIT 1`,
  );
  let lo = bounds.lo;
  let hi = bounds.hi;
  let found = 0;
  while (lo <= hi) {
    const mid = Math.floor((lo + hi) / 2);
    const row = at.get(mid);
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

function deleteUpTo(c: Conn, ids: Partial<Record<HopTable, number>>, deleteSagas: () => number): number {
  let deleted = 0;
  c.db.transaction(() => {
    for (const table of HOP_TABLES) {
      const id = ids[table];
      if (id !== undefined && id > 0) {
        const n = c.db.prepare<[id: number]>(`DELETE FROM ${table} WHERE id <= ?`).run(id).changes;
        deleted += n;
        if (table !== 'records') c.rows[table] -= n;
      }
    }
    const sagas = deleteSagas();
    c.rows.sagas -= sagas;
    deleted += sagas;
  })();
  return deleted;
}

/** Deletes by age, then the oldest rows while larger than `policy.maxBytes`; returns rows deleted. */
export function enforceRetention(c: Conn, policy: RetentionPolicy): number {
  const db = c.db;
  const cutoffUs = policy.nowUs - policy.maxAgeUs;
  const cutoffS = Math.floor(cutoffUs / 1e6);
  let deleted = deleteUpTo(
    c,
    {
      publishes: cutoffId(db, 'publishes', cutoffS),
      deliveries: cutoffId(db, 'deliveries', cutoffS),
      records: cutoffId(db, 'records', cutoffS),
    },
    () => db.prepare<[cutoffS: number]>(`DELETE FROM sagas WHERE updated_s < ?`).run(cutoffS).changes,
  );
  deleted += db.prepare<[cutoffUs: number]>(`DELETE FROM duplicates WHERE last_us < ?`).run(cutoffUs).changes;
  deleted += db.prepare<[cutoffUs: number]>(`DELETE FROM unaccounted WHERE detected_us < ?`).run(cutoffUs).changes;
  deleted += db
    .prepare<[keep: number]>(`DELETE FROM audit_log WHERE id <= (SELECT max(id) FROM audit_log) - ?`)
    .run(AUDIT_MAX_ROWS).changes;
  // By size: drop the oldest tenth of every table (by insertion order) until under the limit.
  for (let round = 0; round < 20 && usedBytes(db) > policy.maxBytes; round++) {
    const ids: Partial<Record<HopTable, number>> = {};
    for (const table of HOP_TABLES) {
      const b = idRange(db, table);
      if (b.lo !== null && b.hi !== null) ids[table] = b.lo + Math.floor((b.hi - b.lo) / 10);
    }
    const n = deleteUpTo(c, ids, () => {
      const tenth = Math.max(1, Math.floor(c.rows.sagas / 10));
      return db
        .prepare<[limit: bigint]>(
          `DELETE FROM sagas WHERE correlation_id IN (SELECT correlation_id FROM sagas ORDER BY updated_s LIMIT ?)`,
        )
        .run(BigInt(tenth)).changes;
    });
    deleted += n;
    if (n === 0) break;
    db.pragma('incremental_vacuum');
  }
  if (deleted > 0) db.pragma('incremental_vacuum');
  return deleted;
}
