/**
 * The PostgreSQL store's side of the loss audit (flows/audit.ts): the SQLite store's queries
 * (sqlite-audit.ts) in PostgreSQL's dialect. Decisions and withdrawals are single statements,
 * so two collectors deciding one finding keep the first decision.
 */
import type { Pool } from 'pg';
import type * as T from './types.ts';
import {
  toRecord,
  type DuplicateRow,
  type FindingCountRow,
  type GroupPartitionRow,
  type RecordRow,
  type UnaccountedRow,
} from './sqlite-rows.ts';
import { q, rowsOf } from './postgres-queries.ts';
import { toDuplicate, toFinding, toFindingCount, toInstrumented } from './sqlite-audit.ts';

export async function instrumentedGroups(pool: Pool): Promise<T.InstrumentedPartition[]> {
  const rows = await rowsOf<GroupPartitionRow>(
    pool,
    `SELECT * FROM group_partitions ORDER BY grp COLLATE "C", topic COLLATE "C", part`,
  );
  return rows.map(toInstrumented);
}

export async function unaccountedCandidates(
  pool: Pool,
  q: Parameters<T.Store['unaccountedCandidates']>[0],
): Promise<{ records: T.RecordRef[]; nextCheckpoint: number }> {
  const [young] = await rowsOf<{ off: number | null }>(
    pool,
    `SELECT min(off) AS off FROM records WHERE topic = $1 AND part = $2 AND off >= $3 AND off < $4 AND ts_us >= $5`,
    [q.topic, q.partition, q.fromOffset, q.toOffset, q.seenBeforeUs],
  );
  const to = young?.off ?? q.toOffset;
  const rows = await rowsOf<RecordRow>(
    pool,
    `SELECT r.* FROM records r
    WHERE r.topic = $1 AND r.part = $2 AND r.off >= $3 AND r.off < $4 AND r.ts_us < $5
      AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.topic = r.topic AND d.part = r.part AND d.off = r.off
                        AND d.grp = $6)
      AND NOT (r.event_id IS NOT NULL AND EXISTS (
            SELECT 1 FROM deliveries d WHERE d.event_id = r.event_id AND d.grp = $6))
      AND NOT (r.event_id IS NOT NULL AND EXISTS (
            SELECT 1 FROM publishes p WHERE p.event_id = r.event_id AND p.topic = $7))
    ORDER BY r.off LIMIT $8`,
    [q.topic, q.partition, q.fromOffset, to, q.seenBeforeUs, q.group, `${q.group}.dlq`, q.limit],
  );
  const records = rows.map(toRecord);
  const last = records.at(-1);
  return { records, nextCheckpoint: records.length >= q.limit && last ? last.offset + 1 : to };
}

export async function addUnaccounted(pool: Pool, entries: T.UnaccountedEntry[]): Promise<number> {
  if (entries.length === 0) return 0;
  const res = await q(
    pool,
    `INSERT INTO unaccounted (grp, topic, part, off, event_id, correlation_id, detected_us)
    SELECT * FROM unnest($1::text[], $2::text[], $3::int[], $4::bigint[], $5::text[], $6::text[], $7::bigint[])
    ON CONFLICT DO NOTHING`,
    [
      entries.map((e) => e.group),
      entries.map((e) => e.topic),
      entries.map((e) => e.partition),
      entries.map((e) => e.offset),
      entries.map((e) => e.eventId),
      entries.map((e) => e.correlationId),
      entries.map((e) => e.detectedUs),
    ],
  );
  return res.rowCount ?? 0;
}

export async function auditCheckpoint(
  pool: Pool,
  group: string,
  topic: string,
  partition: number,
): Promise<number | undefined> {
  const [r] = await rowsOf<{ off: number }>(
    pool,
    `SELECT off FROM audit_checkpoints WHERE grp = $1 AND topic = $2 AND part = $3`,
    [group, topic, partition],
  );
  return r?.off;
}

export async function setAuditCheckpoint(
  pool: Pool,
  group: string,
  topic: string,
  partition: number,
  offset: number,
): Promise<void> {
  await q(
    pool,
    `INSERT INTO audit_checkpoints (grp, topic, part, off) VALUES ($1, $2, $3, $4)
    ON CONFLICT (grp, topic, part) DO UPDATE SET off = excluded.off`,
    [group, topic, partition, offset],
  );
}

export async function duplicates(pool: Pool, limit: number): Promise<T.DuplicateEntry[]> {
  const rows = await rowsOf<DuplicateRow>(pool, `SELECT * FROM duplicates ORDER BY last_us DESC LIMIT $1`, [limit]);
  return rows.map(toDuplicate);
}

export async function unaccounted(pool: Pool, limit: number, cls?: T.FindingClass): Promise<T.UnaccountedEntry[]> {
  const rows =
    cls === undefined
      ? await rowsOf<UnaccountedRow>(pool, `SELECT * FROM unaccounted ORDER BY detected_us DESC LIMIT $1`, [limit])
      : await rowsOf<UnaccountedRow>(
          pool,
          `SELECT * FROM unaccounted WHERE class = $1 ORDER BY detected_us DESC LIMIT $2`,
          [cls, limit],
        );
  return rows.map(toFinding);
}

export async function openFindings(pool: Pool, limit: number): Promise<T.UnaccountedEntry[]> {
  const rows = await rowsOf<UnaccountedRow>(
    pool,
    `SELECT * FROM unaccounted WHERE decided_us IS NULL ORDER BY detected_us LIMIT $1`,
    [limit],
  );
  return rows.map(toFinding);
}

/** Offsets either side of a finding whose deliveries tell the group's service and habits. */
const NEIGHBOUR_SPAN = 50;
/** Processed neighbours looked at for effects. */
const NEIGHBOURS = 6;

export async function findingEvidence(pool: Pool, f: T.UnaccountedEntry): Promise<T.FindingEvidence> {
  const [deliveredRows, copyRows, causedRows, neighbourRows] = await Promise.all([
    rowsOf(
      pool,
      `SELECT 1 FROM deliveries WHERE topic = $1 AND part = $2 AND off = $3 AND grp = $4
      UNION ALL SELECT 1 FROM deliveries WHERE $5::text IS NOT NULL AND event_id = $5 AND grp = $4
        AND (off IS NULL OR topic <> $1 OR part <> $2 OR off = $3)
      UNION ALL SELECT 1 FROM publishes WHERE $5::text IS NOT NULL AND event_id = $5 AND topic = $6
      LIMIT 1`,
      [f.topic, f.partition, f.offset, f.group, f.eventId, `${f.group}.dlq`],
    ),
    f.eventId === null
      ? Promise.resolve([])
      : rowsOf(
          pool,
          `SELECT 1 FROM deliveries WHERE event_id = $1 AND grp = $2 AND topic = $3 AND part = $4
            AND off IS NOT NULL AND off <> $5 AND outcome IN ('processed', 'duplicate') LIMIT 1`,
          [f.eventId, f.group, f.topic, f.partition, f.offset],
        ),
    f.eventId === null
      ? Promise.resolve([])
      : rowsOf<{ service: string | null }>(
          pool,
          `SELECT service FROM publishes WHERE causation_id = $1
          UNION ALL SELECT NULL FROM deliveries d WHERE d.causation_id = $1 AND d.event_id IS NOT NULL
            AND NOT EXISTS (SELECT 1 FROM publishes p WHERE p.event_id = d.event_id)
          LIMIT 20`,
          [f.eventId],
        ),
    rowsOf<{ event_id: string | null; service: string; outcome: string }>(
      pool,
      `SELECT event_id, service, outcome FROM deliveries
      WHERE topic = $1 AND part = $2 AND off BETWEEN $3 AND $4 AND off <> $5 AND grp = $6
      ORDER BY abs(off - $5) LIMIT 40`,
      [f.topic, f.partition, f.offset - NEIGHBOUR_SPAN, f.offset + NEIGHBOUR_SPAN, f.offset, f.group],
    ),
  ]);
  const services = new Set<string>();
  const processed = new Set<string>();
  for (const d of neighbourRows) {
    services.add(d.service);
    if (d.outcome === 'processed' && d.event_id !== null && processed.size < NEIGHBOURS) processed.add(d.event_id);
  }
  const [effects] = await rowsOf<{ n: number }>(
    pool,
    `SELECT count(*) AS n FROM unnest($1::text[]) AS id
    WHERE EXISTS (SELECT 1 FROM publishes WHERE causation_id = id)
       OR EXISTS (SELECT 1 FROM deliveries WHERE causation_id = id)`,
    [[...processed]],
  );
  return {
    delivered: deliveredRows.length > 0,
    copyProcessed: copyRows.length > 0,
    causedBy: causedRows.map((r) => r.service),
    services: [...services].sort(),
    neighbours: processed.size,
    neighboursWithEffects: effects?.n ?? 0,
  };
}

export async function decideFindings(pool: Pool, decisions: T.FindingDecision[]): Promise<T.FindingDecision[]> {
  if (decisions.length === 0) return [];
  const { rows } = await q<{ i: number }>(
    pool,
    `UPDATE unaccounted u SET class = d.class, reason = d.reason, service = coalesce(d.service, u.service),
      decided_us = d.decided_us
    FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::text[], $6::text[], $7::int[], $8::bigint[])
      WITH ORDINALITY AS d(class, reason, service, decided_us, grp, topic, part, off, i)
    WHERE u.grp = d.grp AND u.topic = d.topic AND u.part = d.part AND u.off = d.off AND u.decided_us IS NULL
    RETURNING d.i`,
    [
      decisions.map((d) => d.class),
      decisions.map((d) => d.reason),
      decisions.map((d) => d.service),
      decisions.map((d) => d.decidedUs),
      decisions.map((d) => d.group),
      decisions.map((d) => d.topic),
      decisions.map((d) => d.partition),
      decisions.map((d) => d.offset),
    ],
  );
  const applied = new Set(rows.map((r) => r.i - 1));
  return decisions.filter((_, i) => applied.has(i));
}

export async function withdrawFindings(pool: Pool, keys: T.FindingKey[]): Promise<number> {
  if (keys.length === 0) return 0;
  const res = await q(
    pool,
    `DELETE FROM unaccounted u USING unnest($1::text[], $2::text[], $3::int[], $4::bigint[]) AS k(grp, topic, part, off)
    WHERE u.grp = k.grp AND u.topic = k.topic AND u.part = k.part AND u.off = k.off AND u.decided_us IS NULL`,
    [keys.map((k) => k.group), keys.map((k) => k.topic), keys.map((k) => k.partition), keys.map((k) => k.offset)],
  );
  return res.rowCount ?? 0;
}

export async function findingCounts(pool: Pool): Promise<T.FindingCount[]> {
  const rows = await rowsOf<FindingCountRow>(
    pool,
    `SELECT class, grp, topic, service, count(*) AS n FROM unaccounted GROUP BY class, grp, topic, service`,
  );
  return rows.map(toFindingCount);
}
