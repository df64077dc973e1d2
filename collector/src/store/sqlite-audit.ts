/**
 * The SQLite store's side of the loss audit (flows/audit.ts): which group partitions are
 * instrumented, records no delivery of the group accounts for, the audit's checkpoints, and
 * what it found (unaccounted records, duplicate deliveries).
 */
import type { DuplicateEntry, InstrumentedPartition, RecordRef, Store, UnaccountedEntry } from './types.ts';
import { toRecord } from './sqlite-rows.ts';
import type { Conn } from './sqlite-statements.ts';

export function instrumentedGroups(c: Conn): InstrumentedPartition[] {
  return c.s.groupPartitions.all().map((r) => ({
    group: r.grp,
    topic: r.topic,
    partition: r.part,
    firstOffset: r.first_off,
  }));
}

export function unaccountedCandidates(
  c: Conn,
  q: Parameters<Store['unaccountedCandidates']>[0],
): { records: RecordRef[]; nextCheckpoint: number } {
  const young = c.s.firstYoung.get(q.topic, q.partition, q.fromOffset, q.toOffset, q.seenBeforeUs);
  const to = young?.off ?? q.toOffset;
  const rows = c.s.candidates.all({
    topic: q.topic,
    part: q.partition,
    from: q.fromOffset,
    to,
    before: q.seenBeforeUs,
    grp: q.group,
    dlq: `${q.group}.dlq`,
    limit: q.limit,
  });
  const records = rows.map(toRecord);
  const last = records.at(-1);
  const nextCheckpoint = records.length >= q.limit && last ? last.offset + 1 : to;
  return { records, nextCheckpoint };
}

export function addUnaccounted(c: Conn, entries: UnaccountedEntry[]): number {
  let added = 0;
  c.db.transaction(() => {
    for (const e of entries) {
      added += c.s.insUnaccounted.run(
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
  return added;
}

export function auditCheckpoint(c: Conn, group: string, topic: string, partition: number): number | undefined {
  return c.s.checkpoint.get(group, topic, partition)?.off;
}

export function setAuditCheckpoint(c: Conn, group: string, topic: string, partition: number, offset: number): void {
  c.s.setCheckpoint.run(group, topic, partition, offset);
}

export function duplicates(c: Conn, limit: number): DuplicateEntry[] {
  return c.s.duplicates.all(limit).map((r) => ({
    eventId: r.event_id,
    group: r.grp,
    count: r.count,
    firstUs: r.first_us,
    lastUs: r.last_us,
  }));
}

export function unaccounted(c: Conn, limit: number): UnaccountedEntry[] {
  return c.s.unaccounted.all(limit).map((r) => ({
    group: r.grp,
    topic: r.topic,
    partition: r.part,
    offset: r.off,
    eventId: r.event_id,
    correlationId: r.correlation_id,
    detectedUs: r.detected_us,
  }));
}
