/**
 * Health of the flow map's edges and nodes, from what the collector reports: an edge's p95
 * latency (send duration or queue time) and its error rate from the spans, and for a consume
 * edge (topic -> service) the lag status of its consumer group on that topic from the Kafka
 * snapshot. A node is as unhealthy as the worst edge touching it.
 */
import { type FlowEdge, type GroupsResponse, type LagStatus } from '../../api/types.ts';
import { formatDuration, formatSeconds } from '../../lib/format.ts';

export type Health = 'ok' | 'warn' | 'bad' | 'unknown';

/** p95 at or above these is amber / red. Shown in the legend. */
export const P95_WARN_MS = 250;
export const P95_BAD_MS = 1000;

const RANK: Record<Health, number> = { unknown: 0, ok: 1, warn: 2, bad: 3 };

export function worst(list: Health[]): Health {
  return list.reduce<Health>((a, b) => (RANK[b] > RANK[a] ? b : a), 'unknown');
}

export interface GroupTopicLag {
  status: LagStatus;
  lag: number;
  lagSeconds: number | null;
}

/** One cluster's `group -> topic -> lag` (Maps: names come from data). */
export interface LagIndex {
  /** The cluster the lag is from (GET /api/groups' `cluster`); undefined before it answered. */
  cluster: string | undefined;
  groups: Map<string, Map<string, GroupTopicLag>>;
}

/** The lag index of GET /api/groups' answer. */
export function lagIndex(groups: GroupsResponse | undefined): LagIndex {
  const out = new Map<string, Map<string, GroupTopicLag>>();
  for (const g of groups?.groups ?? []) {
    const topics = new Map<string, GroupTopicLag>();
    for (const t of g.topics) topics.set(t.topic, { status: t.status, lag: t.lag, lagSeconds: t.lagSeconds });
    out.set(g.group, topics);
  }
  return { cluster: groups?.cluster, groups: out };
}

/** Whether a consume edge's group is on another cluster than the index's: its lag is not in it. */
export function onOtherCluster(e: FlowEdge, index: LagIndex): boolean {
  return e.cluster !== null && index.cluster !== undefined && e.cluster !== index.cluster;
}

/** The lag of a consume edge's group on its topic, when the index is of the group's cluster. */
export function lagOf(e: FlowEdge, index: LagIndex): GroupTopicLag | null {
  const topic = topicOf(e.from);
  if (!e.group || !topic || onOtherCluster(e, index)) return null;
  return index.groups.get(e.group)?.get(topic) ?? null;
}

export function lagHealth(status: LagStatus): Health {
  return status === 'OK' ? 'ok' : status === 'WARN' ? 'warn' : 'bad';
}

/** The topic name of a `topic:<name>` node id, or null for a service. */
export function topicOf(id: string): string | null {
  return id.startsWith('topic:') ? id.slice('topic:'.length) : null;
}

export interface EdgeHealth {
  health: Health;
  /** Why, in words (empty when healthy). */
  reasons: string[];
  lag: GroupTopicLag | null;
}

export function edgeHealth(e: FlowEdge, lag: LagIndex): EdgeHealth {
  const reasons: string[] = [];
  const parts: Health[] = [];
  if (e.errorsPerSecond) {
    parts.push('bad');
    reasons.push('errors');
  }
  if (e.p95Ms !== null) {
    const h = e.p95Ms >= P95_BAD_MS ? 'bad' : e.p95Ms >= P95_WARN_MS ? 'warn' : 'ok';
    parts.push(h);
    if (h !== 'ok') reasons.push(`p95 ${formatDuration(e.p95Ms)}`);
  }
  const l = lagOf(e, lag);
  if (l) {
    const h = lagHealth(l.status);
    parts.push(h);
    if (h !== 'ok') reasons.push(`lag ${l.status}${l.lagSeconds !== null ? ` ${formatSeconds(l.lagSeconds)}` : ''}`);
  }
  const health = parts.length ? worst(parts) : 'unknown';
  return { health, reasons, lag: l };
}

export const HEALTH_TEXT: Record<Health, string> = {
  ok: 'healthy',
  warn: 'degraded',
  bad: 'unhealthy',
  unknown: 'no latency or lag data',
};
