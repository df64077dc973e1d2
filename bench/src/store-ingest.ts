/**
 * The store alone (a diagnostic for figure 2, not a figure of its own): saga spans are encoded,
 * decoded and assembled into store batches first (not timed), then `SqliteStore.ingest` runs on
 * this thread, batch after batch, into a fresh file. Optionally the store is first filled with
 * `BENCH_STORE_PREFILL` spans (not timed), since the cost per span grows with the store.
 *
 *   node bench/src/store-ingest.ts            # BENCH_STORE_SPANS=200000 BENCH_STORE_BATCH=8000
 *
 * Prints wall and CPU time per span; nothing is written to results/.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import {
  assemble,
  compileRules,
  decodeProtobufSpans,
  DEFAULT_RULES,
  type IngestBatch,
  loadConfig,
  SqliteStore,
} from '@eventscope/collector';
import { intEnv } from './lib/results.ts';
import { requests, SagaGenerator } from './lib/sagas.ts';

const spans = intEnv('BENCH_STORE_SPANS', 200_000);
const prefill = intEnv('BENCH_STORE_PREFILL', 0);
const batchSize = intEnv('BENCH_STORE_BATCH', 8000);

const dir = mkdtempSync(join(tmpdir(), 'eventscope-bench-store-'));
// The collector's page cache (its default storeCacheMb), as the store plugin opens it.
const store = new SqliteStore({ file: join(dir, 'store.sqlite'), cacheMb: loadConfig({}).storeCacheMb });
try {
  const rules = compileRules(DEFAULT_RULES);
  const gen = new SagaGenerator({ seed: 7, prefix: 'store.', startMs: Date.now() - 3600_000 });
  const batches: IngestBatch[] = [];
  for (const { body } of requests(gen, 'protobuf', prefill + spans, batchSize)) {
    batches.push(assemble(decodeProtobufSpans(body).spans, rules));
  }
  const size = (b: IngestBatch): number => b.publishes.length + b.deliveries.length;
  let filled = 0;
  while (filled < prefill && batches.length > 0) {
    const b = batches.shift() as IngestBatch;
    await store.ingest(b);
    filled += size(b);
  }
  let timed = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (const b of batches) {
    await store.ingest(b);
    timed += size(b);
  }
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  console.log(
    `store.ingest: ${timed} spans in batches of ${batchSize} after ${filled} stored: ` +
      `${((ms * 1000) / timed).toFixed(1)} us/span wall, ${((cpu.user + cpu.system) / timed).toFixed(1)} us/span CPU, ` +
      `${Math.round((timed / ms) * 1000)} spans/s`,
  );
} finally {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
}
