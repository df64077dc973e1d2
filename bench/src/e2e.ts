/**
 * Figure 6: the end-to-end latency the collector reports vs the load generator's own
 * measurement, per saga (target: within 1 ms).
 *
 * A collector (own process, fresh store) receives the spans of a demo with its own prefix;
 * the load generator places orders and records its ground truth per saga: latencyMs =
 * handledAt (Date.now() when its own consumer handles the terminal event) - placedAt (the
 * `order.placed` record timestamp, copied into the terminal event). Per saga, from the
 * collector's API:
 * - official: GET /api/sagas/:id endToEndMs, the design's definition (first publish, the producer
 *   span start -> the terminal event processed), with whichever delivery of the terminal event
 *   the collector takes as its end (any group's: order, orchestrator or the load generator);
 * - same clock points: the load generator group's own delivery of the terminal event (span
 *   start, GET /api/events/:terminalEventId) - the saga's first publish (its startMs).
 * The differences to latencyMs are reported as |diff| median, p99, max and the share within 1 ms.
 */
import { performance } from 'node:perf_hooks';
import type { LoadgenSaga } from '@eventscope/demo-services';
import { startCollector, type Collector } from './lib/collector.ts';
import { runDemo } from './lib/demo.ts';
import { finish, machine } from './lib/machine.ts';
import { intEnv, printTable, progress, writeResult, type FigureResult } from './lib/results.ts';
import { quantile, round, spread } from './lib/stats.ts';

export interface E2eOptions {
  orders: number;
  rate: number;
  runs: number;
}

export interface E2eSaga {
  run: number;
  orderId: string;
  outcome: string | null;
  loadgenMs: number;
  /** The collector's endToEndMs (GET /api/sagas/:id). */
  officialMs: number | null;
  /** Load generator group's delivery start of the terminal event - the saga's first publish. */
  sameClockMs: number | null;
  /** placedAt (record timestamp, ms) - the producer span start the collector has. */
  publishSkewMs: number | null;
  /** handledAt (Date.now() in the handler) - the load generator's delivery span start. */
  handleSkewMs: number | null;
}

interface SagaView {
  startMs: number;
  endToEndMs: number | null;
  status: string;
}
interface EventView {
  publish: { timeMs: number } | null;
  groups: { group: string; deliveries: { service: string; startMs: number; endMs: number; outcome: string }[] }[];
}

async function getJson<T>(url: string): Promise<T | undefined> {
  const res = await fetch(url);
  if (res.status === 404) {
    await res.arrayBuffer();
    return undefined;
  }
  if (!res.ok) throw new Error(`GET ${url}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

/** What the collector says about one saga, once the load generator's delivery is stored (else undefined). */
async function observe(
  c: Collector,
  s: LoadgenSaga,
): Promise<Omit<E2eSaga, 'run' | 'loadgenMs' | 'outcome'> | undefined> {
  if (s.terminalEventId === null || s.placedEventId === null) return undefined;
  const saga = await getJson<SagaView>(`${c.url}/api/sagas/${encodeURIComponent(s.orderId)}`);
  const terminal = await getJson<EventView>(`${c.url}/api/events/${encodeURIComponent(s.terminalEventId)}`);
  // The load generator's consumer spans carry service.name `loadgen` (its group name is not on them).
  const lg = terminal?.groups
    .flatMap((g) => g.deliveries)
    .find((d) => d.service === 'loadgen' && d.outcome === 'processed');
  if (!saga || saga.endToEndMs === null || !lg) return undefined;
  const placed = await getJson<EventView>(`${c.url}/api/events/${encodeURIComponent(s.placedEventId)}`);
  const publishMs = placed?.publish?.timeMs ?? null;
  return {
    orderId: s.orderId,
    officialMs: saga.endToEndMs,
    sameClockMs: lg.startMs - saga.startMs,
    publishSkewMs: publishMs === null || s.placedAt === null ? null : s.placedAt - publishMs,
    handleSkewMs: s.handledAt === null ? null : s.handledAt - lg.startMs,
  };
}

function stats(diffs: number[]): { median: number; p99: number; max: number; within1: number } {
  const abs = diffs.map(Math.abs).sort((a, b) => a - b);
  return {
    median: quantile(abs, 0.5),
    p99: quantile(abs, 0.99),
    max: abs[abs.length - 1] ?? NaN,
    within1: abs.filter((x) => x <= 1).length / Math.max(1, abs.length),
  };
}

async function oneRun(run: number, o: E2eOptions, c: Collector, notes: string[]): Promise<E2eSaga[]> {
  const d = await runDemo({
    label: 'e2e',
    tracing: true,
    otlpEndpoint: c.url,
    loadgenArgs: [
      ...['--count', String(o.orders), '--rate', String(o.rate)],
      ...['--decline-rate', '0.1', '--reject-rate', '0.05', '--drain-timeout', '120', '--quiet'],
    ],
  });
  try {
    const summary = await d.summary;
    // SIGTERM: services commit and flush their spans; then the collector's intake drains.
    await d.stop();
    await c.flush();
    const terminal = summary.sagas.filter((s) => s.terminalEventId !== null && s.latencyMs !== null);
    if (summary.pending > 0) notes.push(`run ${run}: ${summary.pending} orders still pending at the end`);
    const out: E2eSaga[] = [];
    let todo = terminal;
    const deadline = performance.now() + 60_000;
    while (todo.length > 0) {
      const left: LoadgenSaga[] = [];
      for (const s of todo) {
        const x = await observe(c, s);
        if (x) out.push({ run, outcome: s.outcome, loadgenMs: s.latencyMs as number, ...x });
        else left.push(s);
      }
      todo = left;
      if (todo.length === 0 || performance.now() > deadline) break;
      await c.flush();
      await new Promise((r) => setTimeout(r, 500));
    }
    if (todo.length > 0) notes.push(`run ${run}: ${todo.length} of ${terminal.length} sagas not seen in full`);
    return out;
  } finally {
    await d.cleanup();
  }
}

export async function benchE2e(o: E2eOptions): Promise<FigureResult> {
  const m = machine();
  const notes: string[] = [];
  const c = await startCollector({ intakeQueueSpans: 25_000 });
  const sagas: E2eSaga[] = [];
  try {
    for (let r = 0; r < o.runs; r++) {
      const got = await oneRun(r, o, c, notes);
      sagas.push(...got);
      progress(`run ${r + 1}/${o.runs}: ${got.length} sagas compared`);
    }
  } finally {
    await c.close();
  }
  if (sagas.length === 0) throw new Error(`no saga was observed in full: ${notes.join('; ')}`);
  const official = sagas.filter((s) => s.officialMs !== null).map((s) => (s.officialMs as number) - s.loadgenMs);
  const same = sagas.filter((s) => s.sameClockMs !== null).map((s) => (s.sameClockMs as number) - s.loadgenMs);
  const a = stats(official);
  const b = stats(same);
  const perRun = (pick: (s: E2eSaga) => number | null): string => {
    const meds = Array.from({ length: o.runs }, (_, r) =>
      stats(sagas.filter((s) => s.run === r && pick(s) !== null).map((s) => (pick(s) as number) - s.loadgenMs)),
    ).filter((x) => Number.isFinite(x.median));
    const sp = spread(meds.map((x) => x.median));
    return `${round(sp.min, 2)}..${round(sp.max, 2)}`;
  };
  const lat = [...sagas.map((s) => s.loadgenMs)].sort((x, y) => x - y);
  const pub = stats(sagas.filter((s) => s.publishSkewMs !== null).map((s) => s.publishSkewMs as number));
  const hand = stats(sagas.filter((s) => s.handleSkewMs !== null).map((s) => s.handleSkewMs as number));
  const signedMedian = (xs: number[]): number =>
    quantile(
      [...xs].sort((x, y) => x - y),
      0.5,
    );
  const both = sagas.filter((s) => s.officialMs !== null && s.sameClockMs !== null);
  const share = (f: (d: number) => boolean): number =>
    both.filter((s) => f((s.officialMs as number) - (s.sameClockMs as number))).length / Math.max(1, both.length);
  const sameAsLoadgen = share((d) => Math.abs(d) < 0.001);
  const earlier = share((d) => d <= -0.001);
  const later = share((d) => d >= 0.001);
  const pct = (x: number): number => round(x * 100, 1);
  /** The four rows of one way of measuring: |diff| median (with the per-run spread), p99, max, share within 1 ms. */
  const diffRows = (name: string, d: ReturnType<typeof stats>, spread: string, medianName = name) => [
    { metric: `${medianName}: |diff| median`, value: round(d.median, 2), unit: 'ms', spread },
    {
      metric: `${name}: |diff| p99`,
      value: round(d.p99, 2),
      unit: 'ms',
      target: 'within 1 ms',
      meets: d.p99 <= 1,
    },
    { metric: `${name}: |diff| max`, value: round(d.max, 2), unit: 'ms' },
    { metric: `${name}: share within 1 ms`, value: pct(d.within1), unit: '%' },
  ];
  notes.push(
    `${sagas.length} sagas compared over ${o.runs} run(s); the load generator's latency p50 ${quantile(lat, 0.5)} ms, ` +
      `p99 ${quantile(lat, 0.99)} ms`,
    `official - loadgen, signed median ${round(signedMedian(official), 2)} ms; official = same clock points for ` +
      `${pct(sameAsLoadgen)}% of sagas, earlier for ${pct(earlier)}%, later for ${pct(later)}%: the collector ends the ` +
      'saga at a delivery of the terminal event by any group, the load generator at the start of its own handler ' +
      'for the same record (a different consumer when another group came first)',
    `clock points: placedAt (record timestamp, integer ms) - producer span start |diff| median ${round(pub.median, 2)} ms, ` +
      `max ${round(pub.max, 2)} ms; handledAt (Date.now(), integer ms) - loadgen delivery span start |diff| median ` +
      `${round(hand.median, 2)} ms, max ${round(hand.max, 2)} ms`,
  );
  return {
    figure: 'figure6-e2e',
    title: "End-to-end latency the collector reports vs the load generator's own measurement, per saga",
    at: new Date().toISOString(),
    machine: finish(m),
    method:
      'A collector (own process, fresh store) receives the OTLP spans of a demo with its own topic prefix; the load ' +
      'generator places orders (10% declined, 5% rejected) and records per saga latencyMs = handledAt (Date.now() in ' +
      'its own consumer of the terminal event) - placedAt (the order.placed record timestamp). After the run the ' +
      "services are stopped (they flush their spans) and every saga is read from the collector's API: official = " +
      'GET /api/sagas/:id endToEndMs (first publish -> the terminal event processed, at the delivery of it, by any ' +
      "group, that the collector takes as the end); same clock points = the load generator group's delivery start " +
      'of the terminal event (GET ' +
      '/api/events/:terminalEventId) - the saga start (first publish). Differences per saga to latencyMs; |diff| ' +
      'median, p99 and max over all sagas, runs (min..max) = per-run medians.',
    params: { ...o, sagasCompared: sagas.length },
    rows: [
      ...diffRows(
        'official endToEndMs vs loadgen',
        a,
        perRun((s) => s.officialMs),
      ),
      ...diffRows(
        'same clock points vs loadgen',
        b,
        perRun((s) => s.sameClockMs),
        "same clock points (loadgen's delivery - first publish) vs loadgen",
      ),
    ],
    notes,
    raw: sagas,
  };
}

export function e2eOptionsFromEnv(): E2eOptions {
  return {
    orders: intEnv('BENCH_E2E_ORDERS', 150),
    rate: intEnv('BENCH_E2E_RATE', 20),
    runs: intEnv('BENCH_RUNS', 3),
  };
}

export async function main(): Promise<void> {
  const r = await benchE2e(e2eOptionsFromEnv());
  printTable(r);
  console.log(`  -> ${writeResult(r)}`);
}

if (import.meta.main) await main();
