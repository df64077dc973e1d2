/**
 * From the collector's saga view (one HopView per published event, with its deliveries per
 * group and attempt and its pending groups) to the diagram's steps: one step per event and
 * consuming group, which is what the diagram draws as one arrow.
 */
import { type DeliveryOutcome, type DeliveryView, type HopView, type PendingView } from '../../api/types.ts';

export type StepOutcome = DeliveryOutcome | 'pending' | 'unconsumed';

export interface FlowStep {
  /** Stable within a saga: `<event id or span id or index>~<group>`; used in the URL (`?hop=`). */
  key: string;
  hop: HopView;
  eventId: string | null;
  eventType: string;
  topic: string;
  fromService: string;
  publishedAt: number;
  group: string | null;
  toService: string | null;
  /** First attempt's start and last attempt's end. */
  startedAt: number | null;
  endedAt: number | null;
  queueMs: number | null;
  /** Summed over attempts. */
  processingMs: number | null;
  outcome: StepOutcome;
  attempts: number;
  compensation: boolean;
  dlqTopic: string | null;
  /** This group's deliveries, oldest first. */
  deliveries: DeliveryView[];
  pending: PendingView | null;
}

export const UNKNOWN_PRODUCER = 'unknown producer';

function hopId(h: HopView, index: number): string {
  return h.eventId ?? h.spanId ?? `hop${index}`;
}

/** The outcome a group reached for one event, across attempts. */
function groupOutcome(ds: DeliveryView[]): DeliveryOutcome {
  const processed = ds.filter((d) => d.outcome === 'processed').length;
  if (processed > 1 || ds.some((d) => d.outcome === 'duplicate')) return 'duplicate';
  if (processed === 1) return 'processed';
  if (ds.some((d) => d.outcome === 'dead_lettered')) return 'dead_lettered';
  if (ds.some((d) => d.outcome === 'failed')) return 'failed';
  return 'retried';
}

export function stepsFromHops(hops: HopView[]): FlowStep[] {
  const steps: FlowStep[] = [];
  hops.forEach((hop, i) => {
    const id = hopId(hop, i);
    const firstStart = hop.deliveries.reduce<number | null>(
      (m, d) => (m === null ? d.startMs : Math.min(m, d.startMs)),
      null,
    );
    const base = {
      hop,
      eventId: hop.eventId,
      eventType: hop.eventType ?? 'unknown event',
      topic: hop.topic,
      fromService: hop.service ?? UNKNOWN_PRODUCER,
      publishedAt: hop.publishedMs ?? firstStart ?? 0,
      compensation: hop.compensation,
    };
    const byGroup = new Map<string, DeliveryView[]>();
    for (const d of hop.deliveries) byGroup.set(d.group, [...(byGroup.get(d.group) ?? []), d]);
    for (const [group, list] of byGroup) {
      const ds = [...list].sort((a, b) => a.startMs - b.startMs || a.attempt - b.attempt);
      const first = ds[0]!;
      const last = ds[ds.length - 1]!;
      const pending = hop.pending.find((p) => p.group === group) ?? null;
      const outcome = groupOutcome(ds);
      steps.push({
        ...base,
        key: `${id}~${group}`,
        group,
        toService: last.service,
        startedAt: first.startMs,
        endedAt: last.endMs,
        queueMs: first.queueTimeMs,
        processingMs: ds.reduce((s, d) => s + d.processingTimeMs, 0),
        // A group still retrying shows where it stands behind its committed offset too.
        outcome,
        attempts: Math.max(ds.length, ...ds.map((d) => d.attempt)),
        dlqTopic: ds.find((d) => d.dlqTopic !== null)?.dlqTopic ?? null,
        deliveries: ds,
        pending,
      });
    }
    for (const p of hop.pending) {
      if (byGroup.has(p.group)) continue;
      steps.push({
        ...base,
        key: `${id}~${p.group}`,
        group: p.group,
        toService: null,
        startedAt: null,
        endedAt: null,
        queueMs: null,
        processingMs: null,
        outcome: 'pending',
        attempts: 0,
        dlqTopic: null,
        deliveries: [],
        pending: p,
      });
    }
    if (byGroup.size === 0 && hop.pending.length === 0) {
      steps.push({
        ...base,
        key: `${id}~`,
        group: null,
        toService: null,
        startedAt: null,
        endedAt: null,
        queueMs: null,
        processingMs: null,
        outcome: 'unconsumed',
        attempts: 0,
        dlqTopic: null,
        deliveries: [],
        pending: null,
      });
    }
  });
  return steps;
}
