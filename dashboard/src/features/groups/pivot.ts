import { type PartitionLagPoint } from '../../api/types.ts';

export interface Pivoted {
  rows: Record<string, number | null>[];
  series: string[];
}

/** Long samples (one per partition and time) to one row per time with a column per `topic-partition`. */
export function pivotLag(points: PartitionLagPoint[], metric: 'lagMessages' | 'lagSeconds'): Pivoted {
  const byTime = new Map<number, Record<string, number | null>>();
  const series = new Set<string>();
  for (const p of points) {
    const key = `${p.topic}-${p.partition}`;
    series.add(key);
    let row = byTime.get(p.at);
    if (!row) {
      row = { at: p.at };
      byTime.set(p.at, row);
    }
    row[key] = p[metric];
  }
  const rows = [...byTime.values()].sort((a, b) => (a.at ?? 0) - (b.at ?? 0));
  return { rows, series: [...series].sort((a, b) => a.localeCompare(b, 'en', { numeric: true })) };
}
