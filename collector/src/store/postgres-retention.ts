/**
 * The PostgreSQL store's size and retention. The hop tables lose data only by DROP of whole
 * partitions (no DELETE of hop rows, so no dead tuples for vacuum to chase): by age, the
 * partitions whose newest row was ingested before the cutoff; by size, the oldest partitions
 * first. The small tables (sagas, duplicates, findings, the audit log) are deleted from by age,
 * as in the SQLite store.
 *
 * Size is the bytes of the rows as written (`pg_column_size`, counted per partition at insert),
 * plus an estimate per saga row: what retention can act on. PostgreSQL's files lag a DELETE
 * until vacuum and hold indexes and free space; `pg_total_relation_size` is the disk figure.
 */
import type { PoolClient } from 'pg';
import { INGEST_LOCK } from './postgres-ingest.ts';
import { q } from './postgres-queries.ts';
import { inTransaction, partitionName, type HopTable } from './postgres-schema.ts';
import type { RetentionPolicy, StoreStats } from './types.ts';

/** Audit log rows kept (the newest), as in the SQLite store. */
const AUDIT_MAX_ROWS = 100_000;
/** A saga row with its index entries, bytes (measured: ~150 on PostgreSQL 15 for the demo's sagas). */
const SAGA_ROW_BYTES = 160;

/** Above this many sagas (by the planner's estimate) the estimate is the count: counting them all takes seconds. */
const SAGAS_COUNTED_UP_TO = 200_000;

/** Saga rows: counted while few, the planner's estimate (kept by autovacuum/ANALYZE) once many. */
async function sagaRows(c: PoolClient): Promise<number> {
  const est = await q<{ n: number }>(c, `SELECT reltuples::bigint AS n FROM pg_class WHERE oid = 'sagas'::regclass`);
  const estimate = est.rows[0]?.n ?? -1;
  if (estimate > SAGAS_COUNTED_UP_TO) return estimate;
  const counted = await q<{ n: number }>(c, `SELECT count(*) AS n FROM sagas`);
  return counted.rows[0]?.n ?? 0;
}

export async function stats(c: PoolClient): Promise<StoreStats> {
  const { rows } = await q<{ tbl: string; n: number; b: number }>(
    c,
    `SELECT tbl, coalesce(sum(rows), 0) AS n, coalesce(sum(bytes), 0) AS b FROM hop_partitions GROUP BY tbl`,
  );
  const sagas = await sagaRows(c);
  rows.push({ tbl: 'sagas', n: sagas, b: sagas * SAGA_ROW_BYTES });
  const last = await q<{ s: number | null }>(
    c,
    `SELECT max(max_ingest_s) AS s FROM hop_partitions WHERE tbl IN ('publishes', 'deliveries') AND rows > 0`,
  );
  const by = new Map(rows.map((r) => [r.tbl, r]));
  const n = (t: string): number => by.get(t)?.n ?? 0;
  return {
    bytes: rows.reduce((sum, r) => sum + r.b, 0),
    rows: { publishes: n('publishes'), deliveries: n('deliveries'), records: n('records'), sagas: n('sagas') },
    lastHopIngestS: last.rows[0]?.s ?? null,
  };
}

/** Drops the listed partitions (and their bookkeeping); returns the rows they held. */
async function dropPartitions(c: PoolClient, parts: { tbl: HopTable; lo: number; rows: number }[]): Promise<number> {
  let rows = 0;
  for (const p of parts) {
    await c.query(`DROP TABLE IF EXISTS ${partitionName(p.tbl, p.lo)}`);
    await q(c, `DELETE FROM hop_partitions WHERE tbl = $1 AND lo = $2`, [p.tbl, p.lo]);
    rows += p.rows;
  }
  return rows;
}

/**
 * Removes the entries of `event_partitions` (ADR 0007) that name dropped partitions alone: in each
 * hop table, partitions below its lowest remaining one. Candidates are found by `first_s`: events
 * first written before the oldest remaining partition began (a later one is removed by a later
 * run). A DELETE, not a DROP: one small row per event (~100 bytes against ~1 kB of its hop rows),
 * once per event, after the DROP of its partitions. Outside the ingest lock: an entry a batch
 * widens meanwhile names a remaining partition, and the DELETE checks the row it deletes again.
 */
async function forgetDroppedEvents(c: PoolClient): Promise<void> {
  const none = '9223372036854775807';
  await q(
    c,
    `DELETE FROM event_partitions e USING (
      SELECT coalesce(min(lo) FILTER (WHERE tbl = 'publishes'), ${none}) AS p,
        coalesce(min(lo) FILTER (WHERE tbl = 'deliveries'), ${none}) AS d,
        coalesce(min(lo) FILTER (WHERE tbl = 'records'), ${none}) AS r,
        coalesce(min(min_ingest_s), ${none}) AS s
      FROM hop_partitions) w
    WHERE e.first_s < w.s AND coalesce(e.pub_hi, 0) <= w.p AND coalesce(e.del_hi, 0) <= w.d
      AND coalesce(e.rec_hi, 0) <= w.r`,
  );
}

/** Drops partitions older than the age limit, then the oldest while larger than `maxBytes`; returns rows removed. */
export async function enforceRetention(c: PoolClient, policy: RetentionPolicy): Promise<number> {
  const cutoffUs = policy.nowUs - policy.maxAgeUs;
  const cutoffS = Math.floor(cutoffUs / 1e6);
  // Under the ingest lock: a partition is never dropped while a batch writes into it.
  let hopRows = 0;
  let deleted = await inTransaction(c, async () => {
    await c.query(INGEST_LOCK);
    const old = await q<{ tbl: HopTable; lo: number; rows: number }>(
      c,
      `SELECT tbl, lo, rows FROM hop_partitions WHERE max_ingest_s < $1`,
      [cutoffS],
    );
    hopRows = await dropPartitions(c, old.rows);
    let n = hopRows;
    n += (await q(c, `DELETE FROM sagas WHERE updated_s < $1`, [cutoffS])).rowCount ?? 0;
    n += (await q(c, `DELETE FROM duplicates WHERE last_us < $1`, [cutoffUs])).rowCount ?? 0;
    n += (await q(c, `DELETE FROM unaccounted WHERE detected_us < $1`, [cutoffUs])).rowCount ?? 0;
    n +=
      (await q(c, `DELETE FROM audit_log WHERE id <= (SELECT max(id) FROM audit_log) - $1`, [AUDIT_MAX_ROWS]))
        .rowCount ?? 0;
    return n;
  });
  // By size: per round, the oldest partitions holding a tenth of each table's rows, and the
  // least recently updated tenth of the sagas.
  for (let round = 0; round < 100 && (await stats(c)).bytes > policy.maxBytes; round++) {
    const n = await inTransaction(c, async () => {
      await c.query(INGEST_LOCK);
      const parts = await q<{ tbl: HopTable; lo: number; rows: number; before: number; total: number }>(
        c,
        `SELECT tbl, lo, rows, sum(rows) OVER (PARTITION BY tbl ORDER BY lo) - rows AS before,
          sum(rows) OVER (PARTITION BY tbl) AS total
        FROM hop_partitions WHERE rows > 0 ORDER BY tbl, lo`,
      );
      const drop = parts.rows.filter((p) => p.before < Math.max(1, p.total / 10));
      let dropped = await dropPartitions(c, drop);
      hopRows += dropped;
      dropped +=
        (
          await q(
            c,
            `DELETE FROM sagas WHERE correlation_id IN (
              SELECT correlation_id FROM sagas ORDER BY updated_s LIMIT (SELECT greatest(1, count(*) / 10) FROM sagas))`,
          )
        ).rowCount ?? 0;
      return dropped;
    });
    deleted += n;
    if (n === 0) break;
  }
  if (hopRows > 0) await forgetDroppedEvents(c);
  return deleted;
}
