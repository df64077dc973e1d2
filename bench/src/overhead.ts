/**
 * Figure 1: tracing overhead = saga throughput with instrumentation on / off, same run
 * (target >= 0.95).
 *
 * Each run is a fresh demo (its own topic prefix, data dir, consumer groups) with
 * DEMO_TRACING=on (spans exported to a collector in its own process, as deployed) or off; the
 * load generator places a fixed number of orders faster than the saga can complete them, so
 * the saga is the bottleneck, and throughput = terminal sagas / (last terminal event handled -
 * first order.placed record), from the load generator's own ground truth. Runs are interleaved
 * in pairs (on/off, then off/on, ...) after a warm-up pair that is not counted; ratio per pair, median
 * with min..max.
 */
import type { LoadgenSummary } from '@eventscope/demo-services';
import { startCollector, type Collector } from './lib/collector.ts';
import { runDemo } from './lib/demo.ts';
import { finish, machine } from './lib/machine.ts';
import { processCpuMs } from './lib/proc.ts';
import { intEnv, printTable, progress, writeResult, type FigureResult } from './lib/results.ts';
import { round, spread } from './lib/stats.ts';

export interface OverheadOptions {
  orders: number;
  rate: number;
  pairs: number;
  /**
   * Pairs run first and not counted (default 0): the broker's and the registry's JVMs, the page cache and
   * the collector warm up in the first runs after a start, which made the first pair ~30% slower than
   * the rest in either mode.
   */
  warmupPairs?: number;
}

export interface OverheadRun {
  pair: number;
  tracing: boolean;
  terminal: number;
  pending: number;
  seconds: number;
  sagasPerSec: number;
  latencyP50Ms: number;
  /** CPU of the five services (user + system, /proc) from ready to the end of the run, per terminal saga. */
  serviceCpuMsPerSaga: number;
  /** CPU the collector spent (receiving and storing this run's spans, until its intake drained), per terminal saga. */
  collectorCpuMsPerSaga: number;
}

/** Terminal sagas per second over the window first order.placed record -> last terminal event handled. */
export function throughput(s: LoadgenSummary): { terminal: number; seconds: number; perSec: number } {
  const done = s.sagas.filter((x) => x.placedAt !== null && x.handledAt !== null);
  if (done.length < 2) return { terminal: done.length, seconds: NaN, perSec: NaN };
  const first = Math.min(...done.map((x) => x.placedAt as number));
  const last = Math.max(...done.map((x) => x.handledAt as number));
  const seconds = (last - first) / 1000;
  return { terminal: done.length, seconds, perSec: done.length / seconds };
}

async function oneRun(
  pair: number,
  tracing: boolean,
  o: OverheadOptions,
  c: Collector,
  notes: string[],
): Promise<OverheadRun> {
  const collector0 = (await c.usage()).cpuUs;
  const d = await runDemo({
    label: tracing ? 'ovh-on' : 'ovh-off',
    tracing,
    otlpEndpoint: c.url,
    loadgenArgs: [
      ...['--count', String(o.orders), '--rate', String(o.rate), '--concurrency', '16'],
      ...['--drain-timeout', '300', '--quiet'],
    ],
  });
  // From here (every service ready, the load generator starting): the services' start-up is not counted.
  const cpu = (): number => d.demo.services.reduce((sum, p) => sum + processCpuMs(p.pid), 0);
  const service0 = cpu();
  try {
    const s = await d.summary;
    const serviceCpuMs = cpu() - service0;
    await d.stop();
    // The collector finishes ingesting the traced run (also before the next run starts).
    const collectorCpuMs = ((await c.flush()).cpuUs - collector0) / 1000;
    const t = throughput(s);
    if (s.pending > 0 || s.httpErrors > 0)
      notes.push(`pair ${pair} tracing ${tracing ? 'on' : 'off'}: ${s.pending} pending, ${s.httpErrors} HTTP errors`);
    return {
      pair,
      tracing,
      terminal: t.terminal,
      pending: s.pending,
      seconds: round(t.seconds, 2),
      sagasPerSec: round(t.perSec, 2),
      latencyP50Ms: s.latencyMs.p50,
      serviceCpuMsPerSaga: round(serviceCpuMs / t.terminal, 2),
      collectorCpuMsPerSaga: round(collectorCpuMs / t.terminal, 2),
    };
  } finally {
    await d.cleanup();
  }
}

export async function benchOverhead(o: OverheadOptions): Promise<FigureResult> {
  const m = machine();
  const notes: string[] = [];
  const c = await startCollector({ intakeQueueSpans: 25_000 });
  const runs: OverheadRun[] = [];
  try {
    for (let p = 0; p < (o.warmupPairs ?? 0); p++) {
      for (const tracing of [true, false]) {
        const run = await oneRun(-1 - p, tracing, o, c, notes);
        progress(`warm-up tracing ${tracing ? 'on' : 'off'} (not counted): ${round(run.sagasPerSec, 1)} sagas/s`);
      }
    }
    if (o.warmupPairs) notes.push(`${o.warmupPairs} warm-up pair(s) run first, not counted`);
    const warmCollectorRows = (await c.usage()).rows;
    for (let p = 0; p < o.pairs; p++) {
      for (const tracing of p % 2 === 0 ? [true, false] : [false, true]) {
        const run = await oneRun(p, tracing, o, c, notes);
        runs.push(run);
        progress(
          `pair ${p + 1}/${o.pairs} tracing ${tracing ? 'on' : 'off'}: ${round(run.sagasPerSec, 1)} sagas/s, ` +
            `services CPU ${run.serviceCpuMsPerSaga} ms per saga`,
        );
      }
    }
    const u = (await c.usage()).rows;
    notes.push(
      `collector stored ${u.sagas - warmCollectorRows.sagas} sagas, ${u.publishes - warmCollectorRows.publishes} ` +
        `publishes and ${u.deliveries - warmCollectorRows.deliveries} deliveries from the counted traced runs`,
    );
  } finally {
    await c.close();
  }
  const on = runs.filter((r) => r.tracing);
  const off = runs.filter((r) => !r.tracing);
  const ratios = Array.from({ length: o.pairs }, (_, p) => {
    const a = on.find((r) => r.pair === p)?.sagasPerSec ?? NaN;
    const b = off.find((r) => r.pair === p)?.sagasPerSec ?? NaN;
    return a / b;
  });
  const a = spread(on.map((r) => r.sagasPerSec));
  const b = spread(off.map((r) => r.sagasPerSec));
  const q = spread(ratios);
  const cpuOn = spread(on.map((r) => r.serviceCpuMsPerSaga));
  const cpuOff = spread(off.map((r) => r.serviceCpuMsPerSaga));
  const cpuRatio = spread(
    Array.from({ length: o.pairs }, (_, p) => {
      const x = on.find((r) => r.pair === p)?.serviceCpuMsPerSaga ?? NaN;
      const y = off.find((r) => r.pair === p)?.serviceCpuMsPerSaga ?? NaN;
      return y / x;
    }),
  );
  const coll = spread(on.map((r) => r.collectorCpuMsPerSaga));
  const fmt = (s: { min: number; max: number }, d = 1): string => `${round(s.min, d)}..${round(s.max, d)}`;
  return {
    figure: 'figure1-overhead',
    title: 'Tracing overhead: saga throughput with instrumentation on vs off, same run',
    at: new Date().toISOString(),
    machine: finish(m),
    method:
      'Each run a fresh demo (own topic prefix, groups, data dir; the 5 services and the load generator as child ' +
      'processes) with DEMO_TRACING=on (OTLP/protobuf to a collector in its own process, which ingests the spans ' +
      'on the same machine) or off. The load generator places a fixed number of orders faster than the saga ' +
      'completes them (the saga is the bottleneck); throughput = terminal sagas / (last terminal event handled by ' +
      'the load generator - first order.placed record timestamp), from its own ground truth. A warm-up pair first (not counted), then interleaved ' +
      'pairs (on/off, off/on, ...), ratio on/off per pair; medians with min..max. Also the CPU (user + system from ' +
      '/proc) of the five services from ready to the end of the run per terminal saga, a steadier ' +
      "measure on a shared machine, and the collector's CPU per saga.",
    params: { ...o },
    rows: [
      { metric: 'saga throughput, tracing on', value: round(a.median, 1), unit: 'sagas/s', spread: fmt(a) },
      { metric: 'saga throughput, tracing off', value: round(b.median, 1), unit: 'sagas/s', spread: fmt(b) },
      {
        metric: 'throughput on / off',
        value: round(q.median, 3),
        unit: 'ratio',
        spread: fmt(q, 3),
        target: '>= 0.95',
        meets: q.median >= 0.95,
      },
      {
        metric: 'CPU of the 5 services per saga, tracing on',
        value: round(cpuOn.median, 1),
        unit: 'ms',
        spread: fmt(cpuOn),
      },
      {
        metric: 'CPU of the 5 services per saga, tracing off',
        value: round(cpuOff.median, 1),
        unit: 'ms',
        spread: fmt(cpuOff),
      },
      {
        metric: 'services CPU per saga off / on (the throughput ratio when CPU-bound)',
        value: round(cpuRatio.median, 3),
        unit: 'ratio',
        spread: fmt(cpuRatio, 3),
      },
      {
        metric: "collector CPU per saga (traced runs: receiving and storing the run's spans)",
        value: round(coll.median, 1),
        unit: 'ms',
        spread: fmt(coll),
      },
    ],
    notes,
    raw: runs,
  };
}

export function overheadOptionsFromEnv(): OverheadOptions {
  return {
    orders: intEnv('BENCH_OVERHEAD_ORDERS', 1200),
    rate: intEnv('BENCH_OVERHEAD_RATE', 200),
    pairs: intEnv('BENCH_OVERHEAD_PAIRS', 5),
    warmupPairs: intEnv('BENCH_OVERHEAD_WARMUP_PAIRS', 1),
  };
}

export async function main(): Promise<void> {
  const r = await benchOverhead(overheadOptionsFromEnv());
  printTable(r);
  console.log(`  -> ${writeResult(r)}`);
}

if (import.meta.main) await main();
