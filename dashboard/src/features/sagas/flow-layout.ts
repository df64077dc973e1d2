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
/** Least horizontal room between two instants on a compressed axis, in px. */
export const MIN_SLOT = 16;

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
  /** The axis gives each instant a minimum slot instead of true proportions (dense sagas). */
  compressed: boolean;
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
  const fitRight = Math.max(plotLeft + 200, width - RIGHT_PAD);
  const scale = (fitRight - plotLeft) / (t1 - t0);
  // Hops microseconds apart would land on one pixel: then every gap between two instants
  // gets at least MIN_SLOT px (a compressed axis, said in the caption) and the plot grows.
  const knots = [...new Set([t0, ...times, t1])].sort((a, b) => a - b);
  const publishes = [...new Set(ordered.map((h) => h.publishedAt))].sort((a, b) => a - b);
  const compressed = publishes.some((t, i) => i > 0 && (t - publishes[i - 1]!) * scale < MIN_SLOT);
  const knotX: number[] = [plotLeft];
  for (let i = 1; i < knots.length; i++) {
    const gap = (knots[i]! - knots[i - 1]!) * scale;
    knotX.push(knotX[i - 1]! + (compressed ? Math.max(gap, MIN_SLOT) : gap));
  }
  const plotRight = compressed ? knotX.at(-1)! : fitRight;
  const x = (t: number): number => {
    if (!compressed) return plotLeft + (t - t0) * scale;
    let i = 0;
    while (i < knots.length - 2 && knots[i + 1]! < t) i++;
    const a = knots[i]!;
    const b = knots[i + 1] ?? a + 1;
    return knotX[i]! + ((t - a) / (b - a)) * ((knotX[i + 1] ?? knotX[i]! + 1) - knotX[i]!);
  };
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
  // On a compressed axis even time fractions bunch up; tick evenly spaced instants instead.
  const ticks = compressed
    ? [
        ...new Set(
          Array.from({ length: tickCount + 1 }, (_, i) => knots[Math.round(((knots.length - 1) * i) / tickCount)]!),
        ),
      ].map((t) => ({ x: x(t), label: t - t0 }))
    : Array.from({ length: tickCount + 1 }, (_, i) => {
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
    compressed,
    ticks,
    x,
  };
}

/** Where a hop's label starts (its text baseline): right of its bars, or above an unconsumed dot. */
export function labelAnchor(l: LaidOutHop): { x: number; y: number } {
  const xEnd = l.x2 ?? l.x1;
  return l.kind === 'unconsumed' ? { x: l.x0 + 6, y: l.y0 - 8 } : { x: Math.max(xEnd, l.x1) + 6, y: l.y1 + 4 };
}

/** Rough width of a label in px at the diagram's 11px font; enough to keep labels apart. */
export function labelWidth(text: string): number {
  return text.length * 6.3 + 6;
}

/** Height of a label's box at the diagram's 11px font; labels closer than this overlap. */
export const LABEL_HEIGHT = 13;

/** The first of 0, -13, +13, -26, +26, ... that `ok` accepts; `ok` must accept some. */
function nearestFree(ok: (off: number) => boolean): number {
  for (let i = 0; ; i++) {
    const off = (i % 2 === 1 ? -1 : 1) * Math.ceil(i / 2) * LABEL_HEIGHT;
    if (ok(off)) return off;
  }
}

/**
 * Vertical offsets that keep labels from overlapping: each label takes the nearest offset
 * (0, -13, +13, -26, +26, ...) at which it overlaps no label already placed (in order). The
 * search has no limit, so a free spot is always found: a dense saga makes the diagram taller
 * instead of piling labels up. Offsets that would put a label above `minTop` (the axis) are
 * skipped, so no label is cut by the top edge; the caller grows the SVG to the lowest label.
 */
export function placeLabels(labels: { x: number; y: number; width: number }[], minTop = -Infinity): number[] {
  const placed: { x1: number; x2: number; y: number }[] = [];
  const free = (x1: number, x2: number, y: number) =>
    !placed.some((p) => Math.abs(p.y - y) < LABEL_HEIGHT && p.x1 < x2 && x1 < p.x2);
  return labels.map((l) => {
    const x1 = l.x;
    const x2 = l.x + l.width;
    const dy = nearestFree((off) => l.y + off - (LABEL_HEIGHT - 2) >= minTop && free(x1, x2, l.y + off));
    placed.push({ x1, x2, y: l.y + dy });
    return dy;
  });
}
