/**
 * Figure 8: DLQ redrive, records per second at the configured rate limit, and duplicates after
 * a crash. On the real broker, a collector in its own process (lib/collector.ts: production app,
 * auth off, redrive store `redrive.sqlite` in its data dir):
 * - rate: a DLQ seeded with limit x BENCH_REDRIVE_SECONDS records (the contract's `dlq-*`
 *   headers), redriven to the original topic through POST /api/dlqs/:topic/redrives at each limit;
 *   the achieved rate is measured on the target from each record's `dlq-redrive-at` header, as
 *   collector/test/dlq.redrive.test.ts does: records after the first produce over the time since
 *   it. achieved / limit per run, median of BENCH_REDRIVE_RUNS runs, the load average beside it;
 * - crash: a redrive started, the collector SIGKILLed once a third is sent, started again on the
 *   same data dir (the engine resumes), run to completion; copies of each source record (its
 *   `event-id`) on the target are counted: every selected record once, no duplicates.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { DLQ_HEADER, DLQ_REDRIVE_HEADER, HEADER } from '@eventscope/contract';
import type { Redrive } from '@eventscope/collector/api-types';
import { startCollector, type Collector } from './lib/collector.ts';
import { BROKERS, deletePrefixed } from './lib/demo.ts';
import { finish, machine } from './lib/machine.ts';
import { intEnv, noneRow, printTable, progress, writeResult, type FigureResult } from './lib/results.ts';
import { median, round, spread } from './lib/stats.ts';

export interface RateRun {
  limit: number;
  records: number;
  /** Records per second on the target, from the records' redrive-time header. */
  achieved: number;
  ratio: number;
  /** Wall clock from the POST to the redrive's end, seconds. */
  seconds: number;
  /** The collector process's CPU over that time, % of one core (is the machine or the ledger's fsync the bound?). */
  collectorCpuPct: number;
  /** 1/5/15-minute load averages at the run's end (`uptime`). */
  load: number[];
}

export interface CrashRun {
  records: number;
  limit: number;
  /** Sent before the SIGKILL (the redrive's own count, last read). */
  sentBeforeKill: number;
  status: string;
  sent: number;
  failed: number;
  /** Source records found on the target, and how many of them more than once. */
  distinct: number;
  duplicates: number;
  missing: number;
  load: number[];
}

const kafka = new Kafka({
  clientId: 'eventscope-bench-redrive',
  brokers: BROKERS.split(','),
  logLevel: logLevel.NOTHING,
});
/**
 * An admin client of one run: its metadata never names another run's deleted topics (kafkajs
 * refreshes every topic it has seen before createTopics, and fails on a deleted one).
 */
async function newAdmin(): Promise<Admin> {
  const admin = kafka.admin();
  await admin.connect();
  return admin;
}

const load = (): number[] => loadavg().map((n) => round(n, 2));

/** A DLQ `<prefix>svc.dlq` and the original topic `<prefix>orders`, one partition each, seeded with n records. */
async function seedDlq(admin: Admin, prefix: string, n: number): Promise<{ dlq: string; original: string }> {
  const dlq = `${prefix}svc.dlq`;
  const original = `${prefix}orders`;
  await admin.createTopics({
    topics: [
      { topic: dlq, numPartitions: 1 },
      { topic: original, numPartitions: 1 },
    ],
    waitForLeaders: false,
  });
  // Not kafkajs' waitForLeaders: a busy KRaft broker answers UNKNOWN_TOPIC_OR_PARTITION for a while,
  // which it does not retry (as collector/test/kafka-helpers.ts createTopicsLed says).
  const deadline = Date.now() + 60_000;
  for (;;) {
    const meta = await admin.fetchTopicMetadata({ topics: [dlq, original] }).catch(() => undefined);
    if (meta?.topics.every((t) => t.partitions.length > 0 && t.partitions.every((x) => x.leader >= 0))) break;
    if (Date.now() > deadline) throw new Error(`no leaders for ${dlq} and ${original} in 60 s`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const producer = kafka.producer();
  await producer.connect();
  try {
    for (let from = 0; from < n; from += 1000) {
      await producer.send({
        topic: dlq,
        acks: -1,
        messages: Array.from({ length: Math.min(1000, n - from) }, (_, j) => {
          const i = from + j;
          return {
            key: `k-${i}`,
            value: JSON.stringify({ i }),
            headers: {
              [HEADER.eventId]: `evt-${i}`,
              [DLQ_HEADER.originalTopic]: original,
              [DLQ_HEADER.originalPartition]: '0',
              [DLQ_HEADER.originalOffset]: String(i),
              [DLQ_HEADER.consumerGroup]: `${prefix}svc`,
              [DLQ_HEADER.errorClass]: 'DecodeError',
              [DLQ_HEADER.attempts]: '3',
            },
          };
        }),
      });
    }
  } finally {
    await producer.disconnect();
  }
  return { dlq, original };
}

/** Every record on `topic` (start to end), as headers of text: read by a consumer group of the prefix. */
async function readTarget(admin: Admin, prefix: string, topic: string): Promise<Map<string, string>[]> {
  const end = (await admin.fetchTopicOffsets(topic)).reduce((n, p) => n + Number(p.high) - Number(p.low), 0);
  const out: Map<string, string>[] = [];
  if (end === 0) return out;
  const consumer = kafka.consumer({ groupId: `${prefix}reader-${randomUUID().slice(0, 8)}` });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    let resolveAll!: () => void;
    const all = new Promise<void>((r) => (resolveAll = r));
    await consumer.run({
      eachBatch: ({ batch }) => {
        for (const m of batch.messages) {
          const h = new Map<string, string>();
          for (const [k, v] of Object.entries(m.headers ?? {})) {
            const first = Array.isArray(v) ? v[0] : v;
            if (first !== undefined) h.set(k, first.toString());
          }
          out.push(h);
        }
        if (out.length >= end) resolveAll();
        return Promise.resolve();
      },
    });
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      all,
      new Promise((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`read ${out.length} of ${end} records of ${topic} in 120 s`)),
          120_000,
        );
      }),
    ]).finally(() => clearTimeout(timer));
  } finally {
    await consumer.disconnect();
  }
  return out;
}

async function getRedrive(c: Collector, id: string): Promise<Redrive> {
  const res = await fetch(`${c.url}/api/redrives/${id}`);
  if (res.status !== 200) throw new Error(`GET /api/redrives/${id}: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { redrive: Redrive }).redrive;
}

async function startRedrive(c: Collector, dlq: string, limit: number): Promise<Redrive> {
  const res = await fetch(`${c.url}/api/dlqs/${dlq}/redrives`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ select: { kind: 'all' }, target: { kind: 'original' }, ratePerSecond: limit }),
  });
  if (res.status !== 202) throw new Error(`POST /api/dlqs/${dlq}/redrives: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { redrive: Redrive }).redrive;
}

/** Polls the redrive every 200 ms until `until` answers true, or throws at the deadline. */
async function waitRedrive(
  c: Collector,
  id: string,
  until: (r: Redrive) => boolean,
  deadlineMs: number,
): Promise<Redrive> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    const r = await getRedrive(c, id);
    if (until(r)) return r;
    if (Date.now() > deadline)
      throw new Error(`redrive ${id}: ${r.status}, ${r.sent}/${r.selected} sent at the deadline`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

const ended = (r: Redrive): boolean => r.status !== 'running';

/** Records per second from the redrive-time header: those after the first produce over the time since it. */
export function achievedRate(times: number[]): number {
  const sorted = [...times].sort((a, b) => a - b);
  const first = sorted[0];
  const last = sorted.at(-1);
  if (first === undefined || last === undefined || last === first) return 0;
  return sorted.filter((x) => x > first).length / ((last - first) / 1000);
}

async function rateRun(c: Collector, limit: number, seconds: number): Promise<RateRun> {
  const prefix = `bench-redrive-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}-`;
  const n = Math.max(2, limit * seconds);
  const admin = await newAdmin();
  try {
    const { dlq, original } = await seedDlq(admin, prefix, n);
    const cpu0 = (await c.usage()).cpuUs;
    const t0 = Date.now();
    const r = await startRedrive(c, dlq, limit);
    const done = await waitRedrive(c, r.id, ended, (seconds * 4 + 60) * 1000);
    const wall = (Date.now() - t0) / 1000;
    const cpuUs = (await c.usage()).cpuUs - cpu0;
    if (done.status !== 'completed' || done.sent !== n) {
      throw new Error(`redrive at ${limit}/s: ${done.status}, ${done.sent}/${n} sent, ${done.error ?? ''}`);
    }
    const got = (await readTarget(admin, prefix, original)).filter((h) => h.get(DLQ_REDRIVE_HEADER.redriveId) === r.id);
    const achieved = achievedRate(got.map((h) => Number(h.get(DLQ_REDRIVE_HEADER.redriveAt))));
    return {
      limit,
      records: got.length,
      achieved: round(achieved, 1),
      ratio: round(achieved / limit, 3),
      seconds: round(wall, 1),
      collectorCpuPct: round(cpuUs / 1e4 / wall, 1),
      load: load(),
    };
  } finally {
    await admin.disconnect();
    await deletePrefixed(prefix).catch(() => undefined);
  }
}

/**
 * One crash run: `live.collector` (on `dataDir`) is killed and started again on that data dir;
 * `live` names the running one at every moment (the next run kills it in turn, the caller closes it).
 */
async function crashRun(
  live: { collector: Collector | undefined },
  dataDir: string,
  records: number,
  limit: number,
): Promise<CrashRun> {
  const first = live.collector;
  if (!first) throw new Error('no collector to kill');
  const prefix = `bench-redrive-crash-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}-`;
  const admin = await newAdmin();
  try {
    const { dlq, original } = await seedDlq(admin, prefix, records);
    const r = await startRedrive(first, dlq, limit);
    const before = await waitRedrive(first, r.id, (x) => x.sent >= records / 3 || ended(x), 120_000);
    if (ended(before)) throw new Error(`the redrive ended (${before.status}) before the kill: raise the records`);
    // kill -9: no close, the ledger as the crash left it; wait for the process to be gone.
    process.kill(first.pid, 'SIGKILL');
    live.collector = undefined;
    const gone = Date.now() + 30_000;
    for (;;) {
      try {
        process.kill(first.pid, 0);
      } catch {
        break;
      }
      if (Date.now() > gone) throw new Error('the killed collector is still there after 30 s');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const second = await startCollector({ dataDir });
    live.collector = second;
    const done = await waitRedrive(second, r.id, ended, ((records / limit) * 4 + 60) * 1000);
    const copies = new Map<string, number>();
    for (const h of await readTarget(admin, prefix, original)) {
      if (h.get(DLQ_REDRIVE_HEADER.redriveId) !== r.id) continue;
      const id = h.get(HEADER.eventId) ?? '?';
      copies.set(id, (copies.get(id) ?? 0) + 1);
    }
    let duplicates = 0;
    for (const n of copies.values()) if (n > 1) duplicates += n - 1;
    let missing = 0;
    for (let i = 0; i < records; i++) if (!copies.has(`evt-${i}`)) missing++;
    return {
      records,
      limit,
      sentBeforeKill: before.sent,
      status: done.status,
      sent: done.sent,
      failed: done.failed,
      distinct: copies.size,
      duplicates,
      missing,
      load: load(),
    };
  } finally {
    await admin.disconnect();
    await deletePrefixed(prefix).catch(() => undefined);
  }
}

export interface RedriveOptions {
  /** Rate limits, records per second. */
  limits: number[];
  /** Seconds of records at each limit (records = limit x seconds). */
  seconds: number;
  runs: number;
  crashRuns: number;
  crashRecords: number;
  crashLimit: number;
}

export async function benchRedrive(o: RedriveOptions): Promise<FigureResult> {
  const m = machine();
  const rates: RateRun[] = [];
  const crashes: CrashRun[] = [];
  // One data dir for the whole figure: the rate runs' collector is the first one killed.
  const dataDir = mkdtempSync(join(tmpdir(), 'eventscope-bench-redrive-'));
  const live: { collector: Collector | undefined } = { collector: await startCollector({ dataDir }) };
  try {
    for (let i = 0; i < o.runs; i++) {
      for (const limit of o.limits) {
        progress(`redrive rate run ${i + 1}/${o.runs}: ${limit}/s x ${o.seconds} s`);
        const r = await rateRun(live.collector as Collector, limit, o.seconds);
        progress(
          `  achieved ${r.achieved}/s (${r.ratio} of the limit) in ${r.seconds} s, collector CPU ${r.collectorCpuPct}%, load ${r.load.join(' ')}`,
        );
        rates.push(r);
      }
    }
    for (let i = 0; i < o.crashRuns; i++) {
      progress(
        `redrive crash run ${i + 1}/${o.crashRuns}: ${o.crashRecords} records at ${o.crashLimit}/s, kill -9 at a third`,
      );
      const r = await crashRun(live, dataDir, o.crashRecords, o.crashLimit);
      progress(
        `  ${r.status}: sent ${r.sent} (${r.sentBeforeKill} before the kill), ${r.distinct} distinct, ${r.duplicates} duplicates, ${r.missing} missing`,
      );
      crashes.push(r);
    }
  } finally {
    await live.collector?.close(true);
    rmSync(dataDir, { recursive: true, force: true });
  }
  const duplicates = crashes.reduce((n, r) => n + r.duplicates, 0);
  const missing = crashes.reduce((n, r) => n + r.missing, 0);
  const rows: FigureResult['rows'] = o.limits.map((limit) => {
    const ratios = rates.filter((r) => r.limit === limit).map((r) => r.ratio);
    const s = spread(ratios);
    const med = round(median(ratios), 3);
    return {
      metric: `achieved / limit at ${limit}/s`,
      value: med,
      unit: 'ratio',
      spread: `${s.min}..${s.max}`,
      target: '0.95..1.05',
      meets: med >= 0.95 && med <= 1.05,
    };
  });
  for (const limit of o.limits) {
    const achieved = rates.filter((r) => r.limit === limit).map((r) => r.achieved);
    const s = spread(achieved);
    rows.push({
      metric: `achieved at ${limit}/s`,
      value: round(median(achieved), 1),
      unit: 'records/s',
      spread: `${s.min}..${s.max}`,
    });
  }
  rows.push(
    noneRow('duplicates after kill -9 and resume', duplicates, 'records'),
    noneRow('selected records missing after resume', missing, 'records'),
    { metric: 'records redriven across kills', value: crashes.reduce((n, r) => n + r.records, 0), unit: 'records' },
  );
  return {
    figure: 'figure8-redrive',
    title: 'DLQ redrive: records per second at the configured rate limit, and duplicates after a crash',
    at: new Date().toISOString(),
    machine: finish(m),
    method:
      "A collector in its own process (production app, background work off, auth off) on the real broker. rate: per run and limit, a new one-partition DLQ seeded with limit x seconds records carrying the contract's dlq-* headers, redriven (select all, target the original topic) through POST /api/dlqs/:topic/redrives; the achieved rate is read on the target from each record's dlq-redrive-at header (records after the first produce over the time since it; the token bucket's initial burst is in it); achieved / limit is the median of the runs. crash: a redrive started, the collector SIGKILLed once a third is sent, started again on the same data dir (the engine resumes the redrive from its synced ledger, reading back the records in doubt), run to completion; the copies of each source record (event-id) on the target are counted.",
    params: { ...o },
    rows,
    notes: [
      ...rates.map(
        (r) =>
          `rate ${r.limit}/s: ${r.records} records, achieved ${r.achieved}/s (${r.ratio}), ${r.seconds} s, collector CPU ${r.collectorCpuPct}% of a core, load ${r.load.join(' ')}`,
      ),
      ...crashes.map(
        (r) =>
          `crash: ${r.records} records at ${r.limit}/s, ${r.sentBeforeKill} sent before kill -9; after resume ${r.status}, sent ${r.sent}, failed ${r.failed}, ${r.distinct} distinct on the target, ${r.duplicates} duplicates, ${r.missing} missing, load ${r.load.join(' ')}`,
      ),
    ],
    raw: { rates, crashes },
  };
}

export async function main(): Promise<void> {
  const limits = (process.env.BENCH_REDRIVE_LIMITS ?? '50,500,2000').split(',').map((x) => {
    const n = Number(x);
    if (!Number.isSafeInteger(n) || n < 1 || n > 10_000)
      throw new Error(`BENCH_REDRIVE_LIMITS: '${x}' is not 1..10000`);
    return n;
  });
  const result = await benchRedrive({
    limits,
    seconds: intEnv('BENCH_REDRIVE_SECONDS', 10),
    runs: intEnv('BENCH_REDRIVE_RUNS', 3),
    crashRuns: intEnv('BENCH_REDRIVE_CRASH_RUNS', 2),
    crashRecords: intEnv('BENCH_REDRIVE_CRASH_RECORDS', 3000),
    crashLimit: intEnv('BENCH_REDRIVE_CRASH_LIMIT', 500),
  });
  printTable(result);
  progress(`wrote ${writeResult(result)}`);
}

if (import.meta.main) await main();
