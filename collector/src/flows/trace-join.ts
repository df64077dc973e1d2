/**
 * One trace, joined with the traces its spans link to. An eachBatch consumer starts a trace of
 * its own per record and links it to the producer span (a span link, not a parent), so the
 * trace of `order.placed` holds only its publish, and the consumers' work (and what they
 * publish next) sits in other traces. Following the links both ways, through the events the
 * hops carry, gives the whole flow: a delivery in another trace whose origin is a publish of
 * this trace, and the publish in another trace that a delivery of this trace links to.
 */
import type { Delivery, Publish, Store } from '../store/types.ts';

/** Traces joined at most (the one asked for included), and events looked up at most per trace. */
export const MAX_JOINED_TRACES = 20;
const MAX_EVENTS_PER_TRACE = 200;

export interface JoinedTrace {
  /** The trace asked for first, then linked traces in the order they were found. */
  traceIds: string[];
  publishes: Publish[];
  deliveries: Delivery[];
}

export async function joinLinkedTraces(store: Store, traceId: string): Promise<JoinedTrace> {
  const traceIds: string[] = [];
  const publishes = new Map<string, Publish>();
  const deliveries = new Map<string, Delivery>();
  const queue = [traceId];
  const queued = new Set(queue);
  while (queue.length > 0 && traceIds.length < MAX_JOINED_TRACES) {
    const id = queue.shift()!;
    const t = await store.trace(id);
    if (id !== traceId && t.publishes.length === 0 && t.deliveries.length === 0) continue;
    traceIds.push(id);
    for (const p of t.publishes) publishes.set(p.spanId, p);
    for (const d of t.deliveries) deliveries.set(d.spanId, d);
    const ownSpans = new Set(t.publishes.map((p) => p.spanId));
    const events = new Set<string>();
    for (const h of [...t.publishes, ...t.deliveries]) if (h.eventId) events.add(h.eventId);
    for (const eventId of [...events].slice(0, MAX_EVENTS_PER_TRACE)) {
      const hops = await store.event(eventId);
      const linked = [
        // Consumers of this trace's publishes whose spans live in another trace.
        ...hops.deliveries.filter((d) => d.originSpanId !== null && ownSpans.has(d.originSpanId)).map((d) => d.traceId),
        // The producer of what this trace consumed, in another trace.
        ...hops.publishes
          .filter((p) => t.deliveries.some((d) => d.eventId === eventId && d.originSpanId === p.spanId))
          .map((p) => p.traceId),
      ];
      for (const other of linked) {
        if (queued.has(other)) continue;
        queued.add(other);
        queue.push(other);
      }
    }
  }
  return { traceIds, publishes: [...publishes.values()], deliveries: [...deliveries.values()] };
}
