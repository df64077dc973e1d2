import { describe, expect, it } from 'vitest';
import { GROUP_DETAIL, NOW } from '../../test/fixtures.ts';
import { OTHERS, pivotHistory, pivotPartitions, topSeries } from './pivot.ts';

describe('pivotHistory', () => {
  it('makes one row per time with a column per topic, and the total when there are several topics', () => {
    const p = pivotHistory(GROUP_DETAIL.group.history, 'lag', 0);
    expect(p.series).toEqual(['all topics', 'orders', 'payments']);
    expect(p.rows).toHaveLength(2);
    expect(p.rows[1]).toMatchObject({ time: NOW, orders: 12_000, payments: 400, 'all topics': 12_400 });
  });

  it('drops points before the range and reads lag seconds', () => {
    const p = pivotHistory(GROUP_DETAIL.group.history, 'lagSeconds', NOW - 1000);
    expect(p.rows).toEqual([{ time: NOW, orders: 95, payments: null, 'all topics': 95 }]);
  });
});

describe('pivotPartitions', () => {
  it('makes a column per topic/partition from the status-window samples, in numeric order', () => {
    const p = pivotPartitions(GROUP_DETAIL.group.partitions);
    expect(p.series).toEqual(['orders/0', 'orders/1']);
    expect(p.rows[0]).toEqual({ time: NOW - 10_000, 'orders/0': 11_000, 'orders/1': 390 });
  });
});

describe('topSeries', () => {
  it('keeps the n worst series by latest lag and folds the rest into "others" (their maximum)', () => {
    const series = Array.from({ length: 27 }, (_, i) => `t/${i}`);
    const row = (time: number, f: (i: number) => number) =>
      Object.fromEntries([['time', time], ...series.map((s, i) => [s, f(i)])]) as Record<string, number | null>;
    const p = topSeries({ rows: [row(1, () => 1), row(2, (i) => i)], series }, 5);
    expect(p.series).toEqual(['t/26', 't/25', 't/24', 't/23', 't/22', OTHERS]);
    expect(p.folded).toBe(22);
    expect(p.rows[1]![OTHERS]).toBe(21);
    expect(p.rows[0]![OTHERS]).toBe(1);
  });

  it('ranks each series by its own latest value when the last poll refreshed only some (regression: CI)', () => {
    // The worst partition's latest sample is a row before the last one (a poll cut short).
    const rows: Record<string, number | null>[] = [
      { time: 1, 'x/0': 1, 'x/1': 2, 'x/2': 3, 'x/3': 4, 'x/4': 5, 'x/5': 6, 'x/6': 27 },
      { time: 2, 'x/0': 1, 'x/1': 2, 'x/2': 3, 'x/3': 4, 'x/4': 5, 'x/5': 6 },
    ];
    const series = ['x/0', 'x/1', 'x/2', 'x/3', 'x/4', 'x/5', 'x/6'];
    expect(topSeries({ rows, series }, 5).series).toEqual(['x/6', 'x/5', 'x/4', 'x/3', 'x/2', OTHERS]);
  });

  it('keeps the group total and leaves few series alone', () => {
    const few = { rows: [{ time: 1, 'all topics': 3, a: 1, b: 2 }], series: ['all topics', 'a', 'b'] };
    expect(topSeries(few, 5)).toEqual({ ...few, folded: 0 });
  });
});
