/**
 * Pure layout of the saga flow diagram: lanes (one per service), a shared time axis, and per
 * hop the geometry of its arrow, queue segment and processing segment. Kept apart from the
 * SVG so it can be tested without a browser.
 */
import { type FlowStep } from './flow-model.ts';

export const LANE_HEIGHT = 64;
export const LABEL_WIDTH = 150;
export const AXIS_HEIGHT = 28;
export const RIGHT_PAD = 170;

/** The lane a delivery lands in: its service, or its group when the service is unknown. */
export function targetLane(h: FlowStep): string | null {
  return h.toService ?? h.group;
}

export interface LaidOutHop {
  key: string;
  step: FlowStep;
  /** Publish point on the source lane. */
  x0: number;
  y0: number;
  /** Delivery start on the target lane (for pending hops: the right edge). */
  x1: number;
  y1: number;
  /** Processing end; null when not processed (pending) or no consumer. */
  x2: number | null;
  kind: 'delivered' | 'failed' | 'pending' | 'unconsumed';
}

export interface FlowLayout {
  lanes: { name: string; y: number }[];
  hops: LaidOutHop[];
  width: number;
  height: number;
  t0: number;
  t1: number;
  ticks: { x: number; label: number }[];
  x: (t: number) => number;
}

export function layoutFlow(hops: FlowStep[], width: number): FlowLayout {
  const ordered = [...hops].sort((a, b) => a.publishedAt - b.publishedAt || (a.startedAt ?? 0) - (b.startedAt ?? 0));

  // Lanes in order of first appearance, so the flow reads top-down.
  const lanes: string[] = [];
  const addLane = (name: string | null) => {
    if (name !== null && !lanes.includes(name)) lanes.push(name);
  };
  for (const h of ordered) {
    addLane(h.fromService);
    addLane(targetLane(h));
  }

  const times: number[] = [];
  for (const h of ordered) {
    times.push(h.publishedAt);
    if (h.startedAt !== null) times.push(h.startedAt);
    if (h.endedAt !== null) times.push(h.endedAt);
  }
  const hasPending = ordered.some((h) => h.outcome === 'pending');
  const t0 = times.length ? Math.min(...times) : 0;
  let t1 = times.length ? Math.max(...times) : 1;
  // Room on the right for pending arrows: they point past the last thing that happened.
  if (hasPending) t1 += Math.max(100, (t1 - t0) * 0.2);
  if (t1 <= t0) t1 = t0 + 1;

  const plotLeft = LABEL_WIDTH;
  const plotRight = Math.max(plotLeft + 200, width - RIGHT_PAD);
  const x = (t: number) => plotLeft + ((t - t0) / (t1 - t0)) * (plotRight - plotLeft);
  const laneY = (name: string) => AXIS_HEIGHT + lanes.indexOf(name) * LANE_HEIGHT + LANE_HEIGHT / 2;

  // Stagger hops that overlap in time on the same target lane so bars do not cover each other.
  const laneBusyUntil = new Map<string, number[]>();
  const offsetFor = (lane: string, from: number, to: number): number => {
    const slots = laneBusyUntil.get(lane) ?? [];
    let slot = slots.findIndex((busy) => busy <= from);
    if (slot === -1) slot = slots.length;
    slots[slot] = to;
    laneBusyUntil.set(lane, slots);
    const offsets = [0, -12, 12, -20, 20];
    return offsets[slot % offsets.length] ?? 0;
  };

  const laid: LaidOutHop[] = ordered.map((hop) => {
    const key = hop.key;
    const x0 = x(hop.publishedAt);
    const y0 = laneY(hop.fromService);
    const lane = targetLane(hop);
    if (lane === null) return { key, step: hop, x0, y0, x1: x0, y1: y0, x2: null, kind: 'unconsumed' };
    if (hop.outcome === 'pending' || hop.startedAt === null) {
      const off = offsetFor(lane, hop.publishedAt, t1);
      return { key, step: hop, x0, y0, x1: plotRight, y1: laneY(lane) + off, x2: null, kind: 'pending' };
    }
    const end = hop.endedAt ?? hop.startedAt;
    const off = offsetFor(lane, hop.publishedAt, end);
    return {
      key,
      step: hop,
      x0,
      y0,
      x1: x(hop.startedAt),
      y1: laneY(lane) + off,
      x2: x(end),
      kind: hop.outcome === 'dead_lettered' || hop.outcome === 'failed' ? 'failed' : 'delivered',
    };
  });

  const tickCount = 5;
  const ticks = Array.from({ length: tickCount + 1 }, (_, i) => {
    const label = ((t1 - t0) * i) / tickCount;
    return { x: x(t0 + label), label };
  });

  return {
    lanes: lanes.map((name) => ({ name, y: laneY(name) })),
    hops: laid,
    width: Math.max(width, plotRight + RIGHT_PAD),
    height: AXIS_HEIGHT + lanes.length * LANE_HEIGHT + 8,
    t0,
    t1,
    ticks,
    x,
  };
}

/** Rough width of a label in px at the diagram's 11px font; enough to keep labels apart. */
export function labelWidth(text: string): number {
  return text.length * 6.3 + 6;
}

/**
 * Vertical offsets that keep labels from overlapping: each label takes the first offset at
 * which it does not overlap a label already placed (in order) at the same height.
 */
export function placeLabels(labels: { x: number; y: number; width: number }[]): number[] {
  const OFFSETS = [0, -13, 13, -26, 26];
  const placed: { x1: number; x2: number; y: number }[] = [];
  return labels.map((l) => {
    const x1 = l.x;
    const x2 = l.x + l.width;
    const dy =
      OFFSETS.find((off) => !placed.some((p) => Math.abs(p.y - (l.y + off)) < 12 && p.x1 < x2 && x1 < p.x2)) ?? 0;
    placed.push({ x1, x2, y: l.y + dy });
    return dy;
  });
}
