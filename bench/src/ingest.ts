/**
 * Figure 2: OTLP ingest into the store, JSON and protobuf over HTTP and protobuf over gRPC, one
 * collector process, through the collector's own intake paths (POST /v1/traces, or
 * TraceService/Export on the gRPC port -> intake queue -> flows -> store), with CPU per 1,000
 * spans. Figure 5 (partial): the collector's RSS during and after.
 *
 * Each run starts a fresh collector (fresh data dir), pre-encodes the request bodies (not
 * timed), then times from the first request until every span is in the store (intake flushed).
 * JSON, protobuf and gRPC runs rotate in one invocation; the report gives medians with
 * min..max and the protobuf/JSON and gRPC/protobuf ratios of each round.
 */
import { performance } from 'node:perf_hooks';
import { post, postGrpc, startCollector } from './lib/collector.ts';
import { finish, machine } from './lib/machine.ts';
import { intEnv, printTable, writeResult, type FigureResult } from './lib/results.ts';
import { CONTENT_TYPE, requests, SagaGenerator, type Encoding } from './lib/sagas.ts';
import { threadCpuDelta } from './lib/proc.ts';
import { median, round, spread } from './lib/stats.ts';

export interface IngestOptions {
  spans: number;
  runs: number;
  spansPerRequest: number;
  concurrency: number;
}

/** How spans travel: OTLP/HTTP with JSON or protobuf bodies, or OTLP/gRPC (protobuf). */
export type Transport = Encoding | 'grpc';
const TRANSPORTS: readonly Transport[] = ['json', 'protobuf', 'grpc'];

export interface IngestRun {
  encoding: Transport;
  run: number;
  spans: number;
  seconds: number;
  spansPerSec: number;
  cpuMsPer1000: number;
  /** CPU of the collector's main thread (HTTP, decoding, assembling); the rest ran on the store's writer thread. */
  mainCpuMsPer1000: number;
  /** CPU of the store's writer thread (a worker_threads Worker: SQLite's inserts, its own V8 heap). */
  writerCpuMsPer1000: number;
  /** CPU of V8's platform threads (parallel and concurrent GC of both heaps, background compilation). */
  v8HelperCpuMsPer1000: number;
  /**
   * CPU of this process, the load generator, over the run, in % of one core: it sends on the same
   * cores, so what it spends the collector cannot (it loads none of the collector's app for that).
   */
  loadGeneratorCpuPercent: number;
  /** RSS of the started collector before the run (its baseline). */
  rssBeforeMb: number;
  peakRssMb: number;
  rssAfterMb: number;
  retries: number;
  storedHops: number;
}

const MB = 1024 * 1024;

export async function ingestOnce(encoding: Transport, o: IngestOptions, run: number): Promise<IngestRun> {
  const gen = new SagaGenerator({ seed: 1000 + run, prefix: `bench${run}.`, startMs: Date.now() - 3600_000 });
  const bodies = [...requests(gen, encoding === 'grpc' ? 'protobuf' : encoding, o.spans, o.spansPerRequest)];
  const c = await startCollector();
  try {
    const u0 = await c.usage();
    const t0 = performance.now();
    const ownCpu0 = process.cpuUsage();
    const sent =
      encoding === 'grpc'
        ? await postGrpc(c.grpcPort, bodies[Symbol.iterator](), o.concurrency)
        : await post(c.url, CONTENT_TYPE[encoding], bodies[Symbol.iterator](), o.concurrency);
    const u1 = await c.flush();
    const seconds = (performance.now() - t0) / 1000;
    const ownCpu = process.cpuUsage(ownCpu0);
    const threads = threadCpuDelta(u0.threadCpuMs, u1.threadCpuMs);
    return {
      encoding,
      run,
      spans: sent.spans,
      seconds: round(seconds, 3),
      spansPerSec: Math.round(sent.spans / seconds),
      cpuMsPer1000: round((u1.cpuUs - u0.cpuUs) / 1000 / (sent.spans / 1000), 3),
      mainCpuMsPer1000: round((u1.mainCpuUs - u0.mainCpuUs) / 1000 / (sent.spans / 1000), 3),
      writerCpuMsPer1000: round((threads.WorkerThread ?? NaN) / (sent.spans / 1000), 3),
      v8HelperCpuMsPer1000: round((threads.V8Worker ?? NaN) / (sent.spans / 1000), 3),
      loadGeneratorCpuPercent: round((ownCpu.user + ownCpu.system) / 1e4 / seconds, 1),
      rssBeforeMb: round(u0.rssBytes / MB, 1),
      peakRssMb: round(u1.peakRssBytes / MB, 1),
      rssAfterMb: round(u1.rssBytes / MB, 1),
      retries: sent.retries,
      storedHops: u1.rows.publishes + u1.rows.deliveries,
    };
  } finally {
    await c.close();
  }
}

export async function benchIngest(o: IngestOptions): Promise<{ ingest: FigureResult; memory: FigureResult }> {
  const m = machine();
  const runs: IngestRun[] = [];
  for (let r = 0; r < o.runs; r++) {
    // Interleaved, rotating which transport goes first.
    const order = TRANSPORTS.map((_, i) => TRANSPORTS[(i + r) % TRANSPORTS.length] as Transport);
    for (const enc of order) {
      const res = await ingestOnce(enc, o, r);
      console.log(
        `  run ${r} ${enc}: ${res.spansPerSec} spans/s, ${res.cpuMsPer1000} ms CPU/1000 spans (main thread ${res.mainCpuMsPer1000}, writer ${res.writerCpuMsPer1000}, V8 helpers ${res.v8HelperCpuMsPer1000}), peak RSS ${res.peakRssMb} MB, load generator ${res.loadGeneratorCpuPercent}% of a core`,
      );
      runs.push(res);
    }
  }
  const of = (enc: Transport): IngestRun[] => runs.filter((x) => x.encoding === enc);
  const rate = (r: number, enc: Transport): number =>
    (runs.find((x) => x.run === r && x.encoding === enc) as IngestRun).spansPerSec;
  const ratios = Array.from({ length: o.runs }, (_, r) => rate(r, 'protobuf') / rate(r, 'json'));
  const grpcRatios = Array.from({ length: o.runs }, (_, r) => rate(r, 'grpc') / rate(r, 'protobuf'));
  const fmt = (s: { min: number; max: number }, d = 0): string => `${round(s.min, d)}..${round(s.max, d)}`;
  const rows: FigureResult['rows'] = [];
  for (const enc of TRANSPORTS) {
    const rate = spread(of(enc).map((x) => x.spansPerSec));
    const cpu = spread(of(enc).map((x) => x.cpuMsPer1000));
    const main = spread(of(enc).map((x) => x.mainCpuMsPer1000));
    const writer = spread(of(enc).map((x) => x.writerCpuMsPer1000));
    const helpers = spread(of(enc).map((x) => x.v8HelperCpuMsPer1000));
    const driver = spread(of(enc).map((x) => x.loadGeneratorCpuPercent));
    rows.push({
      metric: `${enc} ingest`,
      value: Math.round(rate.median),
      unit: 'spans/s',
      spread: fmt(rate),
      target: '>= 50,000',
      meets: rate.median >= 50_000,
    });
    rows.push({ metric: `${enc} CPU per 1,000 spans`, value: round(cpu.median, 2), unit: 'ms', spread: fmt(cpu, 2) });
    rows.push({
      metric: `${enc} CPU per 1,000 spans, main thread`,
      value: round(main.median, 2),
      unit: 'ms',
      spread: fmt(main, 2),
    });
    rows.push({
      metric: `${enc} CPU per 1,000 spans, store writer thread`,
      value: round(writer.median, 2),
      unit: 'ms',
      spread: fmt(writer, 2),
    });
    rows.push({
      metric: `${enc} CPU per 1,000 spans, V8 helper threads (GC, compiler)`,
      value: round(helpers.median, 2),
      unit: 'ms',
      spread: fmt(helpers, 2),
    });
    rows.push({
      metric: `${enc} load generator's CPU (same cores)`,
      value: round(driver.median, 1),
      unit: '% of a core',
      spread: fmt(driver, 1),
    });
  }
  const ratio = spread(ratios);
  rows.push({
    metric: 'protobuf / JSON throughput',
    value: round(ratio.median, 2),
    unit: 'ratio',
    spread: fmt(ratio, 2),
  });
  const grpcRatio = spread(grpcRatios);
  rows.push({
    metric: 'gRPC / HTTP protobuf throughput',
    value: round(grpcRatio.median, 2),
    unit: 'ratio',
    spread: fmt(grpcRatio, 2),
  });
  const fin = finish(m);
  const params = { ...o, spansPerSaga: '14 (7 publishes + 7 deliveries), 2% retried deliveries' };
  const ingest: FigureResult = {
    figure: 'figure2-ingest',
    title:
      'OTLP ingest into the store (POST /v1/traces or gRPC TraceService/Export -> intake -> flows -> SQLite), one collector process',
    at: new Date().toISOString(),
    machine: fin,
    method:
      'Fresh collector process per run (buildApp, background off, fresh data dir, 127.0.0.1). Saga-shaped spans ' +
      '(docs/event-contract.md) pre-encoded; timed from the first request until the intake queue has flushed every ' +
      'span into the store. OTLP/HTTP JSON, OTLP/HTTP protobuf and OTLP/gRPC (the same protobuf bodies as ' +
      'TraceService/Export calls on one HTTP/2 connection, grpc-js client) runs interleaved, the same number of ' +
      'requests in flight; medians of the runs with min..max; CPU is the collector ' +
      "process's process.cpuUsage() (user + system) over the run, split by thread from /proc (main thread, the " +
      "store's writer thread, V8's helper threads; the rest is libuv's pool). The load generator shares the machine; its own CPU over the run is reported.",
    params,
    rows,
    notes: [],
    raw: runs,
  };
  const before = spread(runs.map((x) => x.rssBeforeMb));
  const peak = spread(runs.map((x) => x.peakRssMb));
  const after = spread(runs.map((x) => x.rssAfterMb));
  const memory: FigureResult = {
    figure: 'figure5-memory',
    title: 'Collector RSS during and after flat-out ingest (the figure 2 runs)',
    at: ingest.at,
    machine: fin,
    method:
      'RSS of the collector process sampled every 100 ms during each ingest run (peak) and after the intake flushed. ' +
      'The steady state at 10 million events over a 30-minute soak is figure5-soak (npm run bench:soak).',
    params: { ...params, storedHopsPerRun: median(runs.map((x) => x.storedHops)) },
    rows: [
      {
        metric: 'RSS of the started collector (before ingest)',
        value: round(before.median, 1),
        unit: 'MB',
        spread: fmt(before, 1),
      },
      {
        metric: 'peak RSS during ingest',
        value: round(peak.median, 1),
        unit: 'MB',
        spread: fmt(peak, 1),
        target: '<= 256',
        meets: peak.max <= 256,
      },
      {
        metric: 'RSS after ingest (intake flushed)',
        value: round(after.median, 1),
        unit: 'MB',
        spread: fmt(after, 1),
        target: '<= 256',
        meets: after.max <= 256,
      },
    ],
    notes: ['flat-out ingest peaks; the steady state at 10M events over 30 minutes is figure5-soak'],
    raw: runs.map((x) => ({
      encoding: x.encoding,
      run: x.run,
      rssBeforeMb: x.rssBeforeMb,
      peakRssMb: x.peakRssMb,
      rssAfterMb: x.rssAfterMb,
    })),
  };
  return { ingest, memory };
}

export function ingestOptionsFromEnv(): IngestOptions {
  return {
    spans: intEnv('BENCH_INGEST_SPANS', 100_000),
    runs: intEnv('BENCH_RUNS', 5),
    spansPerRequest: intEnv('BENCH_SPANS_PER_REQUEST', 512),
    concurrency: intEnv('BENCH_CONCURRENCY', 4),
  };
}

export async function main(): Promise<void> {
  const { ingest, memory } = await benchIngest(ingestOptionsFromEnv());
  for (const r of [ingest, memory]) {
    printTable(r);
    console.log(`  -> ${writeResult(r)}`);
  }
}

if (import.meta.main) await main();
