/**
 * Loss audit for instrumented groups: once a group's committed offset has passed a record
 * the collector knows of (tap, producer offsets, other groups' deliveries) and the group has
 * no delivery of it and did not dead-letter it, after a grace period for late spans, the
 * record is unaccounted. Each (group, topic, partition) is audited from the group's first
 * delivery seen there, through a persisted checkpoint, so nothing is reported twice.
 */
import type { OffsetsView } from '../lag/offsets-view.ts';
import type { Store, UnaccountedEntry } from '../store/types.ts';

export interface AuditOptions {
  nowUs: number;
  graceUs: number;
  /** Records examined per partition per run at most. */
  limit?: number;
}

export async function auditOnce(store: Store, offsets: OffsetsView, opts: AuditOptions): Promise<UnaccountedEntry[]> {
  const found: UnaccountedEntry[] = [];
  for (const ip of await store.instrumentedGroups()) {
    const committed = offsets.committedOffset(ip.group, ip.topic, ip.partition);
    if (committed === undefined) continue;
    const from = (await store.auditCheckpoint(ip.group, ip.topic, ip.partition)) ?? ip.firstOffset;
    if (committed <= from) continue;
    const { records, nextCheckpoint } = await store.unaccountedCandidates({
      group: ip.group,
      topic: ip.topic,
      partition: ip.partition,
      fromOffset: from,
      toOffset: committed,
      seenBeforeUs: opts.nowUs - opts.graceUs,
      limit: opts.limit ?? 10_000,
    });
    const entries = records.map((r) => ({
      group: ip.group,
      topic: ip.topic,
      partition: ip.partition,
      offset: r.offset,
      eventId: r.eventId,
      correlationId: r.correlationId,
      detectedUs: opts.nowUs,
    }));
    if (entries.length > 0 && (await store.addUnaccounted(entries)) > 0) found.push(...entries);
    if (nextCheckpoint > from) await store.setAuditCheckpoint(ip.group, ip.topic, ip.partition, nextCheckpoint);
  }
  return found;
}
