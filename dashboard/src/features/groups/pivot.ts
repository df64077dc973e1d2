import { type LagPoint, type PartitionLag } from '../../api/types.ts';

export interface Pivoted {
  rows: Record<string, number | null>[];
  series: string[];
}

/** Per-topic lag history (plus the group total) to one row per time with a column per topic. */
export function pivotHistory(
  history: { total: LagPoint[]; topics: Record<string, LagPoint[]> },
  metric: 'lag' | 'lagSeconds',
  sinceMs: number,
): Pivoted {
  const byTime = new Map<number, Record<string, number | null>>();
  const add = (name: string, points: LagPoint[]) => {
    for (const p of points) {
      if (p.time < sinceMs) continue;
      let row = byTime.get(p.time);
      if (!row) {
        row = { time: p.time };
        byTime.set(p.time, row);
      }
      row[name] = p[metric];
    }
  };
  const topics = Object.keys(history.topics).sort();
  for (const t of topics) add(t, history.topics[t] ?? []);
  // The total only adds information with more than one topic.
  const series = topics.length > 1 ? ['all topics', ...topics] : topics;
  if (topics.length > 1) add('all topics', history.total);
  const rows = [...byTime.values()].sort((a, b) => (a.time ?? 0) - (b.time ?? 0));
  return { rows, series };
}

/** Partition samples of the status window to rows by time with a column per `topic/partition`. */
export function pivotPartitions(partitions: PartitionLag[]): Pivoted {
  const byTime = new Map<number, Record<string, number | null>>();
  const series: string[] = [];
  for (const p of partitions) {
    const key = `${p.topic}/${p.partition}`;
    series.push(key);
    for (const s of p.samples) {
      let row = byTime.get(s.time);
      if (!row) {
        row = { time: s.time };
        byTime.set(s.time, row);
      }
      row[key] = s.lag;
    }
  }
  const rows = [...byTime.values()].sort((a, b) => (a.time ?? 0) - (b.time ?? 0));
  return { rows, series: series.sort((a, b) => a.localeCompare(b, 'en', { numeric: true })) };
}

/** Series that are always kept (the group total), never folded into "others". */
const KEEP = new Set(['all topics']);
export const OTHERS = 'others (max)';

/**
 * At most `n` series by lag (the latest row's value, then the highest), the rest folded into
 * one "others" series holding their highest value at each time: 27 partitions in 6 colours
 * cannot be told apart, the worst 5 can; a maximum keeps the y axis to the scale of one series
 * (a sum of 22 partitions would flatten the 5 drawn) and works for seconds as for messages.
 */
export function topSeries(p: Pivoted, n: number): Pivoted & { folded: number } {
  const candidates = p.series.filter((s) => !KEEP.has(s));
  if (candidates.length <= n + 1) return { ...p, folded: 0 };
  // Each series' own latest value: a poll that ran out of time refreshes only some partitions,
  // so the last row may lack the worst one (which then ranked below every partition it has).
  const last: Record<string, number> = {};
  const peak = new Map<string, number>();
  for (const s of candidates) {
    peak.set(s, Math.max(0, ...p.rows.map((r) => r[s] ?? 0)));
    const latest = p.rows.findLast((r) => typeof r[s] === 'number')?.[s];
    if (typeof latest === 'number') last[s] = latest;
  }
  const ranked = [...candidates].sort(
    (a, b) =>
      (last[b] ?? 0) - (last[a] ?? 0) ||
      (peak.get(b) ?? 0) - (peak.get(a) ?? 0) ||
      a.localeCompare(b, 'en', { numeric: true }),
  );
  const top = ranked.slice(0, n);
  const rest = ranked.slice(n);
  const rows = p.rows.map((r) => {
    const out: Record<string, number | null> = { time: r.time ?? null };
    for (const s of [...p.series.filter((x) => KEEP.has(x)), ...top]) out[s] = r[s] ?? null;
    const vals = rest.map((s) => r[s]).filter((v): v is number => typeof v === 'number');
    out[OTHERS] = vals.length ? Math.max(...vals) : null;
    return out;
  });
  return { rows, series: [...p.series.filter((x) => KEEP.has(x)), ...top, OTHERS], folded: rest.length };
}
