/**
 * Writes BENCHMARKS.md at the repo root from bench/results/*.json: method, machine and
 * results with the targets beside them, plus the figures not measured yet and why.
 * `npm run report -w bench` (the bench scripts do not call it, so a partial run never
 * rewrites the page by accident).
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as prettier from 'prettier';
import type { FigureResult } from '../src/lib/results.ts';

const here = dirname(fileURLToPath(import.meta.url));
const resultsDir = process.env.BENCH_RESULTS_DIR ?? join(here, '../results');
const out = process.env.BENCH_REPORT_FILE ?? join(here, '../../BENCHMARKS.md');

/** Figures from design.md, in order, with what stands in the way when there is no result yet. */
const FIGURES: { figure: string; what: string; target: string; missing: string }[] = [
  {
    figure: 'figure1-overhead',
    what: 'Tracing overhead: saga throughput with instrumentation on vs off, same run',
    target: '>= 0.95',
    missing: 'Not measured yet: run `npm run bench:overhead -w bench`.',
  },
  {
    figure: 'figure2-ingest',
    what: 'OTLP ingest into the store, one collector process, JSON and protobuf',
    target: '>= 50,000 spans/s',
    missing: 'Run `npm run bench:ingest -w bench`.',
  },
  {
    figure: 'figure3-lookup',
    what: "Lookup of one event's flow, p99, with 10 million events stored",
    target: '<= 5 ms',
    missing: 'Run `npm run bench:lookup -w bench`.',
  },
  {
    figure: 'figure4-lag',
    what: 'One lag cycle, 100 groups x 1,000 partitions on the local broker, vs kafka-consumer-groups',
    target: '<= 1 s',
    missing: 'Run `npm run bench:lag -w bench` (BENCH_LAG_GROUPS, BENCH_LAG_PARTITIONS).',
  },
  {
    figure: 'figure5-memory',
    what: 'Collector memory (RSS), steady at 10 million events, flat over a 30-minute soak',
    target: '<= 256 MB',
    missing: 'Run `npm run bench:ingest -w bench` (RSS during ingest).',
  },
  {
    figure: 'figure5-soak',
    what: 'Collector memory (RSS) over a soak under steady load (30 minutes is the target length)',
    target: '<= 256 MB, flat',
    missing: 'Not measured yet: run `npm run bench:soak -w bench` (BENCH_SOAK_SECONDS, BENCH_SOAK_SPANS_PER_SEC).',
  },
  {
    figure: 'figure6-e2e',
    what: "End-to-end latency we report vs the load generator's own measurement",
    target: 'within 1 ms',
    missing: 'Not measured yet: run `npm run bench:e2e -w bench`.',
  },
];

/**
 * What the numbers mean, what was tried and what stands in the way: written by whoever ran
 * and changed things, kept beside the generated tables.
 */
const COMMENTARY: Record<string, string[]> = {
  'figure5-soak': [
    "A 30-minute soak (the target length) at 2,401 spans/s (~170 sagas/s, 34x the demo's default load; the " +
      'sender keeps one request in flight, so it stayed under the 3,000 asked for, with no 503) grew the store from ' +
      '0 to 2.14 million events (2.3 GB on disk). Peak RSS 218.7 MB, under 256 MB; the heap stayed at 32-56 MB.',
    'RSS is not a straight line: 157 MB at the start, a plateau at ~191 MB from minute 4 to minute 18, one step ' +
      'of ~24 MB around minute 19-20, then flat at 215-217 MB to the end (+1.6 MB over the last 10 minutes). The ' +
      'least-squares trend over the second half (21.6 MB / 10 min) includes that step, so the harness reports ' +
      '"not flat"; a longer soak would tell a plateau from slow growth. Native memory (SQLite page caches of the ' +
      'writer and reader connections, the writer thread) is what moves, not the JS heap.',
    "Run against the working tree at 11:02 UTC (HEAD 2492373 plus the ingest engineer's uncommitted store changes " +
      'of that moment; their threaded store, writes on a worker thread, was committed at 11:11 as a9baefa), with the intake queue at the ' +
      "collector's default 25,000 spans. The steady state at 10 million events was not measured: filling a store " +
      'that large through the intake path takes more than an hour at the rates seen here on this machine.',
  ],
  'figure1-overhead': [
    'Not met: throughput on/off 0.84 (per pair 0.71..1.22) over 3 interleaved pairs of 1,000 sagas (31-52 s of ' +
      "saturated saga each) at load ~13-19 (other engineers' test suites and demos, and the figure 5 soak, on the " +
      'same 2 cores). An earlier run of 4 pairs of 400 sagas (5-25 s each) gave 0.55 (0.40..1.00): with short runs ' +
      'one neighbour starting up moves a run by 2x, so the longer runs are the ones reported.',
    'The steadier number is CPU: the five services spent 20.1 ms per saga traced vs 19.3 untraced (median; per ' +
      'pair off/on 0.76..0.97, median 0.85; the 400-saga run gave 0.77), and the collector another ~2.2 ms per ' +
      'saga to receive and store the spans on the same machine (~0.4 ms of it is its idle cost, seen in the ' +
      'untraced runs). On a CPU-bound 2-core box throughput follows CPU per saga, so tracing costs here ~5-25% of ' +
      "the services' CPU plus ~10% for the collector sharing the cores: the instrumentation " +
      "(@opentelemetry/instrumentation-kafkajs with the demo's hooks, a span per publish and delivery, " +
      'BatchSpanProcessor, OTLP/protobuf export) lives in demo-services/, which belongs to its owners; not changed.',
    'What was tried: runs interleaved, alternating which goes first; longer runs; the CPU measure (from /proc, ' +
      'start-up excluded) added because throughput alone does not separate the code from the neighbours. What ' +
      'would settle it: the same harness on an idle machine (and with the collector on another machine, as it ' +
      'would be deployed at scale), and a profile of a traced service (context propagation vs span export).',
  ],
  'figure6-e2e': [
    "Same clock points (the load generator's own delivery of the terminal event in the collector, from the " +
      "saga's first publish, vs the load generator's latency): |diff| median 0 ms, 94.3% of 300 sagas within " +
      "1 ms, p99 4 ms, max 7 ms (2 runs of 150 at 5 orders/s, load ~10 from other engineers' work on the same 2 " +
      'cores). The official figure (first publish -> start of the earliest processed delivery of the terminal ' +
      'event, by any group): median 1 ms, 67% within 1 ms, p99 9 ms; it equals the same-clock-point figure for ' +
      '61% of sagas and is earlier for the rest (another consumer of the same record started first), never ' +
      'later. So the target is met at the median, not at p99.',
    'What changed (a4c28f0): the per-saga difference is exactly (placedAt - the order.placed producer span ' +
      "start) + (handledAt - the load generator's delivery span start). The first term was the gap: kafkajs " +
      "stamped the record (CreateTime, the load generator's placedAt) when it encoded the produce request, after " +
      "its own queueing, median 2 ms and up to 79 ms under load. The demo's outbox relay now sets CreateTime " +
      'when it hands the record to the producer, just before the send span starts: now median 0, max 7 ms. ' +
      'Before that change: same clock points |diff| median 2 ms, 49% within 1 ms; official 3 ms, 31%.',
    'What is left is scheduling: both terms are a few synchronous steps apart in one process and only grow ' +
      'when the process is preempted or collects garbage on a loaded 2-core machine; both load generator times ' +
      'are integer ms (Date.now(), as the OpenTelemetry SDK stamps spans), which alone gives +-1 ms.',
  ],
  'figure2-ingest': [
    'Before (same harness, 20,000 spans, 1 run, load ~11, commit 0e4156a): JSON 3,244 spans/s at 106 ms CPU per ' +
      '1,000 spans; protobuf 3,336 spans/s at 137 ms CPU per 1,000 spans.',
    'Done: the store ingests a batch with 3.2 statements per span instead of 7.5 (saga rows read once and written ' +
      'once per batch; records and group partitions merged per batch; link-only joins only while link-only ' +
      'deliveries are stored; positional binds). One transaction per intake chunk (2,000 spans) as before; ' +
      'WAL, synchronous=NORMAL, temp_store=MEMORY, 16 MB cache were already set; a larger cache or ' +
      'wal_autocheckpoint made no measurable difference here.',
    'Store alone (30,000 saga spans decoded and assembled, then store.ingest in batches of 2,000; old and new ' +
      'interleaved, 3 pairs, load ~11): CPU per span 61 -> 47 us (median; runs 50..84 -> 41..49), wall 114 -> 76 us. ' +
      'End to end (this table, load ~3-4) the collector spends 72 ms CPU per 1,000 JSON spans and 83 ms per 1,000 ' +
      'protobuf spans, against 106 and 137 before; throughput 12,700 / 13,100 spans/s against 3,200 / 3,300 ' +
      'before, but the before run was at load ~11 and the runs in between at load ~10 gave 4,500 / 4,100 spans/s ' +
      '(94 / 96 ms CPU per 1,000 spans): on this shared machine the load moves throughput more than the code ' +
      'change; CPU per span is the steadier comparison.',
    'The ingest runs since 42077d3 include the fix of OTLP/protobuf int attributes (offsets were lost, so ' +
      'protobuf spans skipped the record upserts before).',
    'What stands in the way of 50,000 spans/s: about half the CPU per span is SQLite inserting each hop into ' +
      'its table and 5-7 indexes (random span and trace ids, so each insert touches a different page) and ' +
      'committing those pages; about a fifth is OTLP decoding (JSON.parse / protobufjs and toSpans); the rest is ' +
      'HTTP, metrics and GC. The machine has 2 cores shared with other work (load 2-14 across these runs) and the ' +
      'load generator runs on it too. Next: fewer indexes per hop (trace lookups through the publish), the store ' +
      'in a worker thread so decoding and SQLite use both cores, and a compact queued form of a span.',
  ],
  'figure3-lookup': [
    'The 1M store was generated through POST /v1/traces (2,020,000 spans in 243 s at load ~2-4; an earlier ' +
      'generation at load ~11 took 922 s). 10M was not run: about 40 minutes of generation at the best rate seen ' +
      'here (slower as the store outgrows the page cache) and ~10 GB of disk on the shared machine. The lookup is ' +
      'a handful of indexed seeks (publishes, deliveries and records by event id, deliveries by position and by ' +
      'origin span), so it grows with the index depth (one more B-tree level per ~100x rows), not the row count.',
    'HTTP p99 includes the client on the same 2-core machine; store.event(id) is timed inside the collector. ' +
      'The earlier 1M run (store generated before the protobuf attribute fix 42077d3, so without records rows, ' +
      'at load ~11) gave store.event p99 3.2 ms and HTTP p99 18.7 ms: under load the tail is scheduling.',
  ],
  'figure4-lag': [
    'Met: at 100 groups x 1,000 partitions (10 topics x 100 partitions, every group committed on all 1,000: ' +
      '100,000 group-partitions, plus the other groups on the shared broker) one cycle takes 579 ms median ' +
      "(489..805, load 3.8 -> 11.2 on 2 cores). Kafka's own tool took 40.8 s for the same describe (a fresh JVM " +
      'each time, which is what an operator pays), 66x our cycle. Setup takes ~1 min (offsets committed by ' +
      "Kafka's reset-offsets, 25 groups per call; kafkajs admin.setOffsets joins the group once per group and " +
      'topic, which did not finish at this size). Topics and groups are deleted afterwards.',
    'Before: 1,134 ms median (1,035..2,709) at load ~19. A CPU profile put ~40% of the main thread in the ' +
      'per-partition loop of the monitor (collector/src/lag/monitor.ts: an object and a copy of its status ' +
      'window per group-partition, every cycle), ~40% in garbage collection, ~15% in kafkajs decoding. Done ' +
      "(5bb2cac, 3929cf9): each partition's recent samples stay in place in an append-only buffer (no copy per " +
      'cycle; the snapshot row points into it and builds `samples` only when read), status and consume rate in ' +
      'one pass over the window, no per-partition string keys or temporary objects, group and topic totals in ' +
      'one pass, the offset/time table indexed by topic then partition (same file format). Results are ' +
      'unchanged: the lag tests (figures checked against kafka-consumer-groups, Burrow rules) pass, and a ' +
      'randomised harness over 60 cycles hashed the snapshots of the old and new code byte for byte the same. ' +
      'At 10 groups x 100 partitions the cycle was 63 ms (load ~2-4) before the change.',
  ],
  'figure5-memory': [
    'The RSS is dominated by the intake queue, not the store: a queued span (SpanData with its attribute ' +
      'dictionary and strings) takes about 2.9 KB of heap, and the default limit is 200,000 spans (~580 MB when ' +
      'full). The benchmarks drive the collector at saturation, so the queue fills; V8 keeps the heap it grew, ' +
      'so after generating the 1M-event store the collector held 1,159 MB (the started collector: ~160 MB).',
    'Proposal (not done here: it changes a config default and the traces -> flows interface): queue compact ' +
      'hops instead of spans and bound the queue in bytes, or lower the default to ~25,000 spans (~75 MB); ' +
      'exporters already retry on 503. Then measure the 10M steady state and the 30-minute soak.',
  ],
};

const results = new Map<string, FigureResult>();
if (existsSync(resultsDir)) {
  for (const f of readdirSync(resultsDir).filter((x) => x.endsWith('.json'))) {
    const r = JSON.parse(readFileSync(join(resultsDir, f), 'utf8')) as FigureResult;
    results.set(r.figure, r);
  }
}

const esc = (s: string): string => s.replaceAll('|', '\\|');
const lines: string[] = [
  '# Benchmarks',
  '',
  'The figures of the target design (design.md, "Figures we hold ourselves to"), measured by `bench/`.',
  'Generated by `npm run report -w bench` from `bench/results/*.json`; do not edit by hand.',
  '',
  '- Run all: `npm run bench`; one figure: `npm run bench:overhead -w bench` (1), `bench:ingest` (2, 5),',
  '  `bench:lookup` (3), `bench:lag` (4), `bench:soak` (5), `bench:e2e` (6).',
  '- Sizes: `BENCH_RUNS`, `BENCH_INGEST_SPANS`, `BENCH_SPANS_PER_REQUEST`, `BENCH_CONCURRENCY`,',
  '  `BENCH_LOOKUP_EVENTS`, `BENCH_LOOKUP_SAMPLES`, `BENCH_LOOKUP_DATA_DIR` (keep and reuse a generated store),',
  '  `BENCH_LAG_GROUPS`, `BENCH_LAG_PARTITIONS`, `BENCH_LAG_TOPICS`, `BENCH_OVERHEAD_ORDERS`, `BENCH_OVERHEAD_RATE`,',
  '  `BENCH_OVERHEAD_PAIRS`, `BENCH_E2E_ORDERS`, `BENCH_E2E_RATE`, `BENCH_SOAK_SECONDS`, `BENCH_SOAK_SPANS_PER_SEC`,',
  '  `BENCH_SOAK_DATA_DIR` (soak on an existing store).',
  '- Every figure is the median of several runs with min..max; comparisons run interleaved in one',
  '  run and are reported as ratios. Load averages are recorded because the machine may be shared.',
  '',
  '## Summary',
  '',
  '| figure | target | result | meets |',
  '| --- | --- | --- | --- |',
];
for (const f of FIGURES) {
  const r = results.get(f.figure);
  if (!r) {
    lines.push(`| ${esc(f.what)} | ${esc(f.target)} | not measured | - |`);
    continue;
  }
  const withTarget = r.rows.filter((x) => x.target !== undefined);
  const result = withTarget.map((x) => `${x.metric}: ${x.value} ${x.unit}`).join('; ');
  const meets = withTarget.map((x) => (x.meets === undefined ? 'n/a' : x.meets ? 'yes' : 'no')).join(' / ');
  lines.push(`| ${esc(f.what)} | ${esc(f.target)} | ${esc(result)} | ${meets} |`);
}

for (const f of FIGURES) {
  const r = results.get(f.figure);
  lines.push('', `## ${f.figure}: ${f.what}`, '', `Target: ${f.target}.`, '');
  if (!r) {
    lines.push(f.missing);
    continue;
  }
  const mc = r.machine;
  lines.push(
    `Measured ${r.at} on ${mc.cpus} cores (${mc.cpuModel}), ${mc.memoryMb} MB memory, Node ${mc.node}, ` +
      `Kafka ${mc.kafka}, ${mc.platform}; load average (1/5/15 min) ${mc.loadStart.join(' / ')} at the start, ` +
      `${(mc.loadEnd ?? []).join(' / ')} at the end.`,
    '',
    `Method: ${r.method}`,
    '',
    `Parameters: ${Object.entries(r.params)
      .map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : String(v as string | number | boolean)}`)
      .join(', ')}`,
    '',
    '| metric | median | unit | runs (min..max) | target | meets |',
    '| --- | --- | --- | --- | --- | --- |',
  );
  for (const x of r.rows) {
    const meets = x.meets === undefined ? '' : x.meets ? 'yes' : 'no';
    lines.push(`| ${esc(x.metric)} | ${x.value} | ${x.unit} | ${x.spread ?? ''} | ${esc(x.target ?? '')} | ${meets} |`);
  }
  if (r.notes.length > 0) lines.push('', ...r.notes.map((n) => `- ${n}`));
  const comments = COMMENTARY[f.figure] ?? [];
  if (comments.length > 0) lines.push('', ...comments.map((c) => `- ${c}`));
  if (f.figure === 'figure5-memory' && !results.has('figure5-soak'))
    lines.push(
      '',
      `Not measured yet: ${f.missing}`.replace(
        'Run `npm run bench:ingest -w bench` (RSS during ingest).',
        'the 10-million-event steady state and the 30-minute soak.',
      ),
    );
}
lines.push('');
// Formatted as the repo's prettier config would (tables aligned), so a regenerated page passes the format check.
const text = lines.join('\n');
const options = (await prettier.resolveConfig(out)) ?? {};
writeFileSync(out, await prettier.format(text, { ...options, filepath: out }));
console.log(`wrote ${out} from ${results.size} result file(s)`);
