/**
 * The loss audit under chaos (issue #22): the demo on the real broker with two extra inventory
 * instances SIGKILLed and restarted every 2 s under load. A killed instance loses the spans in
 * its exporter's buffer, not its records; the load generator's ground truth says every saga
 * completed, so the audit must report no loss: every finding is telemetry-missing or unknown,
 * none skipped (API, metric, overview).
 */
import path from 'node:path';
import type { Static } from 'typebox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startIsolatedDemo, type LoadgenSummary, type RunningDemo } from '@eventscope/demo-services';
import type { Overview } from '../src/api/schemas.ts';
import type { AuditView } from '../src/flows/schemas.ts';
import type { UnaccountedEntry } from '../src/store/types.ts';
import { AUDIT, score, settledFindings } from './audit-helpers.ts';
import { demoOn, demoSuitePlaces, getJson, startCollector, stopDemoSuite, type Collector } from './demo-helpers.ts';
import { metricValue } from './traces-helpers.ts';

const { prefix, storeDir, demoDir } = demoSuitePlaces('audit-chaos');
let collector: Collector | undefined;
let demo: RunningDemo | undefined;
let summary: LoadgenSummary;
let findings: UnaccountedEntry[] = [];

beforeAll(async () => {
  collector = await startCollector(prefix, storeDir, 0, AUDIT);
  demo = await startIsolatedDemo({
    ...demoOn(prefix, demoDir, collector.otlpPort),
    summaryFile: path.join(storeDir, 'loadgen.json'),
    // A killed member's partitions move after the session timeout: the shortest the broker allows.
    env: { DEMO_SESSION_TIMEOUT_MS: '6000' },
    loadgenArgs: [
      '--count',
      '150',
      '--rate',
      '30',
      '--spawn',
      'inventory:2',
      '--chaos-interval-ms',
      '2000',
      '--chaos-min-kills',
      '3',
      '--concurrency',
      '16',
      '--quiet',
    ],
  });
  const pending = demo.summary;
  if (!pending) throw new Error('startDemo gave no summary promise');
  summary = await pending;
  // Every group of this demo: the services' and the load generator's own.
  findings = await settledFindings(collector.app, (g) => g.startsWith(prefix), Date.now());
}, 170_000);

afterAll(() => stopDemoSuite(prefix, demo, collector, [storeDir, demoDir]), 120_000);

describe('loss audit with consumer instances SIGKILLed under load', () => {
  it('the load generator saw nothing lost: every saga completed, with kills', () => {
    expect(summary.chaosKills).toBeGreaterThanOrEqual(3);
    expect(summary.placed).toBe(150);
    expect(summary.pending).toBe(0);
    expect(summary.completed).toBe(150);
  });

  it('reports no loss: no finding is skipped, in the store, the API, the metric and the overview', async () => {
    const app = (collector as Collector).app;
    const s = score(findings, []);
    console.log(`audit under chaos (${summary.chaosKills} kills): ${s.summary}`);
    expect(findings.filter((f) => f.class === 'skipped')).toEqual([]);
    expect(findings.every((f) => f.decidedUs !== null)).toBe(true);
    const audit = (await getJson<Static<typeof AuditView>>(app, '/api/audit?limit=1000')).body;
    expect(audit.unaccounted.filter((u) => u.group.startsWith(prefix))).toEqual([]);
    expect(audit.counts.loss.filter((l) => l.group.startsWith(prefix))).toEqual([]);
    // What was lost was telemetry: counted per group and service, like the store has it.
    const gaps = findings.filter((f) => f.class === 'telemetry-missing');
    const gapsInApi = audit.counts.telemetryGaps
      .filter((g) => g.group.startsWith(prefix))
      .reduce((n, g) => n + g.count, 0);
    expect(gapsInApi).toBe(gaps.length);
    for (const g of gaps) expect(g.reason === 'caused-event' || g.reason === 'late-span').toBe(true);
    for (const group of new Set(findings.map((f) => f.group))) {
      expect(await metricValue(app, 'eventscope_unaccounted_total', { group })).toBe(0);
    }
    const overview = (await getJson<Overview>(app, '/api/overview')).body;
    expect(overview.unaccounted).toBe(0);
  });
});
