/**
 * The SQLite store's side of the loss audit (flows/audit.ts): which group partitions are
 * instrumented, records no delivery of the group accounts for, the audit's checkpoints, and
 * what it found (unaccounted records, duplicate deliveries).
 */
import type {
  DuplicateEntry,
  FindingClass,
  FindingCount,
  FindingDecision,
  FindingEvidence,
  FindingKey,
  InstrumentedPartition,
  RecordRef,
  Store,
  UnaccountedEntry,
} from './types.ts';
import {
  toRecord,
  type DuplicateRow,
  type FindingCountRow,
  type GroupPartitionRow,
  type UnaccountedRow,
} from './sqlite-rows.ts';
import type { Conn } from './sqlite-statements.ts';

export const toInstrumented = (r: GroupPartitionRow): InstrumentedPartition => ({
  group: r.grp,
  topic: r.topic,
  partition: r.part,
  firstOffset: r.first_off,
});

export function instrumentedGroups(c: Conn): InstrumentedPartition[] {
  return c.s.groupPartitions.all().map(toInstrumented);
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

export const toDuplicate = (r: DuplicateRow): DuplicateEntry => ({
  eventId: r.event_id,
  group: r.grp,
  count: r.count,
  firstUs: r.first_us,
  lastUs: r.last_us,
});

export function duplicates(c: Conn, limit: number): DuplicateEntry[] {
  return c.s.duplicates.all(limit).map(toDuplicate);
}

export const toFinding = (r: UnaccountedRow): UnaccountedEntry => ({
  group: r.grp,
  topic: r.topic,
  partition: r.part,
  offset: r.off,
  eventId: r.event_id,
  correlationId: r.correlation_id,
  detectedUs: r.detected_us,
  class: r.class,
  reason: r.reason,
  service: r.service,
  decidedUs: r.decided_us,
});

export function unaccounted(c: Conn, limit: number, cls?: FindingClass): UnaccountedEntry[] {
  const rows = cls === undefined ? c.s.unaccounted.all(limit) : c.s.unaccountedOfClass.all(cls, limit);
  return rows.map(toFinding);
}

export function openFindings(c: Conn, limit: number): UnaccountedEntry[] {
  return c.s.openFindings.all(limit).map(toFinding);
}

/** Offsets either side of a finding whose deliveries tell the group's service and habits. */
const NEIGHBOUR_SPAN = 50;
/** Processed neighbours looked at for effects. */
const NEIGHBOURS = 6;

export function findingEvidence(c: Conn, f: UnaccountedEntry): FindingEvidence {
  const s = c.s;
  const delivered =
    s.deliveredByGroup.get({
      topic: f.topic,
      part: f.partition,
      off: f.offset,
      grp: f.group,
      eventId: f.eventId,
      dlq: `${f.group}.dlq`,
    }) !== undefined;
  const copyProcessed =
    f.eventId !== null &&
    s.copyProcessed.get({ topic: f.topic, part: f.partition, off: f.offset, grp: f.group, eventId: f.eventId }) !==
      undefined;
  const causedBy = f.eventId === null ? [] : s.causedBy.all({ eventId: f.eventId }).map((r) => r.service);
  const services = new Set<string>();
  const processed = new Set<string>();
  for (const d of s.neighbourDeliveries.all({
    topic: f.topic,
    part: f.partition,
    lo: f.offset - NEIGHBOUR_SPAN,
    hi: f.offset + NEIGHBOUR_SPAN,
    off: f.offset,
    grp: f.group,
  })) {
    services.add(d.service);
    if (d.outcome === 'processed' && d.event_id !== null && processed.size < NEIGHBOURS) processed.add(d.event_id);
  }
  let withEffects = 0;
  for (const id of processed) if (s.causedAny.get(id, id) !== undefined) withEffects++;
  return {
    delivered,
    copyProcessed,
    causedBy,
    services: [...services].sort(),
    neighbours: processed.size,
    neighboursWithEffects: withEffects,
  };
}

export function decideFindings(c: Conn, decisions: FindingDecision[]): FindingDecision[] {
  const applied: FindingDecision[] = [];
  c.db.transaction(() => {
    for (const d of decisions) {
      const changes = c.s.decideFinding.run(
        d.class,
        d.reason,
        d.service,
        d.decidedUs,
        d.group,
        d.topic,
        d.partition,
        d.offset,
      ).changes;
      if (changes > 0) applied.push(d);
    }
  })();
  return applied;
}

export function withdrawFindings(c: Conn, keys: FindingKey[]): number {
  let removed = 0;
  c.db.transaction(() => {
    for (const k of keys) removed += c.s.withdrawFinding.run(k.group, k.topic, k.partition, k.offset).changes;
  })();
  return removed;
}

export const toFindingCount = (r: FindingCountRow): FindingCount => ({
  class: r.class,
  group: r.grp,
  topic: r.topic,
  service: r.service,
  count: r.n,
});

export function findingCounts(c: Conn): FindingCount[] {
  return c.s.findingCounts.all().map(toFindingCount);
}
