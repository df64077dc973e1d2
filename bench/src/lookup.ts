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
import { atEvents, LOOKUP_TIMING_METHOD, lookupRaw, lookupRows, timeLookups } from './lib/lookup-timing.ts';
import { intEnv, printTable, writeResult, type FigureResult } from './lib/results.ts';
import { CONTENT_TYPE, encodeProtobuf, Rng, SagaGenerator, type GenSpan } from './lib/sagas.ts';
import { round } from './lib/stats.ts';

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

/** OTLP/protobuf requests of up to 512 spans, whole sagas, until `events` events (or the deadline). */
export function* bodies(
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
    const timings = await timeLookups(c, manifest.sample, o.runs);
    const after = await c.usage();
    const at = atEvents(manifest.events);
    const measured = lookupRows(timings, manifest.events);
    const rows = measured.rows;
    notes.push(...measured.notes);
    rows.push({
      metric: `collector RSS at ${at} (after lookups)`,
      value: round(after.rssBytes / MB, 1),
      unit: 'MB',
      target: '<= 256',
      meets: after.rssBytes / MB <= 256,
    });
    rows.push({ metric: `store size at ${at}`, value: round(after.storeBytes / MB, 0), unit: 'MB' });
    return {
      figure: 'figure3-lookup',
      title: "Lookup of one event's flow by event id",
      at: new Date().toISOString(),
      machine: finish(m),
      method:
        'Store generated through POST /v1/traces (protobuf, saga-shaped spans: 7 events, 14+ spans per saga) into a ' +
        `collector with background work off. ${o.samples} event ids sampled uniformly (reservoir) from the whole store; ` +
        LOOKUP_TIMING_METHOD,
      params: { ...o, storedEvents: manifest.events, storedSpans: manifest.spans, rows: afterGen.rows },
      rows,
      notes,
      raw: {
        generation: { seconds: manifest.seconds, spansPerSec: manifest.spansPerSec },
        ...lookupRaw(timings),
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
