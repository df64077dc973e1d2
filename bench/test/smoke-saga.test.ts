/**
 * A smoke run of the figures that need real saga traffic (1: tracing overhead, 6: end-to-end
 * latency) at tiny sizes, so their harness cannot rot: demos with their own prefixes start,
 * the load generator's ground truth comes back, the collector's API answers for every saga,
 * results are sane. It asserts that results are produced, never a timing. The two run
 * concurrently (most of a demo's start is waiting on the broker).
 */
import { describe, expect, it } from 'vitest';
import { benchE2e, type E2eSaga } from '../src/e2e.ts';
import { benchOverhead, throughput, type OverheadRun } from '../src/overhead.ts';
import type { LoadgenSummary } from '@eventscope/demo-services';

describe('bench harness with demo traffic (smoke, tiny sizes)', () => {
  it('throughput counts terminal sagas over first placed -> last handled', () => {
    const saga = (placedAt: number | null, handledAt: number | null): LoadgenSummary['sagas'][number] => ({
      orderId: 'o',
      placedEventId: null,
      outcome: handledAt === null ? null : 'completed',
      terminalEventId: null,
      terminalEventType: null,
      placedAt,
      handledAt,
      latencyMs: placedAt !== null && handledAt !== null ? handledAt - placedAt : null,
    });
    const s = { sagas: [saga(1000, 1500), saga(1200, 3000), saga(1300, null)] } as LoadgenSummary;
    expect(throughput(s)).toEqual({ terminal: 2, seconds: 2, perSec: 1 });
  });

  it.concurrent(
    "compares the collector's end-to-end latency with the load generator's, per saga",
    async () => {
      const r = await benchE2e({ orders: 6, rate: 10, runs: 1 });
      const sagas = r.raw as E2eSaga[];
      expect(r.notes.join(' ')).not.toMatch(/not seen in full/);
      expect(sagas.length).toBeGreaterThanOrEqual(5);
      for (const s of sagas) {
        expect(s.loadgenMs).toBeGreaterThan(0);
        // The same saga seen from both sides: within a second of each other on an idle or busy machine.
        expect(Math.abs((s.officialMs as number) - s.loadgenMs)).toBeLessThan(1000);
        expect(Math.abs((s.sameClockMs as number) - s.loadgenMs)).toBeLessThan(1000);
      }
      expect(r.rows.filter((x) => x.target === 'within 1 ms')).toHaveLength(2);
    },
    150_000,
  );

  it.concurrent(
    'runs the saga with tracing on and off, interleaved, and reports the throughput ratio',
    async () => {
      const r = await benchOverhead({ orders: 6, rate: 50, pairs: 1, warmupPairs: 1 });
      const runs = r.raw as OverheadRun[];
      // The warm-up pair ran first and is not among the counted runs.
      expect(runs.map((x) => x.tracing)).toEqual([true, false]);
      expect(runs.map((x) => x.pair)).toEqual([0, 0]);
      expect(r.notes).toContain('1 warm-up pair(s) run first, not counted');
      for (const x of runs) {
        expect(x.terminal).toBe(6);
        expect(x.sagasPerSec).toBeGreaterThan(0);
      }
      const ratio = r.rows.find((x) => x.unit === 'ratio');
      expect(ratio?.target).toBe('>= 0.95');
      expect(Number(ratio?.value)).toBeGreaterThan(0);
      // The traced run's spans reached the collector (counted runs only: 6 sagas); the untraced one sent none.
      expect(r.notes.join(' ')).toMatch(/stored 6 sagas/);
    },
    240_000,
  );
});
