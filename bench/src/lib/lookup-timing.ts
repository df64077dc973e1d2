/**
 * Figure 3's measurement, shared by the SQLite bench (lookup.ts) and the PostgreSQL one
 * (lookup-postgres.ts): a sample of stored event ids looked up run after run, `store.event(id)`
 * timed inside the collector process and `GET /api/events/:id` timed by an HTTP client on
 * 127.0.0.1, interleaved in slices; p50/p99 per run, the median of runs with min..max.
 */
import { performance } from 'node:perf_hooks';
import type { Collector } from './collector.ts';
import type { FigureResult } from './results.ts';
import { Rng } from './sagas.ts';
import { median, quantile, round, spread } from './stats.ts';

/** The target of figure 3 (design.md): p99 at 10 million stored events. */
const TARGET_EVENTS = 10_000_000;
const TARGET_P99_MS = 5;
const SLICE = 100;

/** How the lookups are timed, for a figure's method text. */
export const LOOKUP_TIMING_METHOD =
  'each run looks them all up in a shuffled order, store.event(id) timed inside the collector process and ' +
  'GET /api/events/:id timed by a client on 127.0.0.1, interleaved in slices of 100. p50/p99 per run; median of runs with min..max.';

export interface LookupTimings {
  /** Per run, the sorted milliseconds of store.event(id) in the collector process. */
  direct: number[][];
  /** Per run, the sorted milliseconds of GET /api/events/:id from the client. */
  http: number[][];
  /** Lookups answered other than 200. */
  misses: number;
}

/** Looks every id of `sample` up `runs` times, each run in its own shuffled order. */
export async function timeLookups(c: Collector, sample: readonly string[], runs: number): Promise<LookupTimings> {
  const direct: number[][] = [];
  const http: number[][] = [];
  let misses = 0;
  for (let r = 0; r < runs; r++) {
    const rng = new Rng(100 + r);
    const ids = [...sample];
    for (let i = ids.length - 1; i > 0; i--) {
      const j = rng.next() % (i + 1);
      [ids[i], ids[j]] = [ids[j] as string, ids[i] as string];
    }
    const d: number[] = [];
    const h: number[] = [];
    for (let i = 0; i < ids.length; i += SLICE) {
      const slice = ids.slice(i, i + SLICE);
      d.push(...(await c.lookup(slice)).ms);
      for (const id of slice) {
        const t = performance.now();
        const resp = await fetch(`${c.url}/api/events/${encodeURIComponent(id)}`);
        await resp.arrayBuffer();
        h.push(performance.now() - t);
        if (resp.status !== 200) misses++;
      }
    }
    direct.push(d.sort((a, b) => a - b));
    http.push(h.sort((a, b) => a - b));
  }
  return { direct, http, misses };
}

/** "1.2M events": the size a row was measured at. */
export const atEvents = (events: number): string => `${round(events / 1e6, 2).toLocaleString('en')}M events`;

/** The p50 and p99 rows of both timings (p99 against the target once `events` reaches 10M), and notes. */
export function lookupRows(t: LookupTimings, events: number): { rows: FigureResult['rows']; notes: string[] } {
  const q = (runs: number[][], p: number) => spread(runs.map((x) => quantile(x, p)));
  const fmt = (s: { min: number; max: number }): string => `${round(s.min, 3)}..${round(s.max, 3)}`;
  const at = atEvents(events);
  const atTarget = events >= TARGET_EVENTS;
  const rows: FigureResult['rows'] = [];
  for (const [name, runs] of [
    ['store.event(id)', t.direct],
    ['GET /api/events/:id', t.http],
  ] as const) {
    const p50 = q(runs, 0.5);
    const p99 = q(runs, 0.99);
    rows.push({ metric: `${name} p50 at ${at}`, value: round(p50.median, 3), unit: 'ms', spread: fmt(p50) });
    rows.push({
      metric: `${name} p99 at ${at}`,
      value: round(p99.median, 3),
      unit: 'ms',
      spread: fmt(p99),
      target: `<= ${TARGET_P99_MS} (at 10M)`,
      meets: atTarget ? p99.median <= TARGET_P99_MS : undefined,
    });
  }
  const notes: string[] = [];
  if (t.misses > 0) notes.push(`${t.misses} lookups answered other than 200`);
  if (!atTarget) notes.push(`target is for 10M stored events; this run stored ${events}`);
  return { rows, notes };
}

/** Per-run quantiles for a result's `raw`. */
export function lookupRaw(t: LookupTimings): Record<string, number | (number | undefined)[]> {
  return {
    directP50: t.direct.map((x) => quantile(x, 0.5)),
    directP99: t.direct.map((x) => quantile(x, 0.99)),
    httpP50: t.http.map((x) => quantile(x, 0.5)),
    httpP99: t.http.map((x) => quantile(x, 0.99)),
    directMax: t.direct.map((x) => x.at(-1)),
    medianDirect: median(t.direct.flat()),
  };
}
