/**
 * View state that is worth a link lives in the URL query string. These hooks read and write
 * single parameters, replacing the history entry (filters and sorts are not "pages").
 */
import { useCallback } from 'react';
import { useSearchParams } from 'react-router';

export function useUrlParam(name: string, fallback = ''): [string, (value: string) => void] {
  const [params, setParams] = useSearchParams();
  const value = params.get(name) ?? fallback;
  const set = useCallback(
    (next: string) => {
      setParams(
        (prev) => {
          const sp = new URLSearchParams(prev);
          if (next === '' || next === fallback) sp.delete(name);
          else sp.set(name, next);
          return sp;
        },
        { replace: true },
      );
    },
    [name, fallback, setParams],
  );
  return [value, set];
}

/**
 * Sets several parameters in one navigation. Two setters of useUrlParam called in the same
 * event would each start from the same location, and the second would undo the first.
 */
export function useSetUrlParams(): (values: Record<string, string>) => void {
  const [, setParams] = useSearchParams();
  return useCallback(
    (values: Record<string, string>) => {
      setParams(
        (prev) => {
          const sp = new URLSearchParams(prev);
          for (const [k, v] of Object.entries(values)) {
            if (v === '') sp.delete(k);
            else sp.set(k, v);
          }
          return sp;
        },
        { replace: true },
      );
    },
    [setParams],
  );
}

export const RANGES = [
  { id: '15m', label: '15 min', seconds: 900 },
  { id: '1h', label: '1 h', seconds: 3600 },
  { id: '6h', label: '6 h', seconds: 21_600 },
  { id: '24h', label: '24 h', seconds: 86_400 },
] as const;

export type RangeId = (typeof RANGES)[number]['id'];
export const DEFAULT_RANGE: RangeId = '1h';

export function rangeSeconds(id: string): number {
  return (RANGES.find((r) => r.id === id) ?? RANGES[1]).seconds;
}

/** `?range=15m|1h|6h|24h`, shared by every page with history. */
export function useRange(): { id: string; seconds: number; setRange: (id: string) => void } {
  const [id, setRange] = useUrlParam('range', DEFAULT_RANGE);
  const valid = RANGES.some((r) => r.id === id) ? id : DEFAULT_RANGE;
  return { id: valid, seconds: rangeSeconds(valid), setRange };
}

export type SortDir = 'asc' | 'desc';

/** `?sort=<key>&dir=asc|desc`. */
export function useSort<K extends string>(
  keys: readonly K[],
  fallback: K,
  fallbackDir: SortDir = 'desc',
): { key: K; dir: SortDir; toggle: (key: K) => void } {
  const [params, setParams] = useSearchParams();
  const rawKey = params.get('sort');
  const key = keys.find((k) => k === rawKey) ?? fallback;
  const dir: SortDir = params.get('dir') === 'asc' ? 'asc' : params.get('dir') === 'desc' ? 'desc' : fallbackDir;
  const toggle = useCallback(
    (next: K) => {
      setParams(
        (prev) => {
          const sp = new URLSearchParams(prev);
          const curKey = keys.find((k) => k === sp.get('sort')) ?? fallback;
          const curDir = sp.get('dir') === 'asc' ? 'asc' : sp.get('dir') === 'desc' ? 'desc' : fallbackDir;
          const nextDir: SortDir = curKey === next ? (curDir === 'asc' ? 'desc' : 'asc') : 'desc';
          sp.set('sort', next);
          sp.set('dir', nextDir);
          return sp;
        },
        { replace: true },
      );
    },
    [keys, fallback, fallbackDir, setParams],
  );
  return { key, dir, toggle };
}
