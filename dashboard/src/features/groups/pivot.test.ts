import { describe, expect, it } from 'vitest';
import { GROUP_DETAIL, NOW } from '../../test/fixtures.ts';
import { pivotHistory, pivotPartitions } from './pivot.ts';

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
