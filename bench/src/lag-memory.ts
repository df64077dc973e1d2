/**
 * The lag monitor's heap (issue #15; a diagnostic for figure 4, no results file): what a
 * KafkaMonitor keeps per group-partition (status windows, snapshot rows, the offsets view's
 * index), per group-topic of lag history and per topic-partition of offset/time table, and
 * whether N group-partitions fit under the collector's old-space limit.
 *
 * The monitor runs its own cycles (collector/src/lag) over an in-process adapter that answers as
 * a broker would for G groups committed on every partition of T topics: end offsets move every
 * cycle, a quarter of the group-partitions lag (so time lag reads records and interpolates), four
 * members per group own the partitions. No broker is needed, so sizes can go beyond what the dev
 * broker holds. Each measurement runs in a child process with the collector's V8 flags
 * (COLLECTOR_NODE_FLAGS) and --expose-gc; "retained" is the heap used after full collections,
 * after the cycles, minus the same before the monitor was made.
 *
 *   npm run bench:lag:memory -w bench
 *   BENCH_LAG_MEMORY_FIT=300000,500000 npm run bench:lag:memory -w bench   # sizes to try in the heap
 */
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  COLLECTOR_NODE_FLAGS,
  createOffsetsView,
  KafkaMonitor,
  loadConfig,
  monitorOptions,
  partitionKey,
  type CommittedOffset,
  type GroupInfo,
  type GroupListing,
  type KafkaAdapter,
  type KafkaRecord,
  type PartitionOffsets,
  type ReadRequest,
} from '@eventscope/collector';
import { progress } from './lib/results.ts';

interface Shape {
  groups: number;
  topics: number;
  /** Partitions per topic; every group commits on all of them. */
  partitions: number;
}

interface Measure {
  shape: Shape;
  /** Heap used (after full collections) after each of these cycle counts. */
  checkpoints: number[];
}

interface Measured {
  /** Heap used before the monitor, bytes. */
  base: number;
  /** Heap used after each checkpoint's cycles, bytes. */
  after: number[];
  /** After the last checkpoint, with the offsets view's index built (as the loss audit does each snapshot). */
  withView: number;
  /** The old-space limit the child ran with, bytes. */
  limit: number;
  cycleMs: number;
  groupPartitions: number;
}

/** Answers as a broker with `shape` would; offsets advance by one step per listTopics (one per cycle). */
class SyntheticKafka {
  readonly capabilities = { groupTypes: ['classic' as const], missing: [] };
  readonly #s: Shape;
  readonly #topics: string[];
  readonly #groups: string[];
  #cycle = 0;

  constructor(s: Shape) {
    this.#s = s;
    this.#topics = Array.from({ length: s.topics }, (_, t) => `memory-topic-${t}`);
    this.#groups = Array.from({ length: s.groups }, (_, g) => `memory-group-${g}`);
  }

  /** The end offset of partition `p` of topic `t` at this cycle: 1 to 5 records per cycle. */
  #end(t: number, p: number): number {
    return 1_000 + this.#cycle * (1 + ((t * 31 + p) % 5));
  }

  listTopics(): Promise<string[]> {
    this.#cycle++;
    return Promise.resolve([...this.#topics]);
  }

  listGroups(): Promise<GroupListing[]> {
    return Promise.resolve(
      this.#groups.map((groupId) => ({ groupId, protocolType: 'consumer', groupType: 'classic' })),
    );
  }

  groupType(): 'classic' {
    return 'classic';
  }

  describeGroups(ids: string[]): Promise<GroupInfo[]> {
    return Promise.resolve(
      ids.map((groupId) => ({
        groupId,
        groupType: 'classic',
        state: 'Stable',
        protocolType: 'consumer',
        protocol: 'range',
        errorCode: 0,
        members: Array.from({ length: 4 }, (_, k) => {
          const assignment: Record<string, number[]> = {};
          for (const topic of this.#topics) {
            assignment[topic] = Array.from({ length: Math.ceil((this.#s.partitions - k) / 4) }, (_, i) => i * 4 + k);
          }
          return { memberId: `${groupId}-member-${k}`, clientId: `client-${k}`, host: `/10.0.0.${k}`, assignment };
        }),
      })),
    );
  }

  /** A quarter of each group's partitions lag by 20..119 records; the rest are caught up. */
  committedOffsets(groupId: string): Promise<CommittedOffset[]> {
    const g = Number(groupId.slice(groupId.lastIndexOf('-') + 1));
    const out: CommittedOffset[] = [];
    for (let t = 0; t < this.#s.topics; t++) {
      // A fresh string per response, as a client decodes it.
      const topic = Buffer.from(this.#topics[t] as string).toString();
      for (let p = 0; p < this.#s.partitions; p++) {
        const lag = (g + p) % 4 === 0 ? 20 + ((g * 31 + p) % 100) : 0;
        out.push({ topic, partition: p, offset: Math.max(0, this.#end(t, p) - lag) });
      }
    }
    return Promise.resolve(out);
  }

  topicOffsets(topics: readonly string[]): Promise<Map<string, PartitionOffsets[] | Error>> {
    const out = new Map<string, PartitionOffsets[] | Error>();
    for (const topic of topics) {
      const t = this.#topics.indexOf(topic);
      out.set(
        topic,
        Array.from({ length: this.#s.partitions }, (_, partition) => ({
          partition,
          start: 0,
          end: this.#end(t, partition),
        })),
      );
    }
    return Promise.resolve(out);
  }

  readRecords(requests: readonly ReadRequest[]): Promise<Map<string, KafkaRecord[]>> {
    const timestamp = Date.now() - 5_000;
    return Promise.resolve(
      new Map(
        requests.map((r) => [
          partitionKey(r.topic, r.partition),
          [{ ...r, timestamp, key: null, value: null, headers: {} }],
        ]),
      ),
    );
  }
}

function heapAfterGc(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with --expose-gc');
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

/** In the child: the monitor over the synthetic adapter, heap at each checkpoint. */
async function child(m: Measure): Promise<Measured> {
  const { getHeapStatistics } = await import('node:v8');
  const dataDir = mkdtempSync(join(tmpdir(), 'eventscope-lag-memory-'));
  try {
    const config = loadConfig({ KAFKA_BROKERS: '127.0.0.1:9' }, { dataDir });
    const kafka = new SyntheticKafka(m.shape);
    const base = heapAfterGc();
    const monitor = new KafkaMonitor(kafka as unknown as KafkaAdapter, {
      ...monitorOptions(config, dataDir),
      // No deadline: a cycle of a large shape on a loaded machine is measured, not abandoned.
      pollDeadlineMs: 3_600_000,
    });
    const after: number[] = [];
    let cycles = 0;
    let cycleMs = 0;
    for (const checkpoint of m.checkpoints) {
      for (; cycles < checkpoint; cycles++) {
        const r = await monitor.pollOnce();
        if (!r.ok) throw new Error(`cycle failed: ${JSON.stringify(r.errors)}`);
        cycleMs = r.durationMs;
      }
      after.push(heapAfterGc());
    }
    const view = createOffsetsView(monitor);
    if (view.committedOffset('memory-group-0', 'memory-topic-0', 0) === undefined) throw new Error('no offsets');
    const withView = heapAfterGc();
    let groupPartitions = 0;
    for (const g of monitor.snapshot?.groups.values() ?? []) groupPartitions += g.partitions.length;
    return { base, after, withView, limit: getHeapStatistics().heap_size_limit, cycleMs, groupPartitions };
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** Runs one measurement in a child with the collector's V8 flags; undefined when it ran out of heap. */
function measure(m: Measure): Promise<Measured | undefined> {
  return new Promise((resolve, reject) => {
    const c = fork(fileURLToPath(import.meta.url), ['child', JSON.stringify(m)], {
      execArgv: [...COLLECTOR_NODE_FLAGS, '--expose-gc'],
      stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
    });
    let result: Measured | undefined;
    let stderr = '';
    c.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    c.on('message', (msg: Measured) => (result = msg));
    c.on('error', reject);
    c.on('exit', (code) => {
      if (result) resolve(result);
      else if (/heap out of memory|Reached heap limit/.test(stderr)) resolve(undefined);
      else reject(new Error(`measurement exited ${code}: ${stderr.slice(-2000)}`));
    });
  });
}

const kb = (bytes: number): string => `${(bytes / 1024).toFixed(1)} KB`;
const mb = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

async function main(): Promise<void> {
  const window = loadConfig({ KAFKA_BROKERS: '127.0.0.1:9' }).statusWindow;
  // 1. Per group-partition: figure 4's shape, the status windows full.
  const gpShape: Shape = { groups: 100, topics: 10, partitions: 100 };
  const gp = await measure({ shape: gpShape, checkpoints: [window + 2] });
  if (!gp) throw new Error('100,000 group-partitions ran out of heap');
  const n = gp.groupPartitions;
  const retained = (gp.after[0] as number) - gp.base;
  console.log(
    `per group-partition, ${gpShape.groups} groups x ${gpShape.topics * gpShape.partitions} partitions, ` +
      `after ${window + 2} cycles: ${Math.round(retained / n)} bytes (${mb(retained)} for ${n}), ` +
      `${Math.round((gp.withView - gp.base) / n)} bytes with the offsets view's index; cycle ${gp.cycleMs} ms`,
  );
  // 2. Lag history: one list per group and per group-topic, full at the default 720 points.
  const hShape: Shape = { groups: 100, topics: 10, partitions: 1 };
  const lists = hShape.groups * (hShape.topics + 1);
  const h = await measure({ shape: hShape, checkpoints: [20, 725] });
  if (!h) throw new Error('history shape ran out of heap');
  console.log(
    `lag history: ${kb(((h.after[1] as number) - (h.after[0] as number)) / lists)} per list at 720 points ` +
      `(${lists} lists: ${hShape.groups} groups x (${hShape.topics} topics + total), cycles 20 -> 725)`,
  );
  // 3. The offset/time table: one per topic-partition, full at 64 points.
  const tShape: Shape = { groups: 1, topics: 100, partitions: 200 };
  const tps = tShape.topics * tShape.partitions;
  const t = await measure({ shape: tShape, checkpoints: [2, 70] });
  if (!t) throw new Error('table shape ran out of heap');
  console.log(
    `offset/time table: ${Math.round(((t.after[1] as number) - (t.after[0] as number)) / tps)} bytes per ` +
      `topic-partition from 2 to 64 points (${tps} topic-partitions, one group, cycles 2 -> 70)`,
  );
  // 4. Sizes that fit in the collector's heap (the monitor alone: the rest of a collector holds ~40 MB more).
  for (const size of (process.env.BENCH_LAG_MEMORY_FIT ?? '')
    .split(',')
    .filter((x) => x !== '')
    .map(Number)) {
    const shape: Shape = { groups: Math.ceil(size / 1000), topics: 10, partitions: 100 };
    progress(`fit: ${shape.groups * 1000} group-partitions, ${window + 2} cycles`);
    const f = await measure({ shape, checkpoints: [window + 2] });
    console.log(
      f
        ? `fit: ${shape.groups * 1000} group-partitions: heap ${mb(f.withView)} of ${mb(f.limit)} after ` +
            `${window + 2} cycles (cycle ${f.cycleMs} ms)`
        : `fit: ${shape.groups * 1000} group-partitions: out of heap`,
    );
  }
}

if (process.argv[2] === 'child') {
  const result = await child(JSON.parse(process.argv[3] as string) as Measure);
  process.send?.(result, () => process.exit(0));
} else if (import.meta.main) {
  await main();
}
