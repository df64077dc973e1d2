/**
 * Figure 5: collector memory (RSS) over a soak under steady load (target <= 256 MB, flat).
 *
 * A collector in its own process (the collector's default intake queue of 25,000 spans; a
 * fresh store, or BENCH_SOAK_DATA_DIR to start on an existing, large one) receives synthetic
 * saga spans (OTLP/protobuf, as the demo's exporters send them) through POST /v1/traces at a
 * steady rate for the soak; its RSS, heap, intake depth and store size are sampled every few
 * seconds. Reported: RSS at the start of the soak, the peak, at the end, and the trend over the
 * second half (least-squares slope, MB per 10 minutes), with the store size reached.
 */
import { performance } from 'node:perf_hooks';
import { loadConfig } from '@eventscope/collector';
import { startCollector } from './lib/collector.ts';
import { environOf, nativeMemory, type NativeMemory } from './lib/native-memory.ts';
import { finish, machine } from './lib/machine.ts';
import { intEnv, printTable, writeResult, type FigureResult } from './lib/results.ts';
import { CONTENT_TYPE, requests, SagaGenerator } from './lib/sagas.ts';
import { round } from './lib/stats.ts';

export interface SoakOptions {
  seconds: number;
  spansPerSec: number;
  spansPerRequest: number;
  sampleEverySec: number;
  dataDir?: string;
}

export interface SoakSample {
  t: number;
  rssMb: number;
  heapMb: number;
  /** Main thread heap reserved, external memory, and the store writer thread's heap used / reserved. */
  heapTotalMb: number;
  externalMb: number;
  writerHeapMb: number;
  writerHeapTotalMb: number;
  intakeDepth: number;
  events: number;
  storeMb: number;
  spansSent: number;
  /** The collector's resident memory by kind of mapping (lib/native-memory.ts). */
  native?: NativeMemory;
}

const MB = 1024 * 1024;

/** Least-squares slope of y over x. */
export function slope(xs: number[], ys: number[]): number {
  const n = xs.length;
  if (n < 2) return NaN;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += ((xs[i] as number) - mx) * ((ys[i] as number) - my);
    den += ((xs[i] as number) - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

export async function benchSoak(o: SoakOptions): Promise<FigureResult> {
  const m = machine();
  const c = await startCollector({ intakeQueueSpans: 25_000, ...(o.dataDir ? { dataDir: o.dataDir } : {}) });
  const samples: SoakSample[] = [];
  let sent = 0;
  let retries = 0;
  try {
    // What shapes native memory, as the collector process has it (COLLECTOR_ENV unless overridden).
    const env = environOf(c.pid);
    const mallocArenaMax = env ? (env.MALLOC_ARENA_MAX ?? 'unset') : 'unknown';
    const storeCacheMb = process.env.BENCH_STORE_CACHE_MB
      ? Number(process.env.BENCH_STORE_CACHE_MB)
      : loadConfig({}).storeCacheMb;
    const u0 = await c.usage();
    const startEvents = u0.rows.publishes;
    const gen = new SagaGenerator({
      seed: Date.now() % 1_000_000,
      prefix: `soak${Date.now().toString(36)}.`,
      startMs: Date.now(),
    });
    const bodies = requests(gen, 'protobuf', Number.MAX_SAFE_INTEGER, o.spansPerRequest);
    const t0 = performance.now();
    const end = t0 + o.seconds * 1000;
    const sample = async (): Promise<void> => {
      const u = await c.usage();
      const native = nativeMemory(c.pid);
      samples.push({
        t: round((performance.now() - t0) / 1000, 1),
        rssMb: round(u.rssBytes / MB, 1),
        heapMb: round(u.heapUsedBytes / MB, 1),
        heapTotalMb: round(u.heapTotalBytes / MB, 1),
        externalMb: round(u.externalBytes / MB, 1),
        writerHeapMb: round(u.writerHeapUsedBytes / MB, 1),
        writerHeapTotalMb: round(u.writerHeapTotalBytes / MB, 1),
        intakeDepth: u.intakeDepth,
        events: u.rows.publishes,
        storeMb: round(u.storeBytes / MB, 1),
        spansSent: sent,
        ...(native ? { native } : {}),
      });
      const s = samples[samples.length - 1] as SoakSample;
      // Progress on stderr (the table and JSON come at the end): a 30-minute soak should not be silent.
      process.stderr.write(
        `  soak t=${s.t}s rss=${s.rssMb} MB main heap ${s.heapMb}/${s.heapTotalMb} MB external ${s.externalMb} MB ` +
          `writer heap ${s.writerHeapMb}/${s.writerHeapTotalMb} MB intake ${s.intakeDepth} events ${s.events}` +
          (native
            ? ` | malloc heap ${native.mallocHeapMb} arenas ${native.mallocArenasMb} (${native.arenas}) ` +
              `anon ${native.anonOtherMb} file ${native.fileMb} MB`
            : '') +
          '\n',
      );
    };
    await sample();
    let nextSample = t0 + o.sampleEverySec * 1000;
    while (performance.now() < end) {
      // Paced: the n-th span is due at t0 + n / rate.
      const due = t0 + (sent / o.spansPerSec) * 1000;
      const now = performance.now();
      if (now >= nextSample) {
        await sample();
        nextSample += o.sampleEverySec * 1000;
        continue;
      }
      if (due > now) {
        await new Promise((r) => setTimeout(r, Math.min(due, nextSample, end) - now));
        continue;
      }
      const b = bodies.next();
      if (b.done) break;
      for (let attempt = 0; ; attempt++) {
        const res = await fetch(`${c.url}/v1/traces`, {
          method: 'POST',
          headers: { 'content-type': CONTENT_TYPE.protobuf },
          body: b.value.body,
        });
        await res.arrayBuffer();
        if (res.status === 200) break;
        if (res.status !== 503 || attempt > 1000) throw new Error(`POST /v1/traces: ${res.status}`);
        retries++;
        await new Promise((r) => setTimeout(r, 50));
      }
      sent += b.value.spans;
    }
    const seconds = (performance.now() - t0) / 1000;
    // The last sample after the intake drained: the store size reached is exact.
    await c.flush();
    await sample();
    const rss = samples.map((s) => s.rssMb);
    const half = samples.filter((s) => s.t >= seconds / 2);
    const trend = slope(
      half.map((s) => s.t),
      half.map((s) => s.rssMb),
    );
    const first = samples[0] as SoakSample;
    const last = samples[samples.length - 1] as SoakSample;
    const peak = Math.max(...rss);
    const minutes = round(seconds / 60, 1);
    return {
      figure: 'figure5-soak',
      title: `Collector RSS over a ${minutes}-minute soak under steady load`,
      at: new Date().toISOString(),
      machine: finish(m),
      method:
        'Collector in its own process (production buildApp, background work off, intake queue 25,000 spans = the ' +
        "collector's default), synthetic saga spans (OTLP/protobuf) POSTed to /v1/traces at a steady rate; RSS, " +
        'heap, intake depth and store size sampled every ' +
        `${o.sampleEverySec} s. Trend = least-squares slope of RSS over the second half of the soak.`,
      params: {
        ...o,
        soakMinutes: minutes,
        mallocArenaMax,
        storeCacheMb,
        spansSent: sent,
        achievedSpansPerSec: Math.round(sent / seconds),
        retries503: retries,
        eventsAtStart: startEvents,
        eventsAtEnd: last.events,
        storeMbAtEnd: last.storeMb,
      },
      rows: [
        { metric: 'RSS at the start of the soak', value: first.rssMb, unit: 'MB' },
        { metric: 'peak RSS during the soak', value: peak, unit: 'MB', target: '<= 256', meets: peak <= 256 },
        {
          metric: `RSS at the end (${last.events.toLocaleString('en-US')} events stored)`,
          value: last.rssMb,
          unit: 'MB',
        },
        {
          metric: 'RSS trend over the second half',
          value: round(trend * 600, 1),
          unit: 'MB / 10 min',
          target: 'flat (|trend| <= 10)',
          meets: Math.abs(trend * 600) <= 10,
        },
        {
          metric: 'main thread heap used / reserved at the end',
          value: `${last.heapMb} / ${last.heapTotalMb}`,
          unit: 'MB',
        },
        {
          metric: 'store writer thread heap used / reserved at the end',
          value: `${last.writerHeapMb} / ${last.writerHeapTotalMb}`,
          unit: 'MB',
        },
        ...nativeRows(first, last),
      ],
      notes: [
        `${minutes} minutes at ${Math.round(sent / seconds).toLocaleString('en-US')} spans/s ` +
          `(${Math.round(sent / seconds / 14)} sagas/s); store ${first.events.toLocaleString('en-US')} -> ` +
          `${last.events.toLocaleString('en-US')} events, ${last.storeMb} MB on disk`,
      ],
      raw: samples,
    };
  } finally {
    await c.close(o.dataDir !== undefined);
  }
}

/** Rows for where RSS lives at the start and the end (lib/native-memory.ts), when it was sampled. */
function nativeRows(first: SoakSample, last: SoakSample): FigureResult['rows'] {
  const a = first.native;
  const b = last.native;
  if (!a || !b) return [];
  const row = (metric: string, x: number, y: number): FigureResult['rows'][number] => ({
    metric: `${metric}, start -> end`,
    value: `${x} -> ${y}`,
    unit: 'MB',
  });
  return [
    row('malloc main arena ([heap])', a.mallocHeapMb, b.mallocHeapMb),
    row(`malloc thread arenas (${b.arenas})`, a.mallocArenasMb, b.mallocArenasMb),
    row('other anonymous (V8 heaps and code, stacks, large blocks)', a.anonOtherMb, b.anonOtherMb),
    row('file-backed (node binary, libraries)', a.fileMb, b.fileMb),
  ];
}

export function soakOptionsFromEnv(): SoakOptions {
  const dir = process.env.BENCH_SOAK_DATA_DIR;
  return {
    seconds: intEnv('BENCH_SOAK_SECONDS', 1800),
    spansPerSec: intEnv('BENCH_SOAK_SPANS_PER_SEC', 2000),
    spansPerRequest: intEnv('BENCH_SPANS_PER_REQUEST', 512),
    sampleEverySec: intEnv('BENCH_SOAK_SAMPLE_SECONDS', 10),
    ...(dir ? { dataDir: dir } : {}),
  };
}

export async function main(): Promise<void> {
  const r = await benchSoak(soakOptionsFromEnv());
  printTable(r);
  console.log(`  -> ${writeResult(r)}`);
}

if (import.meta.main) await main();
