/**
 * The collector under test, in its own process (so its CPU and RSS are its own): the
 * production app from collector/src/app.ts, background work off, on a fresh data dir,
 * listening on 127.0.0.1. Driven by the parent over IPC (collector.ts).
 */
import { performance } from 'node:perf_hooks';
import {
  buildApp,
  type KafkaAdapter,
  KafkaMonitor,
  loadConfig,
  monitorOptions,
  ThreadedSqliteStore,
} from '@eventscope/collector';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { KafkajsAdapter } from './kafkajs-adapter.ts';
import { threadCpuMs } from './proc.ts';

export type HostRequest =
  | { id: number; op: 'usage' }
  | { id: number; op: 'flush' }
  | { id: number; op: 'lookup'; eventIds: string[] }
  | { id: number; op: 'events'; eventIds: string[] }
  | { id: number; op: 'lagCycle' }
  | { id: number; op: 'lagCycleKafkajs' }
  | { id: number; op: 'close' };

export interface LagCycle {
  ms: number;
  ok: boolean;
  groups: number;
  partitions: number;
  errors: Record<string, number>;
}

export interface Usage {
  /** process.cpuUsage() user + system, microseconds. */
  cpuUs: number;
  /** The main thread's share: process.threadCpuUsage() user + system, microseconds (the rest is the store's writer thread and libuv). */
  mainCpuUs: number;
  /** CPU of this process's threads by name, ms (lib/proc.ts; {} where /proc cannot be read). */
  threadCpuMs: Record<string, number>;
  rssBytes: number;
  /** Peak RSS sampled every 100 ms since the last usage call (bytes). */
  peakRssBytes: number;
  heapUsedBytes: number;
  /** The main thread's V8 heap as reserved (heapTotal), and memory outside it (external: Buffers, SQLite is not in it). */
  heapTotalBytes: number;
  externalBytes: number;
  /** The store writer thread's V8 heap, used and reserved (0 when the store has no writer thread). */
  writerHeapUsedBytes: number;
  writerHeapTotalBytes: number;
  intakeDepth: number;
  rows: { publishes: number; deliveries: number; records: number; sagas: number };
  storeBytes: number;
}

const dataDir = process.env.BENCH_DATA_DIR;
if (!dataDir) throw new Error('BENCH_DATA_DIR must name a fresh data directory');

const config = loadConfig(
  { KAFKA_BROKERS: process.env.KAFKA_BROKERS ?? '127.0.0.1:9092' },
  {
    dataDir,
    port: 0,
    otlpPort: 0,
    // The collector's own default unless asked otherwise, so its memory is what users get; a client
    // refused with 503 retries (counted as `retries`).
    ...(process.env.BENCH_INTAKE_QUEUE_SPANS ? { intakeQueueSpans: Number(process.env.BENCH_INTAKE_QUEUE_SPANS) } : {}),
    // EVENTSCOPE_STORE_CACHE_MB's default unless asked otherwise (memory experiments).
    ...(process.env.BENCH_STORE_CACHE_MB ? { storeCacheMb: Number(process.env.BENCH_STORE_CACHE_MB) } : {}),
    // Benchmarks measure the store, never retention: a 10M-event store is ~10 GB, above the 2 GB default.
    retentionMaxMb: Number(process.env.BENCH_RETENTION_MAX_MB ?? 1_000_000),
    // Figure 2 on PostgreSQL (ingest-postgres.ts): the store is that database instead of SQLite.
    ...(process.env.BENCH_POSTGRES_URL
      ? { store: 'postgres' as const, postgresUrl: process.env.BENCH_POSTGRES_URL }
      : {}),
    ...(process.env.BENCH_POSTGRES_PARTITION_ROWS
      ? { postgresPartitionRows: Number(process.env.BENCH_POSTGRES_PARTITION_ROWS) }
      : {}),
  },
);
const app = await buildApp({ config, background: false });
const url = await app.listen({ host: '127.0.0.1', port: 0 });
// OTLP/gRPC on a free port too (figure 2 sends over it beside OTLP/HTTP).
const grpcPort = await app.otlpGrpc.listen('127.0.0.1', 0);

/**
 * Figure 4's old client: the same KafkaMonitor, with the app's monitor options, over the
 * kafkajs adapter the collector had before (lib/kafkajs-adapter.ts), in this same process.
 */
let kafkajsMonitor: KafkaMonitor | undefined;
let kafkajsAdapter: KafkajsAdapter | undefined;
function legacyMonitor(): KafkaMonitor {
  if (!kafkajsMonitor) {
    const dir = path.join(config.dataDir, 'kafkajs');
    mkdirSync(dir, { recursive: true });
    kafkajsAdapter = new KafkajsAdapter({ brokers: config.kafkaBrokers, clientId: 'eventscope-bench-kafkajs' });
    kafkajsMonitor = new KafkaMonitor(kafkajsAdapter as unknown as KafkaAdapter, monitorOptions(config, dir));
  }
  return kafkajsMonitor;
}

let peak = process.memoryUsage.rss();
const sampler = setInterval(() => {
  peak = Math.max(peak, process.memoryUsage.rss());
}, 100);

async function usage(): Promise<Usage> {
  const cpu = process.cpuUsage();
  const rss = process.memoryUsage.rss();
  peak = Math.max(peak, rss);
  const stats = await app.store.stats();
  const mem = process.memoryUsage();
  const writer =
    app.store instanceof ThreadedSqliteStore ? await app.store.writerHeap() : { usedBytes: 0, totalBytes: 0 };
  const u: Usage = {
    cpuUs: cpu.user + cpu.system,
    mainCpuUs: process.threadCpuUsage().user + process.threadCpuUsage().system,
    threadCpuMs: threadCpuMs(),
    rssBytes: rss,
    peakRssBytes: peak,
    heapUsedBytes: mem.heapUsed,
    heapTotalBytes: mem.heapTotal,
    externalBytes: mem.external,
    writerHeapUsedBytes: writer.usedBytes,
    writerHeapTotalBytes: writer.totalBytes,
    intakeDepth: app.intake.depth,
    rows: stats.rows,
    storeBytes: stats.bytes,
  };
  peak = rss;
  return u;
}

process.on('message', (msg: HostRequest) => {
  void (async () => {
    try {
      switch (msg.op) {
        case 'usage':
          process.send?.({ id: msg.id, ok: true, value: await usage() });
          break;
        case 'flush':
          await app.intake.flush();
          process.send?.({ id: msg.id, ok: true, value: await usage() });
          break;
        case 'lookup': {
          // store.event(id) as the API calls it, timed one at a time.
          const ms: number[] = [];
          let hops = 0;
          for (const id of msg.eventIds) {
            const t0 = performance.now();
            const h = await app.store.event(id);
            ms.push(performance.now() - t0);
            hops += h.publishes.length + h.deliveries.length;
          }
          process.send?.({ id: msg.id, ok: true, value: { ms, hops } });
          break;
        }
        case 'events': {
          // store.event(id) as the API calls it, the hops themselves (figure 3 compares their shapes).
          const hops = [];
          for (const id of msg.eventIds) hops.push(await app.store.event(id));
          process.send?.({ id: msg.id, ok: true, value: hops });
          break;
        }
        case 'lagCycle':
        case 'lagCycleKafkajs': {
          // One lag cycle as the background poller runs it (offsets, lag, time lag, status).
          const monitor = msg.op === 'lagCycle' ? app.kafkaMonitor : legacyMonitor();
          const t0 = performance.now();
          const r = await monitor.pollOnce();
          const ms = performance.now() - t0;
          let partitions = 0;
          for (const g of r.snapshot?.groups.values() ?? []) partitions += g.partitions.length;
          const value: LagCycle = {
            ms,
            ok: r.ok,
            groups: r.snapshot?.groups.size ?? 0,
            partitions,
            errors: r.errors,
          };
          process.send?.({ id: msg.id, ok: true, value });
          break;
        }
        case 'close':
          clearInterval(sampler);
          await kafkajsMonitor?.stop();
          await kafkajsAdapter?.close();
          await app.close();
          process.send?.({ id: msg.id, ok: true, value: null }, () => process.exit(0));
          break;
      }
    } catch (err) {
      process.send?.({ id: msg.id, ok: false, error: (err as Error).stack ?? String(err) });
    }
  })();
});

// The benchmark that started this process is gone (finished without `close`, killed, crashed):
// close the store cleanly and exit rather than linger as an orphan holding memory and a data dir.
process.once('disconnect', () => {
  clearInterval(sampler);
  app.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
});

process.send?.({ ready: true, url, grpcPort });
