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

/** An absolute time window, epoch ms: `?from=&to=` (a drag on a chart, or the custom range form). */
export interface TimeWindow {
  fromMs: number;
  toMs: number;
}

export interface RangeState {
  /** A preset id, or 'custom' for an absolute window. */
  id: string;
  /** How far back to fetch: the preset, or the smallest preset that reaches back to the window's start. */
  seconds: number;
  /** The absolute window to show, or null for a preset (the latest `seconds`). */
  window: TimeWindow | null;
  /** A preset (clears an absolute window). */
  setRange: (id: string) => void;
  /** An absolute window (from < to, both epoch ms). */
  setWindow: (w: TimeWindow) => void;
}

/** Whole epoch ms within a sane span (no year 1970 or 3000 from a hand-edited link). */
function parseMs(v: string | null): number | null {
  if (v === null || !/^\d{12,14}$/.test(v)) return null;
  const n = Number(v);
  return Number.isSafeInteger(n) ? n : null;
}

export function parseWindow(from: string | null, to: string | null): TimeWindow | null {
  const f = parseMs(from);
  const t = parseMs(to);
  return f !== null && t !== null && f < t ? { fromMs: f, toMs: t } : null;
}

/** The smallest preset reaching back to `fromMs` from `nowMs`, else the longest. */
export function secondsFor(window: TimeWindow, nowMs: number): number {
  const back = (nowMs - window.fromMs) / 1000;
  return (RANGES.find((r) => r.seconds >= back) ?? RANGES[RANGES.length - 1]!).seconds;
}

/** `?range=15m|1h|6h|24h`, or `?from=&to=` (epoch ms) for an absolute window; shared by every page with history. */
export function useRange(): RangeState {
  const [params, setParams] = useSearchParams();
  const raw = params.get('range') ?? DEFAULT_RANGE;
  const win = parseWindow(params.get('from'), params.get('to'));
  const valid = RANGES.some((r) => r.id === raw) ? raw : DEFAULT_RANGE;
  const setRange = useCallback(
    (next: string) =>
      setParams(
        (prev) => {
          const sp = new URLSearchParams(prev);
          sp.delete('from');
          sp.delete('to');
          if (next === DEFAULT_RANGE) sp.delete('range');
          else sp.set('range', next);
          return sp;
        },
        { replace: true },
      ),
    [setParams],
  );
  const setWindow = useCallback(
    (w: TimeWindow) =>
      setParams(
        (prev) => {
          const sp = new URLSearchParams(prev);
          sp.set('from', String(Math.floor(w.fromMs)));
          sp.set('to', String(Math.ceil(w.toMs)));
          return sp;
        },
        { replace: true },
      ),
    [setParams],
  );
  if (win) return { id: 'custom', seconds: secondsFor(win, Date.now()), window: win, setRange, setWindow };
  return { id: valid, seconds: rangeSeconds(valid), window: null, setRange, setWindow };
}

/** What a time chart needs to show the selected window and to zoom by a drag. */
export function useChartRange(): { window: TimeWindow | null; onSelectRange: (w: TimeWindow) => void } {
  const { window: win, setWindow } = useRange();
  return { window: win, onSelectRange: setWindow };
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
