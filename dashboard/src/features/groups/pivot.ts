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
