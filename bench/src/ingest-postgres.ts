/**
 * Figure 2 on PostgreSQL: OTLP/HTTP protobuf ingest through the collector's own intake path into
 * the PostgreSQL store, one collector process and two side by side on one database, interleaved
 * in one invocation (the order rotates each round) and given as the ratio of each round.
 *
 * Each run makes a database of its own on the server of BENCH_POSTGRES_ADMIN_URL, starts the
 * collector(s) on it (collector-host.ts with BENCH_POSTGRES_URL), pre-encodes the requests (not
 * timed) and, with two collectors, sends each request to one of them at random (seeded), so a
 * saga's spans may land on both. Timed from the first request until every collector's intake has
 * flushed. CPU per 1,000 spans: each collector process's own (process.cpuUsage()), and the
 * PostgreSQL backends serving the run's database (found by their process titles in /proc, which
 * name the database), since on PostgreSQL most of a span's cost is the server's.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { post, startCollector, type Collector } from './lib/collector.ts';
import { finish, machine } from './lib/machine.ts';
import { adminUrlFromEnv, dbUrl } from './lib/postgres.ts';
import { processCpuMs } from './lib/proc.ts';
import { intEnv, printTable, progress, writeResult, type FigureResult } from './lib/results.ts';
import { CONTENT_TYPE, requests, SagaGenerator } from './lib/sagas.ts';
import { round, spread } from './lib/stats.ts';

export interface PgIngestOptions {
  spans: number;
  runs: number;
  spansPerRequest: number;
  /** Requests in flight per collector. */
  concurrency: number;
  /** A database on the server to connect to while creating and dropping the runs' databases. */
  adminUrl: string;
}

export interface PgIngestRun {
  collectors: 1 | 2;
  run: number;
  spans: number;
  seconds: number;
  spansPerSec: number;
  /** CPU per 1,000 spans of each collector process (the spans it received). */
  collectorCpuMsPer1000: number[];
  /** CPU of the PostgreSQL backends of the run's database, per 1,000 spans of the run. */
  postgresCpuMsPer1000: number;
  retries: number;
  storedHops: number;
}

/** A backend's process title: `postgres: [<cluster_name>: ]<user> <database> <client> <state>`. */
const BACKEND_TITLE = /^postgres: (?:\S+: )?(\S+) (\S+) /;

/** CPU in ms of the server's backends connected to `db`. */
function backendCpuMs(db: string): Map<number, number> {
  const out = new Map<number, number>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const title = readFileSync(`/proc/${d}/cmdline`, 'utf8').replaceAll('\0', ' ');
      if (BACKEND_TITLE.exec(title)?.[2] === db) out.set(Number(d), processCpuMs(Number(d)));
    } catch {
      // The process ended while listed.
    }
  }
  return out;
}

/** CPU of backends between two readings (a backend started since counts from 0; one that ended is lost). */
function backendDelta(before: Map<number, number>, after: Map<number, number>): number {
  let ms = 0;
  for (const [pid, cpu] of after) ms += cpu - (before.get(pid) ?? 0);
  return ms;
}

function psql(adminUrl: string, sql: string): void {
  execFileSync('psql', [adminUrl, '-v', 'ON_ERROR_STOP=1', '-qc', sql], { stdio: ['ignore', 'ignore', 'inherit'] });
}

/** A seeded generator in [0, 1) (mulberry32), so both collectors get the same split every round. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

export async function pgIngestOnce(n: 1 | 2, o: PgIngestOptions, run: number): Promise<PgIngestRun> {
  const gen = new SagaGenerator({ seed: 2000 + run, prefix: `pgbench${run}.`, startMs: Date.now() - 3600_000 });
  const bodies = [...requests(gen, 'protobuf', o.spans, o.spansPerRequest)];
  const random = seeded(run + 1);
  const shares: (typeof bodies)[] = Array.from({ length: n }, () => []);
  for (const b of bodies) (shares[Math.floor(random() * n)] as typeof bodies).push(b);
  const db = `eventscope_bench_${process.pid}_${run}_${n}`;
  psql(o.adminUrl, `CREATE DATABASE ${db}`);
  const collectors: Collector[] = [];
  try {
    for (let i = 0; i < n; i++)
      collectors.push(await startCollector({ env: { BENCH_POSTGRES_URL: dbUrl(o.adminUrl, db) } }));
    const u0 = await Promise.all(collectors.map((c) => c.usage()));
    const pg0 = backendCpuMs(db);
    const t0 = performance.now();
    const sent = await Promise.all(
      collectors.map((c, i) =>
        post(c.url, CONTENT_TYPE.protobuf, (shares[i] as typeof bodies)[Symbol.iterator](), o.concurrency),
      ),
    );
    const u1 = await Promise.all(collectors.map((c) => c.flush()));
    const seconds = (performance.now() - t0) / 1000;
    const pgMs = backendDelta(pg0, backendCpuMs(db));
    // Every collector has flushed: the shared store now holds every span (read after the last flush).
    const stored = (await (collectors[0] as Collector).usage()).rows;
    const spans = sent.reduce((s, x) => s + x.spans, 0);
    return {
      collectors: n,
      run,
      spans,
      seconds: round(seconds, 3),
      spansPerSec: Math.round(spans / seconds),
      collectorCpuMsPer1000: collectors.map((_, i) =>
        round(((u1[i]?.cpuUs ?? NaN) - (u0[i]?.cpuUs ?? NaN)) / 1000 / ((sent[i]?.spans ?? NaN) / 1000), 3),
      ),
      postgresCpuMsPer1000: round(pgMs / (spans / 1000), 3),
      retries: sent.reduce((s, x) => s + x.retries, 0),
      storedHops: stored.publishes + stored.deliveries,
    };
  } finally {
    await Promise.all(collectors.map((c) => c.close()));
    psql(o.adminUrl, `DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
  }
}

export async function benchIngestPostgres(o: PgIngestOptions): Promise<FigureResult> {
  const m = machine();
  const runs: PgIngestRun[] = [];
  for (let r = 0; r < o.runs; r++) {
    for (const n of r % 2 === 0 ? ([1, 2] as const) : ([2, 1] as const)) {
      const res = await pgIngestOnce(n, o, r);
      progress(
        `  run ${r}, ${n} collector(s): ${res.spansPerSec} spans/s, CPU/1000 spans: collector(s) ${res.collectorCpuMsPer1000.join(' + ')} ms, PostgreSQL ${res.postgresCpuMsPer1000} ms, ${res.storedHops} hops stored`,
      );
      runs.push(res);
    }
  }
  const of = (n: 1 | 2): PgIngestRun[] => runs.filter((x) => x.collectors === n);
  const fmt = (s: { min: number; max: number }, d = 0): string => `${round(s.min, d)}..${round(s.max, d)}`;
  const rows: FigureResult['rows'] = [];
  for (const n of [1, 2] as const) {
    const rate = spread(of(n).map((x) => x.spansPerSec));
    const coll = spread(of(n).flatMap((x) => x.collectorCpuMsPer1000));
    const pg = spread(of(n).map((x) => x.postgresCpuMsPer1000));
    const label = n === 1 ? 'one collector' : 'two collectors, one database';
    // No target of its own (issue #19 asks for the figure): '-' puts it in the report's summary.
    rows.push({
      metric: `${label}: ingest`,
      value: Math.round(rate.median),
      unit: 'spans/s',
      spread: fmt(rate),
      target: '-',
    });
    rows.push({
      metric: `${label}: CPU per 1,000 spans, per collector process`,
      value: round(coll.median, 2),
      unit: 'ms',
      spread: fmt(coll, 2),
    });
    rows.push({
      metric: `${label}: CPU per 1,000 spans, PostgreSQL server`,
      value: round(pg.median, 2),
      unit: 'ms',
      spread: fmt(pg, 2),
    });
  }
  const rate = (r: number, n: 1 | 2): number =>
    (runs.find((x) => x.run === r && x.collectors === n) as PgIngestRun).spansPerSec;
  const ratio = spread(Array.from({ length: o.runs }, (_, r) => rate(r, 2) / rate(r, 1)));
  rows.push({
    metric: 'two / one collector throughput',
    value: round(ratio.median, 2),
    unit: 'ratio',
    spread: fmt(ratio, 2),
    target: '-',
  });
  return {
    figure: 'figure2-ingest-postgres',
    title:
      'OTLP ingest into the PostgreSQL store (POST /v1/traces -> intake -> flows -> PostgreSQL), one collector and two on one database',
    at: new Date().toISOString(),
    machine: finish(m),
    method:
      'A fresh database per run on the local PostgreSQL; collector processes as figure 2 (buildApp, background off, ' +
      '127.0.0.1) with store: postgres. Saga-shaped spans pre-encoded as OTLP/HTTP protobuf; with two collectors each ' +
      'request goes to one of them at random (seeded), so sagas straddle both. One- and two-collector runs interleaved, ' +
      'order rotating; timed from the first request until every intake has flushed; medians with min..max, the ratio ' +
      "per round. CPU: each collector's process.cpuUsage(), and the PostgreSQL backends of the run's database from " +
      '/proc. Load generator, collectors and PostgreSQL share the machine.',
    params: { ...o, adminUrl: undefined, spansPerSaga: '14 (7 publishes + 7 deliveries), 2% retried deliveries' },
    rows,
    notes: [],
    raw: runs,
  };
}

export async function main(): Promise<void> {
  const r = await benchIngestPostgres({
    spans: intEnv('BENCH_INGEST_SPANS', 50_000),
    runs: intEnv('BENCH_RUNS', 3),
    spansPerRequest: intEnv('BENCH_SPANS_PER_REQUEST', 512),
    concurrency: intEnv('BENCH_CONCURRENCY', 4),
    adminUrl: adminUrlFromEnv(),
  });
  printTable(r);
  console.log(`  -> ${writeResult(r)}`);
}

if (import.meta.main) await main();
