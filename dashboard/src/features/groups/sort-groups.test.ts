import { describe, expect, it } from 'vitest';
import { GROUPS, group } from '../../test/fixtures.ts';
import { filterGroups, sortGroups } from './sort-groups.ts';

const names = (gs: { group: string }[]) => gs.map((g) => g.group);

describe('sortGroups', () => {
  it('puts the worst status first when descending', () => {
    expect(names(sortGroups(GROUPS, 'status', 'desc'))).toEqual(['shipping', 'inventory', 'payments']);
    expect(names(sortGroups(GROUPS, 'status', 'asc'))).toEqual(['payments', 'inventory', 'shipping']);
  });

  it('orders one status by time behind, then by messages behind (severity first)', () => {
    const gs = [
      group({ group: 'many-msgs', status: 'OK', lag: 2300, lagSeconds: 1 }),
      group({ group: 'minute', status: 'WARN', lag: 20, lagSeconds: 60 }),
      group({ group: 'seconds', status: 'WARN', lag: 2300, lagSeconds: 7.6 }),
      group({ group: 'unknown-age', status: 'WARN', lag: 5000, lagSeconds: null }),
      group({ group: 'same-age-more', status: 'WARN', lag: 30, lagSeconds: 60 }),
      group({ group: 'stopped', status: 'STOP', lag: 1, lagSeconds: 2 }),
    ];
    expect(names(sortGroups(gs, 'status', 'desc'))).toEqual([
      'stopped',
      'same-age-more',
      'minute',
      'seconds',
      'unknown-age',
      'many-msgs',
    ]);
  });

  it('keeps unknown values last in both directions', () => {
    const gs = [
      group({ group: 'a', lagSeconds: null }),
      group({ group: 'b', lagSeconds: 5 }),
      group({ group: 'c', lagSeconds: 50 }),
    ];
    expect(names(sortGroups(gs, 'lagSeconds', 'desc'))).toEqual(['c', 'b', 'a']);
    expect(names(sortGroups(gs, 'lagSeconds', 'asc'))).toEqual(['b', 'c', 'a']);
  });

  it('sorts by last rebalance time and by name', () => {
    expect(names(sortGroups(GROUPS, 'lastRebalance', 'desc'))).toEqual(['inventory', 'payments', 'shipping']);
    expect(names(sortGroups(GROUPS, 'group', 'asc'))).toEqual(['inventory', 'payments', 'shipping']);
  });

  it('does not mutate its input', () => {
    const copy = [...GROUPS];
    sortGroups(GROUPS, 'lag', 'desc');
    expect(GROUPS).toEqual(copy);
  });
});

describe('filterGroups', () => {
  it('matches group names and topic names, case-insensitively, and the status', () => {
    expect(names(filterGroups(GROUPS, 'SHIP', ''))).toEqual(['shipping']);
    expect(names(filterGroups(GROUPS, 'payments', ''))).toEqual(['payments', 'inventory']);
    expect(names(filterGroups(GROUPS, '', 'WARN'))).toEqual(['inventory']);
    expect(names(filterGroups(GROUPS, 'ship', 'OK'))).toEqual([]);
  });
});
