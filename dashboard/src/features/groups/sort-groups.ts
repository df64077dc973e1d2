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
  'retentionRisk',
  'lastRebalance',
] as const;
export type GroupSortKey = (typeof GROUP_SORT_KEYS)[number];

/** Retention risk for sorting: records lost first when descending. */
const RETENTION: Record<GroupSummary['retentionRisk'], number> = { none: 0, 'at-risk': 1, lost: 2 };

/** Severity for sorting: worst first when descending. */
const SEVERITY: Record<LagStatus, number> = { OK: 0, ERR: 1, WARN: 2, REWIND: 3, STALL: 4, STOP: 5 };

function value(g: GroupSummary, key: GroupSortKey): number | string | null {
  switch (key) {
    case 'status':
      return SEVERITY[g.status];
    case 'lastRebalance':
      return g.lastRebalance?.startedAt ?? null;
    case 'retentionRisk':
      return RETENTION[g.retentionRisk] * 1e15 + g.recordsLostToRetention;
    default:
      return g[key];
  }
}

/** Unknown values (null) always go last, whatever the direction. */
function compareBy(a: GroupSummary, b: GroupSummary, key: GroupSortKey, sign: number): number {
  const va = value(a, key);
  const vb = value(b, key);
  if (va === null && vb === null) return 0;
  if (va === null) return 1;
  if (vb === null) return -1;
  const c = typeof va === 'string' && typeof vb === 'string' ? va.localeCompare(vb) : Number(va) - Number(vb);
  return sign * c;
}

/**
 * Sorts a copy; unknown values (null) always go last, whatever the direction; ties by name.
 * By status (the default, severity first), groups of one status are ordered by how far behind
 * they are in time, then in messages: the group a minute behind comes before the one a second
 * behind with more records.
 */
export function sortGroups(groups: GroupSummary[], key: GroupSortKey, dir: SortDir): GroupSummary[] {
  const sign = dir === 'asc' ? 1 : -1;
  const keys: GroupSortKey[] = key === 'status' ? ['status', 'lagSeconds', 'lag'] : [key];
  return [...groups].sort((a, b) => {
    for (const k of keys) {
      const c = compareBy(a, b, k, sign);
      if (c !== 0) return c;
    }
    return a.group.localeCompare(b.group);
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
