/**
 * The loss audit with a real skip (issue #22): the demo on the real broker, its inventory
 * consumer made to commit past every 5th `inventory.reserve` record without processing it
 * (DEMO_FAULT_SKIP_EVERY, its span dropped as if it never saw the record), which logs each one:
 * the ground truth. The audit must find exactly those records skipped (precision and recall 1),
 * each decided within the grace and decision periods, and count them as loss in the API, the
 * metric and the overview; nothing else is loss.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { Static } from 'typebox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startIsolatedDemo, type LoadgenSummary, type RunningDemo } from '@eventscope/demo-services';
import type { Overview } from '../src/api/schemas.ts';
import type { AuditView } from '../src/flows/schemas.ts';
import type { UnaccountedEntry } from '../src/store/types.ts';
import { AUDIT, score, settledFindings } from './audit-helpers.ts';
import { demoOn, demoSuitePlaces, getJson, startCollector, stopDemoSuite, type Collector } from './demo-helpers.ts';
import { metricValue } from './traces-helpers.ts';

const { prefix, storeDir, demoDir } = demoSuitePlaces('audit-skip');
const skipLog = path.join(demoDir, 'skipped.txt');
let collector: Collector | undefined;
let demo: RunningDemo | undefined;
let summary: LoadgenSummary;
let findings: UnaccountedEntry[] = [];
let truth: { topic: string; partition: number; offset: number; eventId: string }[] = [];

beforeAll(async () => {
  collector = await startCollector(prefix, storeDir, 0, AUDIT);
  const summaryFile = path.join(storeDir, 'loadgen.json');
  demo = await startIsolatedDemo({
    ...demoOn(prefix, demoDir, collector.otlpPort),
    loadgenArgs: ['--count', '90', '--rate', '20', '--concurrency', '16', '--quiet'],
    summaryFile,
    env: {
      DEMO_FAULT_SKIP_EVERY: '5',
      DEMO_FAULT_SKIP_TOPIC: 'inventory.reserve',
      DEMO_FAULT_SKIP_LOG: skipLog,
      // A skipped reservation gets no reply: its saga times out (and is compensated) after this.
      DEMO_STEP_TIMEOUT_MS: '3000',
    },
  });
  const pending = demo.summary;
  if (!pending) throw new Error('startDemo gave no summary promise');
  summary = await pending;
  // The truth: the records the fault skipped (its log), less any whose event the inventory
  // service processed anyway, from another copy (a producer retry wrote it twice): not lost.
  const inventoryDb = new Database(path.join(demoDir, `${prefix}inventory.sqlite`), { readonly: true });
  const processed = new Set(
    inventoryDb
      .prepare<[], { event_id: string }>('SELECT event_id FROM processed_events')
      .all()
      .map((r) => r.event_id),
  );
  inventoryDb.close();
  const logged = existsSync(skipLog)
    ? readFileSync(skipLog, 'utf8')
        .trim()
        .split('\n')
        .map((line) => {
          const [topic = '', partition = '', offset = '', eventId = ''] = line.split(' ');
          return { topic, partition: Number(partition), offset: Number(offset), eventId };
        })
    : [];
  truth = logged.filter(
    (t, i) =>
      !processed.has(t.eventId) && logged.findIndex((u) => u.offset === t.offset && u.partition === t.partition) === i,
  );
  // Every group of this demo: the services' and the load generator's own.
  findings = await settledFindings(collector.app, (g) => g.startsWith(prefix), Date.now());
}, 170_000);

afterAll(() => stopDemoSuite(prefix, demo, collector, [storeDir, demoDir]), 120_000);

describe('loss audit with a consumer that commits past records without processing them', () => {
  it('the fault really skipped records, and their sagas timed out', () => {
    expect(truth.length).toBeGreaterThanOrEqual(5);
    expect(truth.every((t) => t.topic === `${prefix}inventory.reserve`)).toBe(true);
    expect(summary.placed).toBe(90);
    expect(summary.pending).toBe(0);
    expect(summary.compensated + summary.failed).toBeGreaterThanOrEqual(truth.length);
  });

  it('finds exactly the skipped records as skipped, each within the grace and decision periods', async () => {
    const s = score(findings, truth);
    console.log(`audit with a real skip: ${s.summary}`);
    const skipped = findings.filter((f) => f.class === 'skipped');
    const key = (f: { topic: string; partition: number; offset: number }): string =>
      `${f.topic} ${f.partition} ${f.offset}`;
    // What the collector has of a skipped record it did not call skipped (to tell why, should it fail).
    for (const t of truth.filter((x) => !skipped.some((f) => key(f) === key(x)))) {
      const hops = await (collector as Collector).app.store.event(t.eventId);
      console.log(
        `not found skipped: ${key(t)}`,
        JSON.stringify(findings.find((f) => key(f) === key(t)) ?? null),
        JSON.stringify(hops.deliveries.map((d) => [d.group, d.service, d.offset, d.outcome, d.startUs])),
      );
    }
    expect(skipped.map(key).sort()).toEqual(truth.map(key).sort());
    for (const f of skipped) {
      expect(f.group).toBe(`${prefix}inventory`);
      expect(f.reason).toBe('no-effect');
      expect(f.eventId).toBe(truth.find((t) => key(t) === key(f))?.eventId);
      // Found once past the grace period, decided once the decision period ran out (plus two audit runs).
      expect((f.decidedUs ?? Infinity) - f.detectedUs).toBeLessThanOrEqual((AUDIT.auditDecideMs + 3_000) * 1000);
    }
    expect(s.precision).toBe(1);
    expect(s.recall).toBe(1);
  });

  it('counts them as loss in the API, the metric and the overview', async () => {
    const app = (collector as Collector).app;
    const audit = (await getJson<Static<typeof AuditView>>(app, '/api/audit?limit=1000')).body;
    const mine = audit.unaccounted.filter((u) => u.group.startsWith(prefix));
    expect(mine).toHaveLength(truth.length);
    expect(mine.every((u) => u.class === 'skipped' && u.service === 'inventory')).toBe(true);
    expect(audit.counts.loss.filter((l) => l.group.startsWith(prefix))).toEqual([
      {
        cluster: app.config.kafkaClusterName,
        group: `${prefix}inventory`,
        topic: `${prefix}inventory.reserve`,
        count: truth.length,
      },
    ]);
    const only = (await getJson<Static<typeof AuditView>>(app, '/api/audit?class=skipped&limit=1000')).body;
    expect(only.findings.filter((u) => u.group.startsWith(prefix))).toHaveLength(truth.length);
    expect(
      await metricValue(app, 'eventscope_unaccounted_total', {
        group: `${prefix}inventory`,
        topic: `${prefix}inventory.reserve`,
      }),
    ).toBe(truth.length);
    const overview = (await getJson<Overview>(app, '/api/overview')).body;
    expect(overview.unaccounted).toBe(truth.length);
    expect((await app.inject('/api/audit?class=lost')).statusCode).toBe(400);
  });
});
