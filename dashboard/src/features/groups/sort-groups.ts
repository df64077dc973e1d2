import { LAG_STATUSES, type GroupSummary, type LagStatus } from '../../api/types.ts';
import { type SortDir } from '../../lib/url-state.ts';

export const GROUP_SORT_KEYS = [
  'group',
  'status',
  'lag',
  'lagSeconds',
  'memberCount',
  'consumeRate',
  'timeToCatchUpSeconds',
  'lastRebalance',
] as const;
export type GroupSortKey = (typeof GROUP_SORT_KEYS)[number];

/** Severity for sorting: worst first when descending. */
const SEVERITY: Record<LagStatus, number> = { OK: 0, ERR: 1, WARN: 2, REWIND: 3, STALL: 4, STOP: 5 };

function value(g: GroupSummary, key: GroupSortKey): number | string | null {
  switch (key) {
    case 'status':
      return SEVERITY[g.status];
    case 'lastRebalance':
      return g.lastRebalance?.startedAt ?? null;
    default:
      return g[key];
  }
}

/** Sorts a copy; unknown values (null) always go last, whatever the direction; ties by name. */
export function sortGroups(groups: GroupSummary[], key: GroupSortKey, dir: SortDir): GroupSummary[] {
  const sign = dir === 'asc' ? 1 : -1;
  return [...groups].sort((a, b) => {
    const va = value(a, key);
    const vb = value(b, key);
    if (va === null && vb === null) return a.group.localeCompare(b.group);
    if (va === null) return 1;
    if (vb === null) return -1;
    const c = typeof va === 'string' && typeof vb === 'string' ? va.localeCompare(vb) : Number(va) - Number(vb);
    return c !== 0 ? sign * c : a.group.localeCompare(b.group);
  });
}

export function filterGroups(groups: GroupSummary[], text: string, status: string): GroupSummary[] {
  const needle = text.trim().toLowerCase();
  return groups.filter(
    (g) =>
      (!status || g.status === status) &&
      (!needle ||
        g.group.toLowerCase().includes(needle) ||
        g.topics.some((t) => t.topic.toLowerCase().includes(needle))),
  );
}

export const STATUS_OPTIONS = LAG_STATUSES;
