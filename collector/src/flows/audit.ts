/**
 * The loss audit. Once a group's committed offset has passed a record the collector knows of
 * (tap, producer offsets, other groups' deliveries) and the group has no delivery of it and did
 * not dead-letter it, after a grace period for late spans (counted from when the record was seen
 * and from when the group's commit was seen past it), the record is a finding. Each
 * (group, topic, partition) is audited from the group's first delivery seen there, through a
 * persisted checkpoint, so nothing is found twice.
 *
 * "No delivery span" is not "not processed": a consumer killed with SIGKILL loses the spans in
 * its exporter's buffer, not its records. So a finding opens as `unknown` and is decided from
 * evidence (see `decide`):
 * - processed, telemetry missing: the group's span arrived late, or an event the record caused
 *   (causation id) was published by the group's service (or by a producer whose span is lost
 *   too: the signature of a process that died with its buffer);
 * - skipped (loss): the committed offset moved past it while the group had no members (an offset
 *   reset), or the group's neighbouring records caused events and this one caused none within
 *   the decision window;
 * - unknown: a group whose records cause no events gives nothing to tell by; a group that ended
 *   before evidence came (deleted, gone from the snapshot, or empty for `groupEndUs`).
 * Only `skipped` is loss (API, metric, alert). A group that ended gets no new findings.
 *
 * Several Kafka clusters: each (group, topic) is judged on the offsets and members of its own
 * cluster (clusters.ts: the first, primary first, whose last snapshot has it). One no snapshot has
 * is judged on the primary once every cluster has a snapshot; before that it may be on a cluster
 * not polled yet, and waits.
 */
import type { OffsetsView } from '../lag/offsets-view.ts';
import { ClusterLookup, type ClusterOffsets } from './clusters.ts';
import type { FindingDecision, FindingEvidence, Store, UnaccountedEntry } from '../store/types.ts';

export interface AuditOptions {
  nowUs: number;
  /** A record is a finding only this long after it was seen (late spans). */
  graceUs: number;
  /** After detection, how long a finding waits for evidence of processing before `no-effect` decides it. */
  decideUs: number;
  /** A group without members (or absent from the snapshot) this long has ended. */
  groupEndUs: number;
  /** Records examined per partition, and open findings per run, at most. */
  limit?: number;
}

/** Offset ranges kept per partition for the reset evidence (the newest). */
const MAX_RESETS = 100;

/**
 * What the audit remembers between runs, in memory: since when each group has been idle, each
 * partition's last committed offset, and the ranges an offset reset jumped over. A restart of
 * the collector forgets it: an idle group's clock starts again, and a reset that happened while
 * the collector was down is not seen as one (its records are decided by the other evidence).
 */
export class AuditMemory {
  /** Per cluster and group (`groupKey`). */
  readonly idleSinceUs = new Map<string, number>();
  /** Per cluster, group, topic and partition (`partitionKey`). */
  readonly last = new Map<string, { committed: number; empty: boolean }>();
  readonly resets = new Map<string, { from: number; to: number }[]>();
  /** Per partition (`partitionKey`): the committed offsets seen, oldest first, with when. */
  readonly commits = new Map<string, { offset: number; atUs: number }[]>();

  /**
   * The committed offset the group had `graceUs` ago as far as this process saw it (the newest
   * seen at or before then), after noting `committed` as seen now; undefined: none that old yet.
   * The audit judges only records the group passed that long ago, so the spans that tell what
   * happened to them (its delivery, the record's publish) have had the grace period to arrive,
   * whatever order they came in; a record the collector did not know of yet is not passed over.
   */
  settledCommit(k: string, committed: number, nowUs: number, graceUs: number): number | undefined {
    const seen = this.commits.get(k) ?? [];
    if (seen.at(-1)?.offset !== committed) seen.push({ offset: committed, atUs: nowUs });
    const cut = nowUs - graceUs;
    // Keep the newest observation at or before the cut and everything after it.
    let i = 0;
    while (i + 1 < seen.length && (seen[i + 1]?.atUs ?? Infinity) <= cut) i++;
    const kept = seen.slice(i);
    this.commits.set(k, kept);
    const first = kept[0];
    return first !== undefined && first.atUs <= cut ? first.offset : undefined;
  }

  /** Whether the committed offset on `cluster` jumped over `offset` while the group had no members. */
  wasReset(cluster: string, group: string, topic: string, partition: number, offset: number): boolean {
    return (this.resets.get(partitionKey(cluster, group, topic, partition)) ?? []).some(
      (r) => offset >= r.from && offset < r.to,
    );
  }
}

export interface AuditResult {
  /** New findings of this run (open). */
  found: UnaccountedEntry[];
  /** Findings decided in this run, with their decision. */
  decided: UnaccountedEntry[];
  /** Open findings removed: the group processed their event from another copy (no finding after all). */
  withdrawn: UnaccountedEntry[];
}

// Names are any string (a group may hold any character): JSON keeps the parts apart.
const key = (group: string, topic: string, partition: number): string => JSON.stringify([group, topic, partition]);
const groupKey = (cluster: string, group: string): string => JSON.stringify([cluster, group]);
const partitionKey = (cluster: string, group: string, topic: string, partition: number): string =>
  JSON.stringify([cluster, group, topic, partition]);

/**
 * One audit run. `offsets`: every cluster, in config order with the primary first (the plugin
 * passes `app.clusters`), or one cluster's view alone.
 */
export async function auditOnce(
  store: Store,
  offsets: OffsetsView | readonly ClusterOffsets[],
  memory: AuditMemory,
  opts: AuditOptions,
): Promise<AuditResult> {
  const { nowUs } = opts;
  const limit = opts.limit ?? 10_000;
  const clusters = new ClusterLookup(isOffsetsView(offsets) ? [{ name: '', offsets }] : offsets);
  const allPolled = clusters.clusters.every((c) => c.offsets.snapshotTime() !== undefined);
  /** The cluster a (group, topic) is judged on; undefined: not known yet (a cluster has no snapshot). */
  const judgedOn = (group: string, topic: string): ClusterOffsets | undefined =>
    clusters.find(group, topic) ?? (allPolled ? clusters.primary : undefined);
  const partitions = await store.instrumentedGroups();

  const ended = new Set<string>();
  const seen = new Set<string>();
  for (const p of partitions) {
    const cluster = judgedOn(p.group, p.topic);
    if (!cluster) continue;
    const gk = groupKey(cluster.name, p.group);
    if (seen.has(gk)) continue;
    seen.add(gk);
    const members = cluster.offsets.groupMembers(p.group);
    if (members === undefined || members === 0) {
      if (!memory.idleSinceUs.has(gk)) memory.idleSinceUs.set(gk, nowUs);
    } else memory.idleSinceUs.delete(gk);
    const since = memory.idleSinceUs.get(gk);
    if (since !== undefined && nowUs - since >= opts.groupEndUs) ended.add(gk);
  }

  const found: UnaccountedEntry[] = [];
  for (const ip of partitions) {
    const cluster = judgedOn(ip.group, ip.topic);
    if (!cluster || ended.has(groupKey(cluster.name, ip.group))) continue;
    const view = cluster.offsets;
    const committed = view.committedOffset(ip.group, ip.topic, ip.partition);
    if (committed === undefined) continue;
    const k = partitionKey(cluster.name, ip.group, ip.topic, ip.partition);
    const empty = (view.groupMembers(ip.group) ?? 0) === 0;
    const prev = memory.last.get(k);
    // Nobody consumed while the group was empty: the offset was moved (a reset, a tool).
    if (prev && prev.empty && empty && committed > prev.committed) {
      const ranges = memory.resets.get(k) ?? [];
      ranges.push({ from: prev.committed, to: committed });
      memory.resets.set(k, ranges.slice(-MAX_RESETS));
    }
    memory.last.set(k, { committed, empty });
    const settled = memory.settledCommit(k, committed, nowUs, opts.graceUs);
    if (settled === undefined) continue;

    const from = (await store.auditCheckpoint(ip.group, ip.topic, ip.partition)) ?? ip.firstOffset;
    if (settled <= from) continue;
    const { records, nextCheckpoint } = await store.unaccountedCandidates({
      group: ip.group,
      topic: ip.topic,
      partition: ip.partition,
      fromOffset: from,
      toOffset: settled,
      seenBeforeUs: nowUs - opts.graceUs,
      limit,
    });
    const entries = records.map((r): UnaccountedEntry => ({
      group: ip.group,
      topic: ip.topic,
      partition: ip.partition,
      offset: r.offset,
      eventId: r.eventId,
      correlationId: r.correlationId,
      detectedUs: nowUs,
      class: 'unknown',
      reason: 'pending',
      service: null,
      decidedUs: null,
    }));
    if (entries.length > 0 && (await store.addUnaccounted(entries)) > 0) found.push(...entries);
    if (nextCheckpoint > from) await store.setAuditCheckpoint(ip.group, ip.topic, ip.partition, nextCheckpoint);
  }

  const decisions: FindingDecision[] = [];
  const withdrawn: UnaccountedEntry[] = [];
  const open = new Map<string, UnaccountedEntry>();
  for (const f of await store.openFindings(limit)) {
    const evidence = await store.findingEvidence(f);
    // Another copy of its event (same id: a producer retry wrote it twice) was processed: accounted for,
    // as the candidate query would have had it, had that copy's span come first.
    if (evidence.copyProcessed && !evidence.delivered) {
      withdrawn.push(f);
      continue;
    }
    const cluster = judgedOn(f.group, f.topic);
    const d = decide(f, evidence, {
      nowUs,
      decideUs: opts.decideUs,
      ended: cluster !== undefined && ended.has(groupKey(cluster.name, f.group)),
      reset: cluster !== undefined && memory.wasReset(cluster.name, f.group, f.topic, f.partition, f.offset),
    });
    if (!d) continue;
    decisions.push(d);
    open.set(key(f.group, f.topic, f.partition) + `\u0000${f.offset}`, f);
  }
  // Only what took effect: a finding another run decided meanwhile keeps that decision (and is counted once).
  const applied = decisions.length > 0 ? await store.decideFindings(decisions) : [];
  const decided = applied.flatMap((d) => {
    const f = open.get(key(d.group, d.topic, d.partition) + `\u0000${d.offset}`);
    return f ? [{ ...f, class: d.class, reason: d.reason, service: d.service, decidedUs: d.decidedUs }] : [];
  });
  if (withdrawn.length > 0) await store.withdrawFindings(withdrawn);
  return { found, decided, withdrawn };
}

/** The decision on one open finding from its evidence; undefined: stays open (no evidence yet). */
export function decide(
  f: UnaccountedEntry,
  ev: FindingEvidence,
  ctx: { nowUs: number; decideUs: number; ended: boolean; reset: boolean },
): FindingDecision | undefined {
  const services = new Set(ev.services);
  const causedByGroup = ev.causedBy.filter((s) => s === null || services.size === 0 || services.has(s));
  const service = f.service ?? ev.services[0] ?? causedByGroup.find((s) => s !== null) ?? null;
  const at = (cls: FindingDecision['class'], reason: FindingDecision['reason']): FindingDecision => ({
    group: f.group,
    topic: f.topic,
    partition: f.partition,
    offset: f.offset,
    class: cls,
    reason,
    service,
    decidedUs: ctx.nowUs,
  });
  if (ev.delivered) return at('telemetry-missing', 'late-span');
  if (causedByGroup.length > 0) return at('telemetry-missing', 'caused-event');
  if (ctx.reset) return at('skipped', 'offset-reset');
  if (ctx.ended) return at('unknown', 'group-ended');
  if (ctx.nowUs - f.detectedUs < ctx.decideUs) return undefined;
  // The group's records normally cause events (most of its processed neighbours did); this one caused none.
  if (ev.neighbours >= 2 && ev.neighboursWithEffects * 2 > ev.neighbours) return at('skipped', 'no-effect');
  return at('unknown', 'no-evidence');
}

/** A single view (one cluster) rather than a list of clusters. */
function isOffsetsView(o: OffsetsView | readonly ClusterOffsets[]): o is OffsetsView {
  return !Array.isArray(o);
}
