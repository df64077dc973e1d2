/**
 * The flow map: which service publishes to which topic and which service (group) consumes
 * from it, with rates, errors and latency over a recent window. Kept in memory as per-minute
 * buckets for the last hour, per edge; edges are bounded (MAX_EDGES) and their count is the
 * product of services, topics and groups, not of events. Starts empty after a restart.
 * Spans name no Kafka cluster: a consume edge's cluster is worked out when the map is read.
 */
import type { Static } from 'typebox';
import { getOrAdd } from '../lib/safe-map.ts';
import type { FlowMapView } from './schemas.ts';

const WINDOW_MINUTES = 60;
const MAX_EDGES = 5000;
// Latency histogram bounds, ms (the last bucket is open).
const BOUNDS = [0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000, 30_000, 60_000];

interface Minute {
  minute: number;
  count: number;
  errors: number;
  hist: Uint32Array;
}

interface Edge {
  from: string;
  to: string;
  group: string | null;
  minutes: Minute[];
}

type FlowMapNode = Static<typeof FlowMapView>['nodes'][number];
type FlowMapEdge = Static<typeof FlowMapView>['edges'][number];

/** The Kafka cluster of a group reading a topic (flows/clusters.ts: ClusterLookup.clusterOf). */
export type ClusterOf = (group: string, topic: string) => string;

const TOPIC_PREFIX = 'topic:';
export const serviceNode = (name: string): string => `service:${name}`;
export const topicNode = (name: string): string => `${TOPIC_PREFIX}${name}`;

function quantile(hist: Uint32Array, q: number): number | null {
  let total = 0;
  for (const n of hist) total += n;
  if (total === 0) return null;
  const target = q * total;
  let seen = 0;
  for (let i = 0; i < hist.length; i++) {
    const n = hist[i] as number;
    if (seen + n >= target) {
      const lo = i === 0 ? 0 : (BOUNDS[i - 1] as number);
      const hi = BOUNDS[i] ?? lo * 2;
      // Linear inside the bucket.
      return lo + ((hi - lo) * (target - seen)) / Math.max(n, 1);
    }
    seen += n;
  }
  return BOUNDS.at(-1) ?? null;
}

/** Edges by their ends' names: publish edges service -> topic, consume edges topic -> service -> group. */
type PublishEdges = Map<string, Map<string, Edge>>;
type ConsumeEdges = Map<string, Map<string, Map<string, Edge>>>;

export class FlowMap {
  // Nested maps by the names as hops carry them: every hop finds its edge without building a key.
  readonly #publishes: PublishEdges = new Map();
  readonly #consumes: ConsumeEdges = new Map();
  readonly #edges: Edge[] = [];
  #dropped = 0;

  /** Edges refused because MAX_EDGES was reached. */
  get droppedEdges(): number {
    return this.#dropped;
  }

  #add(from: string, to: string, group: string | null): Edge | undefined {
    if (this.#edges.length >= MAX_EDGES) {
      this.#dropped++;
      return undefined;
    }
    const edge: Edge = { from, to, group, minutes: [] };
    this.#edges.push(edge);
    return edge;
  }

  // Lookups create no map on a miss: a name is kept only with an edge, so names beyond MAX_EDGES
  // (many services or topics, or made up by a client) take no memory.
  #publishEdge(service: string, topic: string): Edge | undefined {
    const edge = this.#publishes.get(service)?.get(topic);
    if (edge !== undefined) return edge;
    const added = this.#add(serviceNode(service), topicNode(topic), null);
    if (added) getOrAdd(this.#publishes, service, () => new Map<string, Edge>()).set(topic, added);
    return added;
  }

  #consumeEdge(topic: string, service: string, group: string): Edge | undefined {
    const edge = this.#consumes.get(topic)?.get(service)?.get(group);
    if (edge !== undefined) return edge;
    const added = this.#add(topicNode(topic), serviceNode(service), group);
    if (added) {
      const byService = getOrAdd(this.#consumes, topic, () => new Map<string, Map<string, Edge>>());
      getOrAdd(byService, service, () => new Map<string, Edge>()).set(group, added);
    }
    return added;
  }

  /** Hops older than the window (late or replayed spans) are not part of the recent map. */
  static #late(atMs: number, nowMs: number): boolean {
    return atMs < nowMs - WINDOW_MINUTES * 60_000;
  }

  /** The edge's bucket for the minute of `atMs`. */
  static #minute(edge: Edge | undefined, atMs: number): Minute | undefined {
    if (edge === undefined) return undefined;
    const minute = Math.floor(atMs / 60_000);
    // Hops come mostly in time order: the newest bucket first.
    const last = edge.minutes.at(-1);
    if (last?.minute === minute) return last;
    let m = edge.minutes.find((x) => x.minute === minute);
    if (!m) {
      m = { minute, count: 0, errors: 0, hist: new Uint32Array(BOUNDS.length + 1) };
      edge.minutes.push(m);
      edge.minutes.sort((a, b) => a.minute - b.minute);
      // Drop minutes older than the window.
      while (edge.minutes.length > 0 && (edge.minutes[0] as Minute).minute <= minute - WINDOW_MINUTES) {
        edge.minutes.shift();
      }
    }
    return m;
  }

  static #observe(m: Minute, ms: number): void {
    let i = BOUNDS.findIndex((b) => ms <= b);
    if (i < 0) i = BOUNDS.length;
    m.hist[i] = (m.hist[i] as number) + 1;
  }

  /** A publish on service -> topic at `atMs`, taking `ms` (the producer span's duration). */
  publish(service: string, topic: string, atMs: number, ms: number, nowMs: number): void {
    if (FlowMap.#late(atMs, nowMs)) return;
    const m = FlowMap.#minute(this.#publishEdge(service, topic), atMs);
    if (!m) return;
    m.count++;
    FlowMap.#observe(m, ms);
  }

  /** A delivery on topic -> service (group) at `atMs`. */
  delivery(topic: string, service: string, group: string, atMs: number, error: boolean, nowMs: number): void {
    if (FlowMap.#late(atMs, nowMs)) return;
    const m = FlowMap.#minute(this.#consumeEdge(topic, service, group), atMs);
    if (!m) return;
    m.count++;
    if (error) m.errors++;
  }

  /** A delivery's queue time (`ms`, publish to delivery start), counted in the current minute. */
  queueTime(topic: string, service: string, group: string, ms: number, nowMs: number): void {
    const m = FlowMap.#minute(this.#consumeEdge(topic, service, group), nowMs);
    if (m) FlowMap.#observe(m, ms);
  }

  /** The map over the last `rangeSeconds`; each consume edge names its group's cluster (`clusterOf`). */
  view(rangeSeconds: number, nowMs: number, clusterOf: ClusterOf): { nodes: FlowMapNode[]; edges: FlowMapEdge[] } {
    const fromMinute = Math.floor((nowMs - rangeSeconds * 1000) / 60_000);
    const nodes = new Map<string, FlowMapNode>();
    const edges: FlowMapEdge[] = [];
    for (const e of this.#edges) {
      let count = 0;
      let errors = 0;
      const hist = new Uint32Array(BOUNDS.length + 1);
      for (const m of e.minutes) {
        if (m.minute < fromMinute) continue;
        count += m.count;
        errors += m.errors;
        for (let i = 0; i < hist.length; i++) hist[i] = (hist[i] as number) + (m.hist[i] as number);
      }
      if (count === 0) continue;
      for (const id of [e.from, e.to]) {
        const [kind, ...rest] = id.split(':');
        nodes.set(id, { id, kind: kind === 'topic' ? 'topic' : 'service', name: rest.join(':') });
      }
      edges.push({
        from: e.from,
        to: e.to,
        group: e.group,
        // Consume edges run topic -> service with the group; publish edges name no group.
        cluster:
          e.group !== null && e.from.startsWith(TOPIC_PREFIX)
            ? clusterOf(e.group, e.from.slice(TOPIC_PREFIX.length))
            : null,
        ratePerSecond: count / rangeSeconds,
        p50Ms: quantile(hist, 0.5),
        p95Ms: quantile(hist, 0.95),
        errorsPerSecond: errors / rangeSeconds,
      });
    }
    edges.sort((a, b) => a.from.localeCompare(b.from) || a.to.localeCompare(b.to));
    return { nodes: [...nodes.values()].sort((a, b) => a.id.localeCompare(b.id)), edges };
  }
}
