/**
 * The answers flows/ gives: "where is my event" and the saga view, assembled from the
 * stored hops and every Kafka cluster's last snapshot (OffsetsView per cluster, clusters.ts).
 * Pure functions: no I/O.
 */
import { dlqTopicOf } from '@eventscope/contract';
import { ClusterLookup, type ClusterOffsets } from './clusters.ts';
import type { Delivery, EventHops, Publish, SagaStatus, SagaSummary } from '../store/types.ts';
import type {
  DeliveryView,
  EventView,
  GroupView,
  HopView,
  PendingView,
  PublishView,
  SagaListItem,
  SagaView,
} from './schemas.ts';

const ms = (us: number): number => us / 1000;

const isDlqTopic = (topic: string): boolean => topic.endsWith('.dlq');

export function publishView(p: Publish): PublishView {
  return {
    eventId: p.eventId,
    eventType: p.eventType,
    correlationId: p.correlationId,
    causationId: p.causationId,
    topic: p.topic,
    partition: p.partition,
    offset: p.offset,
    timeMs: ms(p.timeUs),
    endMs: ms(p.endUs),
    service: p.service,
    traceId: p.traceId,
    spanId: p.spanId,
  };
}

export function deliveryView(d: Delivery, publishes: Publish[]): DeliveryView {
  const pub = publishes.find((p) => p.topic === d.topic && (d.eventId === null || p.eventId === d.eventId));
  return {
    group: d.group,
    service: d.service,
    topic: d.topic,
    partition: d.partition,
    offset: d.offset,
    startMs: ms(d.startUs),
    endMs: ms(d.endUs),
    outcome: d.outcome,
    attempt: d.attempt,
    queueTimeMs: pub ? Math.max(0, ms(d.startUs - pub.timeUs)) : null,
    processingTimeMs: ms(d.endUs - d.startUs),
    dlqTopic: d.dlqTopic,
    traceId: d.traceId,
    spanId: d.spanId,
  };
}

/** Where a record sits: from the publish span's offset, a tap/offset record, or any delivery. */
function recordPosition(
  hops: EventHops,
  topic: string,
): { topic: string; partition: number; offset: number | null } | null {
  const pub = hops.publishes.find((p) => p.topic === topic && p.partition !== null && p.offset !== null);
  if (pub) return { topic, partition: pub.partition as number, offset: pub.offset };
  const rec = hops.records.find((r) => r.topic === topic);
  if (rec) return { topic, partition: rec.partition, offset: rec.offset };
  const d = hops.deliveries.find((x) => x.topic === topic && x.partition !== null && x.offset !== null);
  if (d) return { topic, partition: d.partition as number, offset: d.offset };
  const partial = hops.publishes.find((p) => p.topic === topic && p.partition !== null);
  if (partial) return { topic, partition: partial.partition as number, offset: null };
  return null;
}

/** Position of a record behind a group's committed offset on its cluster, and the wait at the group's rate. */
function pendingFor(
  cluster: ClusterOffsets,
  group: string,
  rec: { topic: string; partition: number; offset: number | null },
): PendingView {
  const offsets = cluster.offsets;
  const committed = offsets.committedOffset(group, rec.topic, rec.partition);
  const position =
    committed !== undefined && rec.offset !== null
      ? // the committed offset is the next record the group reads: records before ours are ahead of it
        Math.max(0, rec.offset - committed)
      : null;
  const rate = offsets.consumeRate(group, rec.topic);
  return {
    cluster: cluster.name,
    group,
    topic: rec.topic,
    partition: rec.partition,
    committedOffset: committed ?? null,
    position,
    estimatedWaitSeconds: position !== null && rate !== undefined && rate > 0 ? position / rate : null,
  };
}

/**
 * `dlqAtUs`: when the group published the event to its own DLQ (`<group>.dlq`), if it did. A
 * service that reports no outcome (the Java agent's spans carry none) shows its dead letter so:
 * the group dead-lettered the event unless it processed it again after that (a redrive).
 */
function groupState(ds: Delivery[], dlqAtUs: number | undefined): GroupView['state'] {
  if (dlqAtUs !== undefined && !ds.some((d) => d.outcome === 'processed' && d.startUs > dlqAtUs)) {
    return 'dead_lettered';
  }
  if (ds.some((d) => d.outcome === 'processed')) return 'processed';
  if (ds.some((d) => d.outcome === 'dead_lettered')) return 'dead_lettered';
  if (ds.some((d) => d.outcome === 'duplicate')) return 'duplicate';
  if (ds.some((d) => d.outcome === 'retried')) return 'retrying';
  return 'failed';
}

/** One row per (cluster, group, topic): the same group name on two clusters is two rows. */
const rowKey = (cluster: string, group: string, topic: string): string => JSON.stringify([cluster, group, topic]);

/**
 * The full "where is my event" answer: a row per group with deliveries of the event (on the
 * cluster clusters.ts attributes them to) and per group any cluster's snapshot has reading the
 * event's topic, each with positions from its own cluster. `clusters`: config order, primary first.
 */
export function eventView(eventId: string, hops: EventHops, clusters: readonly ClusterOffsets[]): EventView {
  const lookup = new ClusterLookup(clusters);
  const sorted = [...hops.publishes].sort((a, b) => a.timeUs - b.timeUs);
  const original = sorted.find((p) => !isDlqTopic(p.topic)) ?? sorted[0];
  const mainTopic = original?.topic ?? hops.records[0]?.topic ?? hops.deliveries[0]?.topic;
  const record = mainTopic !== undefined ? recordPosition(hops, mainTopic) : null;
  const anyCorr = hops.deliveries.find((d) => d.correlationId !== null)?.correlationId ?? null;
  const anyType = hops.deliveries.find((d) => d.eventType !== null)?.eventType ?? null;

  const byGroup = new Map<string, { cluster: ClusterOffsets; group: string; topic: string; ds: Delivery[] }>();
  for (const d of hops.deliveries) {
    const cluster = lookup.clusterOf(d.group, d.topic);
    const key = rowKey(cluster.name, d.group, d.topic);
    const row = byGroup.get(key) ?? { cluster, group: d.group, topic: d.topic, ds: [] };
    row.ds.push(d);
    byGroup.set(key, row);
  }
  const rows = new Map<string, { rank: number; view: GroupView }>();
  for (const [key, { cluster, group, topic, ds }] of byGroup) {
    const processedCount = ds.filter((d) => d.outcome === 'processed').length;
    rows.set(key, {
      rank: lookup.rank(cluster),
      view: {
        cluster: cluster.name,
        group,
        topic,
        state: groupState(ds, sorted.find((p) => p.topic === dlqTopicOf(group))?.timeUs),
        processedCount,
        duplicate: processedCount > 1,
        deliveries: ds.map((d) => deliveryView(d, hops.publishes)),
        pending: null,
      },
    });
  }
  // Groups reading the topic on any cluster that have no delivery of the event there: where is it for them?
  if (record) {
    for (const { cluster, groups } of lookup.groupsReading(record.topic)) {
      for (const group of groups) {
        const key = rowKey(cluster.name, group, record.topic);
        const mine = rows.get(key)?.view;
        if (mine && mine.state !== 'retrying' && mine.state !== 'failed') continue;
        const pending = pendingFor(cluster, group, record);
        const passed =
          pending.committedOffset !== null && record.offset !== null && pending.committedOffset > record.offset;
        if (mine) {
          mine.pending = passed ? null : pending;
          continue;
        }
        rows.set(key, {
          rank: lookup.rank(cluster),
          view: {
            cluster: cluster.name,
            group,
            topic: record.topic,
            state: passed ? 'passed_without_delivery' : 'pending',
            processedCount: 0,
            duplicate: false,
            deliveries: [],
            pending: passed ? null : pending,
          },
        });
      }
    }
  }
  const groups = [...rows.values()]
    .sort(
      (a, b) => a.view.topic.localeCompare(b.view.topic) || a.view.group.localeCompare(b.view.group) || a.rank - b.rank,
    )
    .map((r) => r.view);
  return {
    eventId,
    eventType: original?.eventType ?? anyType,
    correlationId: original?.correlationId ?? hops.records.find((r) => r.correlationId)?.correlationId ?? anyCorr,
    causationId: original?.causationId ?? null,
    record,
    publish: original ? publishView(original) : null,
    republishes: sorted.filter((p) => p !== original).map(publishView),
    groups,
    deadLettered: hops.deliveries.some((d) => d.outcome === 'dead_lettered') || sorted.some((p) => isDlqTopic(p.topic)),
    duplicate: groups.some((g) => g.duplicate),
    offsetsSnapshotMs: lookup.oldestSnapshotMs() ?? null,
  };
}

function sagaStatus(s: SagaSummary, nowUs: number, stuckAfterUs: number): SagaStatus {
  // A compensation publish can arrive (from another process's exporter) after a group's
  // processed delivery of `order.failed` ended the saga as failed: with compensations it is compensated.
  if (s.outcome === 'failed' && s.compensations > 0) return 'compensated';
  if (s.outcome !== null) return s.outcome;
  return nowUs - s.lastUs > stuckAfterUs ? 'stuck' : 'in_flight';
}

export function sagaListItem(s: SagaSummary, nowUs: number, stuckAfterUs: number): SagaListItem {
  return {
    correlationId: s.correlationId,
    sagaType: s.sagaType,
    status: sagaStatus(s, nowUs, stuckAfterUs),
    startMs: ms(s.firstUs),
    lastActivityMs: ms(s.lastUs),
    endToEndMs: s.endToEndUs === null ? null : ms(s.endToEndUs),
    terminalEventType: s.terminalEventType,
    hops: s.hops,
    compensations: s.compensations,
    dlqSteps: s.dlqSteps,
  };
}

/**
 * End-to-end latency from the saga's hops: its first publish to the start of the first
 * processed delivery of its terminal event (the moment the outcome reached a consumer that
 * processed it; that consumer's own processing time is not part of the flow). Earliest in
 * time, whatever order the spans arrived in. Null while no publish or no such delivery is known.
 */
export function endToEndUs(hops: EventHops): number | null {
  let first: number | null = null;
  for (const p of hops.publishes) if (first === null || p.timeUs < first) first = p.timeUs;
  let end: number | null = null;
  for (const d of hops.deliveries) {
    if (d.terminal === null || d.outcome !== 'processed') continue;
    if (end === null || d.startUs < end) end = d.startUs;
  }
  return first === null || end === null ? null : Math.max(0, end - first);
}

/** Every hop of one saga on a time axis, with what is still pending and where. */
type DlqStep = SagaView['dlqSteps'][number];

/**
 * Deliveries reported dead-lettered, and copies a group published to its own DLQ
 * (`<group>.dlq`) of an event it had a delivery of without such an outcome: services that
 * report no outcome (the Java agent's spans carry none) dead-letter by publishing only.
 */
function dlqSteps(hops: EventHops, publishes: Publish[]): DlqStep[] {
  const steps: DlqStep[] = hops.deliveries
    .filter((d) => d.outcome === 'dead_lettered')
    .map((d) => ({
      eventId: d.eventId,
      eventType: d.eventType,
      group: d.group,
      topic: d.topic,
      dlqTopic: d.dlqTopic,
      timeMs: ms(d.endUs),
    }));
  for (const p of publishes) {
    if (p.eventId === null || !isDlqTopic(p.topic)) continue;
    const d = hops.deliveries.find(
      (x) => x.eventId === p.eventId && dlqTopicOf(x.group) === p.topic && x.topic !== p.topic && x.startUs <= p.timeUs,
    );
    if (!d || steps.some((s) => s.eventId === d.eventId && s.group === d.group)) continue;
    steps.push({
      eventId: d.eventId,
      eventType: d.eventType,
      group: d.group,
      topic: d.topic,
      dlqTopic: p.topic,
      timeMs: ms(p.timeUs),
    });
  }
  return steps;
}

export function sagaView(
  summary: SagaSummary,
  hops: EventHops,
  clusters: readonly ClusterOffsets[],
  nowUs: number,
  stuckAfterUs: number,
): SagaView {
  const lookup = new ClusterLookup(clusters);
  const list: HopView[] = [];
  const publishes = [...hops.publishes].sort((a, b) => a.timeUs - b.timeUs);
  const used = new Set<Delivery>();
  for (const p of publishes) {
    const ds = hops.deliveries.filter(
      (d) => d.topic === p.topic && (p.eventId !== null ? d.eventId === p.eventId : d.originSpanId === p.spanId),
    );
    ds.forEach((d) => used.add(d));
    const sub: EventHops = {
      publishes: [p],
      deliveries: ds,
      records: hops.records.filter((r) => r.eventId === p.eventId),
    };
    const rec = recordPosition(sub, p.topic);
    const pending: PendingView[] = [];
    if (rec) {
      // Per cluster: a delivery counts on the cluster clusters.ts attributes it to, not on the others.
      for (const { cluster, groups } of lookup.groupsReading(p.topic)) {
        for (const group of groups) {
          const done = ds.some(
            (d) =>
              d.group === group &&
              d.outcome !== 'retried' &&
              d.outcome !== 'failed' &&
              lookup.clusterOf(d.group, d.topic) === cluster,
          );
          if (done) continue;
          const pv = pendingFor(cluster, group, rec);
          const passed = pv.committedOffset !== null && rec.offset !== null && pv.committedOffset > rec.offset;
          if (!passed) pending.push(pv);
        }
      }
    }
    list.push({
      eventId: p.eventId,
      eventType: p.eventType,
      causationId: p.causationId,
      topic: p.topic,
      partition: rec?.partition ?? p.partition,
      offset: rec?.offset ?? p.offset,
      publishedMs: ms(p.timeUs),
      service: p.service,
      traceId: p.traceId,
      spanId: p.spanId,
      compensation: p.compensation,
      deliveries: ds.map((d) => deliveryView(d, [p])),
      pending,
    });
  }
  // Deliveries whose publish span never arrived still show, as hops without a publish.
  const orphans = new Map<string, Delivery[]>();
  for (const d of hops.deliveries) {
    if (used.has(d)) continue;
    const key = `${d.eventId ?? d.spanId}\u0000${d.topic}`;
    orphans.set(key, [...(orphans.get(key) ?? []), d]);
  }
  for (const ds of orphans.values()) {
    const d0 = ds[0] as Delivery;
    list.push({
      eventId: d0.eventId,
      eventType: d0.eventType,
      causationId: null,
      topic: d0.topic,
      partition: d0.partition,
      offset: d0.offset,
      publishedMs: null,
      service: null,
      traceId: null,
      spanId: null,
      compensation: d0.compensation,
      deliveries: ds.map((d) => deliveryView(d, [])),
      pending: [],
    });
  }
  const at = (h: HopView): number => h.publishedMs ?? h.deliveries[0]?.startMs ?? 0;
  list.sort((a, b) => at(a) - at(b));
  const item = sagaListItem(summary, nowUs, stuckAfterUs);
  const e2e = item.status === 'in_flight' || item.status === 'stuck' ? null : endToEndUs(hops);
  return {
    ...item,
    endToEndMs: e2e === null ? item.endToEndMs : ms(e2e),
    hops: list,
    hopCount: list.length,
    compensations: publishes
      .filter((p) => p.compensation)
      .map((p) => ({ eventId: p.eventId, eventType: p.eventType, timeMs: ms(p.timeUs), service: p.service })),
    dlqSteps: dlqSteps(hops, publishes),
    pendingCount: list.reduce((n, h) => n + h.pending.length, 0),
  };
}
