/**
 * A smoke run of the harness at tiny sizes, so it cannot rot: the collector host starts, spans
 * go through POST /v1/traces into the store, lookups find the events, results JSON and
 * BENCHMARKS.md are written. It asserts the results are produced and sane, never a timing.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { benchIngest, type IngestRun } from '../src/ingest.ts';
import { writeResult, type FigureResult } from '../src/lib/results.ts';
import { benchLag } from '../src/lag.ts';
import { benchLookup } from '../src/lookup.ts';
import { COLLECTOR_ENV } from '@eventscope/collector';
import { classify, parseSmaps, type NativeMemory } from '../src/lib/native-memory.ts';
import { processCpuMs, statCpuMs, threadCpuDelta, threadCpuMs } from '../src/lib/proc.ts';
import { benchSoak, slope, type SoakSample } from '../src/memory.ts';

const dir = mkdtempSync(join(tmpdir(), 'eventscope-bench-smoke-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const read = (figure: string): FigureResult =>
  JSON.parse(readFileSync(join(dir, `${figure}.json`), 'utf8')) as FigureResult;

describe('bench harness (smoke, tiny sizes)', () => {
  it('ingests JSON and protobuf (HTTP) and gRPC through the collector into the store: throughput, CPU and RSS', async () => {
    const { ingest, memory } = await benchIngest({ spans: 600, runs: 2, spansPerRequest: 100, concurrency: 2 });
    writeResult(ingest, dir);
    writeResult(memory, dir);
    const r = read('figure2-ingest');
    const runs = r.raw as IngestRun[];
    expect(runs.map((x) => x.encoding).sort()).toEqual(['grpc', 'grpc', 'json', 'json', 'protobuf', 'protobuf']);
    for (const x of runs) {
      // Every generated span is a publish or a delivery, and every one was stored.
      expect(x.storedHops).toBe(x.spans);
      expect(x.spans).toBeGreaterThanOrEqual(600);
      expect(x.spansPerSec).toBeGreaterThan(0);
      expect(x.cpuMsPer1000).toBeGreaterThan(0);
      // The collector's threads were found by name in /proc (a run this small may spend < 1 tick in them).
      expect(x.writerCpuMsPer1000).toBeGreaterThanOrEqual(0);
      expect(x.v8HelperCpuMsPer1000).toBeGreaterThanOrEqual(0);
      // The load generator's own share: something (it sent every body), and below both cores.
      expect(x.loadGeneratorCpuPercent).toBeGreaterThan(0);
      expect(x.loadGeneratorCpuPercent).toBeLessThan(200);
      expect(x.peakRssMb).toBeGreaterThan(10);
    }
    expect(r.rows.find((x) => x.metric === 'json ingest')?.target).toBe('>= 50,000');
    expect(r.rows.find((x) => x.metric === 'grpc ingest')?.value).toBeGreaterThan(0);
    expect(r.rows.find((x) => x.metric === 'gRPC / HTTP protobuf throughput')?.value).toBeGreaterThan(0);
    expect(r.machine.cpus).toBeGreaterThan(0);
    expect(read('figure5-memory').rows[0]?.unit).toBe('MB');
  });

  it('looks up stored events by id, in the store and over HTTP, with percentiles', async () => {
    const r = await benchLookup({ events: 700, samples: 30, runs: 2, concurrency: 2 });
    writeResult(r, dir);
    const back = read('figure3-lookup');
    expect(back.notes.join(' ')).not.toMatch(/other than 200/);
    expect(back.params.storedEvents).toBeGreaterThanOrEqual(700);
    const p50 = back.rows.find((x) => x.metric.startsWith('store.event(id) p50'));
    const p99 = back.rows.find((x) => x.metric.startsWith('store.event(id) p99'));
    expect(p50?.value).toBeGreaterThan(0);
    expect(Number(p99?.value)).toBeGreaterThanOrEqual(Number(p50?.value));
    const raw = back.raw as { directP50: number[] };
    expect(raw.directP50).toHaveLength(2);
    // The generated store lived in a temp dir of its own and is gone.
    expect(existsSync(join(tmpdir(), `eventscope-bench-lookup-${process.pid}`))).toBe(false);
  });

  it("times a lag cycle and Kafka's consumer-groups tool over the same groups on the broker", async () => {
    const r = await benchLag({
      groups: 2,
      partitions: 4,
      topics: 2,
      runs: 1,
      brokers: process.env.KAFKA_BROKERS ?? '127.0.0.1:9092',
    });
    writeResult(r, dir);
    const back = read('figure4-lag');
    // Both saw at least our groups' partitions (2 groups x 2 topics x 2 partitions); no errors.
    expect(back.params.partitionsPerTopic).toBe(2);
    expect(Number(back.params.partitionsDescribed)).toBeGreaterThanOrEqual(8);
    expect(Number(back.params.toolPartitionLines)).toBeGreaterThanOrEqual(8);
    expect(back.notes.join(' ')).not.toMatch(/reported errors/);
    expect(back.rows.find((x) => x.unit === 'ratio')?.value).toBeGreaterThan(0);
  });

  it('soaks the collector under steady load, sampling its RSS and the store', async () => {
    expect(slope([0, 1, 2], [5, 7, 9])).toBe(2);
    const r = await benchSoak({ seconds: 4, spansPerSec: 400, spansPerRequest: 100, sampleEverySec: 1 });
    writeResult(r, dir);
    const samples = read('figure5-soak').raw as SoakSample[];
    expect(samples.length).toBeGreaterThanOrEqual(3);
    const last = samples[samples.length - 1] as SoakSample;
    expect(last.events).toBeGreaterThan(0);
    expect(last.spansSent).toBeGreaterThan(0);
    expect(last.rssMb).toBeGreaterThan(10);
    expect(r.rows.find((x) => x.metric === 'peak RSS during the soak')?.target).toBe('<= 256');
    // The collector process runs with its production environment (node-flags.ts COLLECTOR_ENV).
    expect(r.params.mallocArenaMax).toBe(process.env.MALLOC_ARENA_MAX ?? COLLECTOR_ENV.MALLOC_ARENA_MAX);
    // Where the RSS lives, from the collector's smaps: the parts add up to about its RSS.
    const n = last.native as NativeMemory;
    expect(n.fileMb).toBeGreaterThan(10); // the node binary at least
    expect(n.mallocHeapMb + n.mallocArenasMb + n.anonOtherMb + n.fileMb).toBeCloseTo(n.rssMb, 0);
    expect(Math.abs(n.rssMb - last.rssMb)).toBeLessThan(last.rssMb * 0.2);
  });

  it('tells thread malloc arenas from other anonymous memory in smaps', () => {
    const smaps = [
      '7f0000000000-7f0000100000 rw-p 00000000 00:00 0 ',
      'Rss:                1024 kB',
      '7f0000100000-7f0004000000 ---p 00000000 00:00 0 ',
      'Rss:                   0 kB',
      '7f0004100000-7f0004200000 rw-p 00000000 00:00 0 ',
      'Rss:                 512 kB',
      '55d000000000-55d000400000 rw-p 00000000 00:00 0                          [heap]',
      'Rss:                2048 kB',
      '55c000000000-55c000400000 r-xp 00000000 fd:00 123                        /usr/bin/node',
      'Rss:                4096 kB',
    ].join('\n');
    expect(classify(parseSmaps(smaps))).toEqual({
      rssMb: 7.5,
      mallocHeapMb: 2,
      mallocArenasMb: 1,
      arenas: 1,
      fileMb: 4,
      anonOtherMb: 0.5,
    });
  });

  it('reads CPU per process and per thread from /proc', () => {
    // A command name with spaces and parentheses; utime 250 and stime 50 ticks.
    const stat = '4242 (V8 (x) Worker) S 1 4242 4242 0 -1 4194560 900 0 0 0 250 50 0 0 20 0 1 0 100 1000 50';
    expect(statCpuMs(stat)).toBe(3000);
    let x = 0;
    for (let i = 0; i < 3e7; i++) x += i % 7; // some CPU on this thread
    expect(x).toBeGreaterThan(0);
    const threads = threadCpuMs();
    const names = Object.keys(threads);
    expect(names.length).toBeGreaterThan(0);
    const sum = Object.values(threads).reduce((a, b) => a + b, 0);
    // Live threads only: at most the process's total (threads that ended are missing), one tick of rounding each.
    expect(sum).toBeGreaterThan(0);
    expect(sum).toBeLessThanOrEqual(processCpuMs(process.pid) + 10 * names.length);
    const later = threadCpuDelta(threads, threadCpuMs());
    for (const ms of Object.values(later)) expect(ms).toBeGreaterThanOrEqual(0);
    expect(processCpuMs(undefined)).toBeNaN();
  });

  it('stops the collector it started when the benchmark process dies without closing it', async () => {
    const script = join(dir, 'orphan.ts');
    const out = join(dir, 'orphan.json');
    const lib = new URL('../src/lib/collector.ts', import.meta.url).href;
    writeFileSync(
      script,
      `import { writeFileSync } from 'node:fs';\nimport { startCollector } from '${lib}';\n` +
        'const c = await startCollector();\n' +
        `writeFileSync(${JSON.stringify(out)}, JSON.stringify({ pid: c.pid, dataDir: c.dataDir }));\n` +
        'process.exit(0);\n',
    );
    // No pipes (an orphan holding them would keep spawnSync waiting): the script reports in a file.
    const res = spawnSync(process.execPath, [script], { stdio: 'ignore', timeout: 60_000 });
    expect(res.status).toBe(0);
    const { pid, dataDir } = JSON.parse(readFileSync(out, 'utf8')) as { pid: number; dataDir: string };
    const alive = (): boolean => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    const deadline = Date.now() + 30_000;
    while (alive() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    const stillAlive = alive();
    if (stillAlive) process.kill(pid, 'SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
    expect(stillAlive, 'the orphaned collector host was still running 30 s after its parent exited').toBe(false);
  }, 90_000);

  it('writes BENCHMARKS.md from the results, with targets and the figures not measured', () => {
    const out = join(dir, 'BENCHMARKS.md');
    const res = spawnSync(process.execPath, [fileURLToPath(new URL('../scripts/report.ts', import.meta.url))], {
      env: { ...process.env, BENCH_RESULTS_DIR: dir, BENCH_REPORT_FILE: out },
      encoding: 'utf8',
    });
    expect(res.status, res.stderr).toBe(0);
    expect(existsSync(out)).toBe(true);
    const md = readFileSync(out, 'utf8');
    expect(md).toContain('## figure2-ingest');
    expect(md).toContain('>= 50,000');
    expect(md).toContain('## figure4-lag');
    expect(md).toContain('## figure5-soak');
    expect(md).toMatch(/figure1-overhead[\s\S]*Not measured yet/);
  });
});
