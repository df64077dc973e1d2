/**
 * Figure 3: where-is-my-event, the flow of one event by its id: `store.event(id)` timed inside
 * the collector process, and `GET /api/events/:id` timed by an HTTP client on 127.0.0.1, at
 * 1 million stored events (10 million when BENCH_LOOKUP_EVENTS says so and time and disk allow).
 *
 * The store is generated through the collector's own intake path (POST /v1/traces, protobuf,
 * saga-shaped spans), never written into tables directly. A generated store is kept in
 * BENCH_LOOKUP_DATA_DIR (default: a temp dir, removed) with a manifest, so a second run can
 * measure without generating again.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { post, startCollector } from './lib/collector.ts';
import { finish, machine } from './lib/machine.ts';
import { intEnv, printTable, writeResult, type FigureResult } from './lib/results.ts';
import { CONTENT_TYPE, encodeProtobuf, Rng, SagaGenerator, type GenSpan } from './lib/sagas.ts';
import { median, quantile, round, spread } from './lib/stats.ts';

export interface LookupOptions {
  events: number;
  samples: number;
  runs: number;
  dataDir?: string;
  concurrency: number;
  /** Stop generating after this many seconds (0: no limit) and measure at the size reached. */
  genSeconds?: number;
}

interface Manifest {
  /** Events asked for; `events` is what was stored (fewer when the time budget ran out). */
  requested?: number;
  events: number;
  spans: number;
  sagas: number;
  seconds: number;
  spansPerSec: number;
  sample: string[];
}

const MB = 1024 * 1024;

function* bodies(
  gen: SagaGenerator,
  events: number,
  deadline: number,
  onIds: (ids: string[]) => void,
): Generator<{ body: Buffer; spans: number }> {
  while (gen.events < events && performance.now() < deadline) {
    const spans: GenSpan[] = [];
    while (spans.length < 512 && gen.events < events) {
      const s = gen.next();
      spans.push(...s.spans);
      onIds(s.eventIds);
    }
    yield { body: encodeProtobuf(spans), spans: spans.length };
  }
}

export async function benchLookup(o: LookupOptions): Promise<FigureResult> {
  const m = machine();
  const dataDir = o.dataDir ?? join(tmpdir(), `eventscope-bench-lookup-${process.pid}`);
  mkdirSync(dataDir, { recursive: true });
  const manifestFile = join(dataDir, 'bench-manifest.json');
  let manifest: Manifest | undefined = existsSync(manifestFile)
    ? (JSON.parse(readFileSync(manifestFile, 'utf8')) as Manifest)
    : undefined;
  if (manifest && (manifest.requested ?? manifest.events) !== o.events) {
    throw new Error(`${dataDir} holds a store of ${manifest.events} events, not ${o.events}; use another directory`);
  }
  const c = await startCollector({ dataDir });
  const notes: string[] = [];
  try {
    if (!manifest) {
      // Reservoir sample of stored event ids, so lookups hit ids spread over the whole store.
      const rng = new Rng(7);
      const sample: string[] = [];
      let seen = 0;
      const gen = new SagaGenerator({ seed: 42, prefix: 'lookup.', startMs: Date.now() - 24 * 3600_000 });
      const t0 = performance.now();
      let lastLog = t0;
      const deadline = o.genSeconds ? t0 + o.genSeconds * 1000 : Infinity;
      const it = bodies(gen, o.events, deadline, (ids) => {
        for (const id of ids) {
          seen++;
          if (sample.length < o.samples) sample.push(id);
          else {
            const j = rng.next() % seen;
            if (j < o.samples) sample[j] = id;
          }
        }
        const now = performance.now();
        if (now - lastLog > 30_000) {
          lastLog = now;
          console.log(`  generating: ${gen.events} events, ${Math.round(gen.spans / ((now - t0) / 1000))} spans/s`);
        }
      });
      const sent = await post(c.url, CONTENT_TYPE.protobuf, it, o.concurrency);
      await c.flush();
      const seconds = (performance.now() - t0) / 1000;
      manifest = {
        requested: o.events,
        events: gen.events,
        spans: sent.spans,
        sagas: Math.round(gen.events / 7),
        seconds: round(seconds, 1),
        spansPerSec: Math.round(sent.spans / seconds),
        sample,
      };
      writeFileSync(manifestFile, JSON.stringify(manifest));
      notes.push(
        `generated ${manifest.events} events (${manifest.spans} spans) through POST /v1/traces in ${manifest.seconds} s (${manifest.spansPerSec} spans/s)`,
      );
      if (manifest.events < o.events) {
        notes.push(
          `generation stopped by its time budget (BENCH_LOOKUP_GEN_SECONDS=${o.genSeconds ?? 0}) at ${manifest.events} of ${o.events} events: measured at that size, nothing extrapolated`,
        );
      }
    } else {
      notes.push(`reused the store generated earlier in ${dataDir} (${manifest.events} events)`);
    }
    const afterGen = await c.usage();
    const direct: number[][] = [];
    const http: number[][] = [];
    let misses = 0;
    for (let r = 0; r < o.runs; r++) {
      // Each run: a shuffled order; direct and HTTP lookups interleaved in slices.
      const rng = new Rng(100 + r);
      const ids = [...manifest.sample];
      for (let i = ids.length - 1; i > 0; i--) {
        const j = rng.next() % (i + 1);
        [ids[i], ids[j]] = [ids[j] as string, ids[i] as string];
      }
      const d: number[] = [];
      const h: number[] = [];
      for (let i = 0; i < ids.length; i += 100) {
        const slice = ids.slice(i, i + 100);
        const res = await c.lookup(slice);
        d.push(...res.ms);
        for (const id of slice) {
          const t = performance.now();
          const resp = await fetch(`${c.url}/api/events/${id}`);
          await resp.arrayBuffer();
          h.push(performance.now() - t);
          if (resp.status !== 200) misses++;
        }
      }
      direct.push(d.sort((a, b) => a - b));
      http.push(h.sort((a, b) => a - b));
    }
    const after = await c.usage();
    if (misses > 0) notes.push(`${misses} lookups answered other than 200`);
    const q = (runs: number[][], p: number) => spread(runs.map((x) => quantile(x, p)));
    const fmt = (s: { min: number; max: number }): string => `${round(s.min, 3)}..${round(s.max, 3)}`;
    const at = `${round(manifest.events / 1e6, 2).toLocaleString('en')}M events`;
    const atTarget = manifest.events >= 10_000_000;
    const rows: FigureResult['rows'] = [];
    for (const [name, runs] of [
      ['store.event(id)', direct],
      ['GET /api/events/:id', http],
    ] as const) {
      const p50 = q(runs, 0.5);
      const p99 = q(runs, 0.99);
      rows.push({ metric: `${name} p50 at ${at}`, value: round(p50.median, 3), unit: 'ms', spread: fmt(p50) });
      rows.push({
        metric: `${name} p99 at ${at}`,
        value: round(p99.median, 3),
        unit: 'ms',
        spread: fmt(p99),
        target: '<= 5 (at 10M)',
        meets: atTarget ? p99.median <= 5 : undefined,
      });
    }
    rows.push({
      metric: `collector RSS at ${at} (after lookups)`,
      value: round(after.rssBytes / MB, 1),
      unit: 'MB',
      target: '<= 256',
      meets: after.rssBytes / MB <= 256,
    });
    rows.push({ metric: `store size at ${at}`, value: round(after.storeBytes / MB, 0), unit: 'MB' });
    if (!atTarget) notes.push(`target is for 10M stored events; this run stored ${manifest.events}`);
    return {
      figure: 'figure3-lookup',
      title: "Lookup of one event's flow by event id",
      at: new Date().toISOString(),
      machine: finish(m),
      method:
        'Store generated through POST /v1/traces (protobuf, saga-shaped spans: 7 events, 14+ spans per saga) into a ' +
        `collector with background work off. ${o.samples} event ids sampled uniformly (reservoir) from the whole store; ` +
        `each run looks them all up in a shuffled order, store.event(id) timed inside the collector process and ` +
        'GET /api/events/:id timed by a client on 127.0.0.1, interleaved in slices of 100. p50/p99 per run; median of runs with min..max.',
      params: { ...o, storedEvents: manifest.events, storedSpans: manifest.spans, rows: afterGen.rows },
      rows,
      notes,
      raw: {
        generation: { seconds: manifest.seconds, spansPerSec: manifest.spansPerSec },
        directP50: direct.map((x) => quantile(x, 0.5)),
        directP99: direct.map((x) => quantile(x, 0.99)),
        httpP50: http.map((x) => quantile(x, 0.5)),
        httpP99: http.map((x) => quantile(x, 0.99)),
        directMax: direct.map((x) => x.at(-1)),
        medianDirect: median(direct.flat()),
      },
    };
  } finally {
    await c.close(true);
    // A store in a temp dir of our own is removed; one in BENCH_LOOKUP_DATA_DIR is kept for the next run.
    if (o.dataDir === undefined) rmSync(dataDir, { recursive: true, force: true });
  }
}

export function lookupOptionsFromEnv(): LookupOptions {
  const dataDir = process.env.BENCH_LOOKUP_DATA_DIR;
  return {
    events: intEnv('BENCH_LOOKUP_EVENTS', 1_000_000),
    samples: intEnv('BENCH_LOOKUP_SAMPLES', 2000),
    runs: intEnv('BENCH_RUNS', 5),
    concurrency: intEnv('BENCH_CONCURRENCY', 4),
    genSeconds: intEnv('BENCH_LOOKUP_GEN_SECONDS', 0),
    ...(dataDir ? { dataDir } : {}),
  };
}

export async function main(): Promise<void> {
  const r = await benchLookup(lookupOptionsFromEnv());
  printTable(r);
  console.log(`  -> ${writeResult(r)}`);
}

if (import.meta.main) await main();
