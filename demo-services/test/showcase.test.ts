/**
 * The demo's default load (`--showcase`, what `npm start` runs) shows every pattern within its
 * first orders, whatever the rate: declines with compensation, sold-out rejects, poison
 * records in the DLQ, duplicate deliveries, and a consumer group that falls behind and catches up.
 */
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_LOADGEN_ARGS, loadgenArgs, startDemo, STEADY_LOADGEN_ARGS, type RunningDemo } from '../src/run-all.ts';
import { createTestEnv, waitFor, type TestEnv } from './helpers.ts';

let t: TestEnv | undefined;
let demo: RunningDemo | undefined;

afterAll(async () => {
  await demo?.stop();
  await t?.cleanup();
}, 60_000);

describe('run-all load generator arguments', () => {
  it('defaults to the showcase; --steady alone is orders only; anything else is passed on', () => {
    expect(loadgenArgs(undefined)).toEqual(DEFAULT_LOADGEN_ARGS);
    expect(DEFAULT_LOADGEN_ARGS).toContain('--showcase');
    expect(loadgenArgs(['--steady'])).toEqual(STEADY_LOADGEN_ARGS);
    expect(STEADY_LOADGEN_ARGS).not.toContain('--showcase');
    expect(loadgenArgs(['--count', '3'])).toEqual(['--count', '3']);
  });
});

describe('the showcase load', () => {
  it('shows declines, rejects, poison records, duplicates and a lagging group in its first 60 orders', async () => {
    t = await createTestEnv('showcase', { ORDER_PORT: '0' });
    const file = path.join(t.dataDir, 'loadgen.json');
    const lines: string[] = [];
    // 60 orders at 6/s: 10 s of placing. The analytics group pauses from 2 s to 7 s.
    demo = await startDemo({
      env: t.env,
      loadgenArgs: ['--count', '60', '--rate', '6', '--showcase', '--lag-pulse', '2,60,5'],
      summaryFile: file,
      output: (line) => lines.push(line),
    });
    const env = t;
    const admin = env.kafka.admin();
    await admin.connect();
    const group = env.names.group('analytics');
    const topic = env.names.topic('order.placed');
    const lag = async (): Promise<number> => {
      const [offsets] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
      const ends = await admin.fetchTopicOffsets(topic);
      let total = 0;
      for (const end of ends) {
        const committed = Number(offsets?.partitions.find((p) => p.partition === end.partition)?.offset ?? '-1');
        // No commit yet (-1): nothing read, nothing known to be behind.
        if (committed >= 0) total += Number(end.high) - committed;
      }
      return total;
    };
    try {
      await waitFor('the analytics group to fall behind', async () => (await lag()) >= 10, 30_000);
      await waitFor('the analytics group to catch up', async () => (await lag()) === 0, 40_000);
    } finally {
      await admin.disconnect();
    }
    const summary = await demo.summary!.catch((error: unknown) => {
      console.log(lines.slice(-40).join('\n'));
      throw error;
    });
    expect(summary.placed).toBe(60);
    expect(summary.pending).toBe(0);
    expect(summary.compensated).toBeGreaterThanOrEqual(3); // orders 17, 34, 51 declined
    expect(summary.failed).toBeGreaterThanOrEqual(2); // orders 23, 46 for the sold-out SKU
    expect(summary.poisonSent).toBe(2); // after orders 29 and 58
    expect(summary.duplicatesSent).toBeGreaterThanOrEqual(1);
    expect(lines.join('\n')).toMatch(/analytics consumer pauses for 5 s/);
    await waitFor(
      'the poison records in dead_letters',
      () => {
        const dead = env.store('inventory').prepare('SELECT event_id FROM dead_letters').all() as {
          event_id: string;
        }[];
        const ids = new Set(dead.map((d) => d.event_id));
        return summary.poisonEventIds.every((id) => ids.has(id));
      },
      30_000,
    );
  }, 150_000);
});
