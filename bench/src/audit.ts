/**
 * Figure 7: the loss audit's precision and recall on demo traffic with real kills and a real
 * skip (issue #22). Two scenarios, each BENCH_AUDIT_RUNS times, on the real broker:
 * - chaos: two extra inventory instances SIGKILLed and restarted every 2 s under load; the
 *   load generator's ground truth says nothing was lost, so every `skipped` is a false alarm;
 * - skip: the inventory consumer commits past every 5th `inventory.reserve` record without
 *   processing it (DEMO_FAULT_SKIP_EVERY) and logs each one: the ground truth of loss.
 * A collector in this process (the production app, audit periods shortened: grace 2 s,
 * decision 20 s) receives the spans; once every finding is decided, `skipped` findings are
 * compared with the truth: precision = right / skipped found, recall = right / really skipped.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { type LoadgenSummary, startIsolatedDemo } from '@eventscope/demo-services';
import { buildApp, createOtlpServer, loadConfig, type UnaccountedEntry } from '@eventscope/collector';
import { BROKERS, REGISTRY_URL, deletePrefixed } from './lib/demo.ts';
import { finish, machine } from './lib/machine.ts';
import { intEnv, noneRow, printTable, progress, writeResult, type FigureResult } from './lib/results.ts';

const GRACE_MS = 2_000;
const DECIDE_MS = 20_000;
const SERVICES = ['order', 'orchestrator', 'inventory', 'payment', 'notification'];

interface RunResult {
  scenario: 'chaos' | 'skip';
  kills: number;
  placed: number;
  completed: number;
  findings: number;
  truth: number;
  skipped: number;
  right: number;
  telemetryMissing: number;
  unknown: number;
  /** Detection to decision of the skipped findings, max (ms). */
  decideMaxMs: number; /** Records really skipped that were not found skipped: what the collector had of them. */
  missed: { record: string; finding: string; groupDeliveries: (number | null)[] }[];
  /** Skipped records whose event the service processed from another copy (not lost, not in the truth). */
  copies: number;
}

const key = (f: { topic: string; partition: number; offset: number }): string =>
  `${f.topic} ${f.partition} ${f.offset}`;

async function runOnce(scenario: 'chaos' | 'skip', orders: number): Promise<RunResult> {
  const prefix = `bench-audit-${scenario}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}.`;
  const dir = mkdtempSync(join(tmpdir(), 'eventscope-bench-audit-'));
  const skipLog = join(dir, 'skipped.txt');
  const config = loadConfig(
    { KAFKA_BROKERS: BROKERS, SCHEMA_REGISTRY_URL: REGISTRY_URL },
    {
      dataDir: join(dir, 'store'),
      port: 0,
      otlpPort: 0,
      otlpGrpcPort: 0,
      pollIntervalMs: 1000,
      groupsInclude: `${prefix}*`,
      dlqPattern: `${prefix}*.dlq`,
      auditGraceMs: GRACE_MS,
      auditDecideMs: DECIDE_MS,
    },
  );
  const app = await buildApp({ config, background: true });
  const otlp = await createOtlpServer(app);
  await app.ready();
  await otlp.listen({ host: '127.0.0.1', port: 0 });
  const address = otlp.server.address();
  const otlpPort = typeof address === 'object' && address ? address.port : 0;
  try {
    const demo = await startIsolatedDemo({
      prefix,
      dataDir: join(dir, 'demo'),
      brokers: BROKERS,
      registryUrl: REGISTRY_URL,
      otlpEndpoint: `http://127.0.0.1:${otlpPort}`,
      summaryFile: join(dir, 'loadgen.json'),
      loadgenArgs:
        scenario === 'chaos'
          ? ['--count', String(orders), '--rate', '30', '--spawn', 'inventory:2', '--chaos-interval-ms', '2000'].concat(
              ['--chaos-min-kills', '4', '--concurrency', '16', '--quiet'],
            )
          : ['--count', String(orders), '--rate', '20', '--concurrency', '16', '--quiet'],
      env:
        scenario === 'skip'
          ? {
              DEMO_FAULT_SKIP_EVERY: '5',
              DEMO_FAULT_SKIP_TOPIC: 'inventory.reserve',
              DEMO_FAULT_SKIP_LOG: skipLog,
              DEMO_STEP_TIMEOUT_MS: '3000',
            }
          : {},
    });
    let summary: LoadgenSummary;
    try {
      summary = (await demo.summary) as LoadgenSummary;
      const groups = SERVICES.map((s) => `${prefix}${s}`);
      const examinedAfter = Date.now() + GRACE_MS + 3_000;
      const deadline = examinedAfter + DECIDE_MS + 60_000;
      for (;;) {
        if (Date.now() >= examinedAfter) {
          await app.flows.audit();
          const open = (await app.store.openFindings(1000)).filter((f) => groups.includes(f.group));
          if (open.length === 0) break;
        }
        if (Date.now() > deadline) throw new Error('the audit did not decide every finding in time');
        await new Promise((r) => setTimeout(r, 1000));
      }
      const findings: UnaccountedEntry[] = (await app.store.unaccounted(100_000)).filter((f) =>
        groups.includes(f.group),
      );
      // The truth: the records the fault skipped (its log), less any whose event the inventory
      // service processed anyway, from another copy (a producer retry wrote it twice): not lost.
      const processed = new Set<string>();
      if (scenario === 'skip') {
        const db = new DatabaseSync(join(dir, 'demo', `${prefix}inventory.sqlite`), { readOnly: true });
        for (const r of db.prepare('SELECT event_id FROM processed_events').all()) processed.add(String(r.event_id));
        db.close();
      }
      const logLines = existsSync(skipLog) ? readFileSync(skipLog, 'utf8').trim().split('\n') : [];
      const copies = logLines.filter((l) => processed.has(l.split(' ')[3] ?? '')).length;
      const truth = new Set(
        logLines.filter((l) => !processed.has(l.split(' ')[3] ?? '')).map((l) => l.split(' ').slice(0, 3).join(' ')),
      );
      const skipped = findings.filter((f) => f.class === 'skipped');
      const found = new Set(skipped.map(key));
      const missed: RunResult['missed'] = [];
      for (const line of logLines) {
        const [topic = '', partition = '', offset = '', eventId = ''] = line.split(' ');
        const k = `${topic} ${partition} ${offset}`;
        if (found.has(k) || !truth.has(k) || missed.some((m) => m.record.startsWith(k))) continue;
        const f = findings.find((x) => key(x) === k);
        const hops = await app.store.event(eventId);
        missed.push({
          record: `${k} ${eventId}`,
          finding: f ? `${f.class}/${f.reason}` : 'none',
          groupDeliveries: hops.deliveries.filter((d) => d.group === `${prefix}inventory`).map((d) => d.offset),
        });
      }
      return {
        scenario,
        kills: summary.chaosKills,
        placed: summary.placed,
        completed: summary.completed,
        findings: findings.length,
        truth: truth.size,
        skipped: skipped.length,
        right: skipped.filter((f) => truth.has(key(f))).length,
        telemetryMissing: findings.filter((f) => f.class === 'telemetry-missing').length,
        unknown: findings.filter((f) => f.class === 'unknown').length,
        decideMaxMs: Math.max(0, ...skipped.map((f) => ((f.decidedUs ?? f.detectedUs) - f.detectedUs) / 1000)),
        missed,
        copies,
      };
    } finally {
      await demo.stop();
    }
  } finally {
    await otlp.close();
    await app.close();
    await deletePrefixed(prefix).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function benchAudit(o: { runs: number; orders: number }): Promise<FigureResult> {
  const m = machine();
  const runs: RunResult[] = [];
  for (let i = 0; i < o.runs; i++) {
    for (const scenario of ['chaos', 'skip'] as const) {
      progress(`audit ${scenario} run ${i + 1}/${o.runs}`);
      const r = await runOnce(scenario, o.orders);
      progress(
        `  ${scenario}: findings ${r.findings}, skipped ${r.skipped} (right ${r.right} of ${r.truth}), ` +
          `telemetry-missing ${r.telemetryMissing}, unknown ${r.unknown}, kills ${r.kills}`,
      );
      runs.push(r);
    }
  }
  const sum = (s: 'chaos' | 'skip', f: (r: RunResult) => number): number =>
    runs.filter((r) => r.scenario === s).reduce((n, r) => n + f(r), 0);
  const found = sum('chaos', (r) => r.skipped) + sum('skip', (r) => r.skipped);
  const right = sum('skip', (r) => r.right);
  const truth = sum('skip', (r) => r.truth);
  const precision = found === 0 ? 1 : right / found;
  const recall = truth === 0 ? 1 : right / truth;
  const falseAlarms = sum('chaos', (r) => r.skipped);
  const result: FigureResult = {
    figure: 'figure7-audit',
    title: "The loss audit's precision and recall: SIGKILLs under load (nothing lost) and a consumer that skips",
    at: new Date().toISOString(),
    machine: finish(m),
    method:
      'Per run, a collector in-process (production app; audit grace 2 s, decision period 20 s) receives the spans of a demo with its own prefix. chaos: two extra inventory instances SIGKILLed and restarted every 2 s while the orders flow (the load generator checks every saga completed: nothing lost, so every skipped finding is a false alarm). skip: the inventory consumer commits past every 5th inventory.reserve record without processing it, its span dropped (DEMO_FAULT_SKIP_EVERY), logging each: the truth. When every finding is decided, skipped findings are compared with the truth; precision = right / skipped found (both scenarios), recall = right / really skipped.',
    params: { runs: o.runs, orders: o.orders, graceMs: GRACE_MS, decideMs: DECIDE_MS },
    rows: [
      {
        metric: 'precision of skipped (loss) findings',
        value: Number(precision.toFixed(3)),
        unit: 'ratio',
        target: '1',
        meets: precision === 1,
      },
      {
        metric: 'recall of skipped (loss) findings',
        value: Number(recall.toFixed(3)),
        unit: 'ratio',
        target: '1',
        meets: recall === 1,
      },
      noneRow('chaos: loss findings (false alarms)', falseAlarms, 'records'),
      { metric: 'chaos: SIGKILLs', value: sum('chaos', (r) => r.kills), unit: 'kills' },
      { metric: 'chaos: findings (no delivery span)', value: sum('chaos', (r) => r.findings), unit: 'records' },
      { metric: 'chaos: telemetry-missing', value: sum('chaos', (r) => r.telemetryMissing), unit: 'records' },
      { metric: 'chaos: unknown', value: sum('chaos', (r) => r.unknown), unit: 'records' },
      { metric: 'skip: records really skipped', value: truth, unit: 'records' },
      { metric: 'skip: found skipped, right', value: right, unit: 'records' },
      {
        metric: 'skip: other findings (telemetry-missing + unknown)',
        value: sum('skip', (r) => r.telemetryMissing + r.unknown),
        unit: 'records',
      },
      {
        metric: 'skip: detection to decision, max',
        value: Math.round(Math.max(0, ...runs.filter((r) => r.scenario === 'skip').map((r) => r.decideMaxMs))),
        unit: 'ms',
      },
    ],
    notes: runs.map(
      (r) =>
        `${r.scenario}: ${r.placed} orders (${r.completed} completed), ${r.kills} kills; findings ${r.findings}: ` +
        `skipped ${r.skipped} (right ${r.right} of ${r.truth}), telemetry-missing ${r.telemetryMissing}, unknown ${r.unknown}` +
        (r.copies > 0 ? `; ${r.copies} skipped copies of events processed from another copy (not lost)` : '') +
        (r.missed.length > 0 ? `; missed: ${JSON.stringify(r.missed)}` : ''),
    ),
    raw: runs,
  };
  return result;
}

export async function main(): Promise<void> {
  const result = await benchAudit({ runs: intEnv('BENCH_AUDIT_RUNS', 2), orders: intEnv('BENCH_AUDIT_ORDERS', 200) });
  printTable(result);
  progress(`wrote ${writeResult(result)}`);
}

if (import.meta.main) await main();
