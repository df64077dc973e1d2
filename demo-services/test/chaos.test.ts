/**
 * Chaos: three inventory instances in one consumer group; the load generator SIGKILLs one and
 * restarts it every few seconds (after the group recovered from the previous kill) while
 * 2,000 orders flow. Every order must reach a terminal state, no event may be lost and no side
 * effect may happen twice: checked from the load generator's ground truth, every store, and
 * the group's committed offsets against the topic's end offsets.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LoadgenSummary } from '../src/loadgen/run.ts';
import { ServiceProcess } from '../src/supervisor.ts';
import { committedOffsets, createTestEnv, endOffsets, readTopic, waitFor, type TestEnv } from './helpers.ts';

const ORDERS = Number(process.env.DEMO_CHAOS_ORDERS ?? 2000);
let t: TestEnv;

beforeAll(async () => {
  t = await createTestEnv('chaos', {
    DEMO_SESSION_TIMEOUT_MS: '6000',
    // The machine may be busy: a slow step must not turn into a timeout here; timeouts are tested elsewhere.
    DEMO_STEP_TIMEOUT_MS: '300000',
  });
  await Promise.all(['order', 'orchestrator', 'payment', 'notification'].map((s) => t.start(s)));
}, 120_000);

afterAll(() => t?.cleanup(), 60_000);

describe('chaos', () => {
  it(`${ORDERS} orders with an inventory instance SIGKILLed and restarted every few seconds: all terminal, none lost, none applied twice`, async () => {
    const jsonOut = path.join(t.dataDir, 'loadgen.json');
    const output: string[] = [];
    const loadgen = new ServiceProcess('loadgen', 'loadgen', {
      env: t.env,
      args: [
        '--count',
        String(ORDERS),
        '--rate',
        '30',
        '--spawn',
        'inventory:3',
        '--chaos-interval-ms',
        '3000',
        '--chaos-min-kills',
        '4',
        '--drain-timeout',
        '120',
        '--concurrency',
        '16',
        '--json-out',
        jsonOut,
      ],
      output: (line) => output.push(line),
    });
    t.processes.push(loadgen.start());
    const code = await Promise.race([
      loadgen.exit,
      new Promise<never>((_, reject) =>
        setTimeout(() => reject(new Error(`loadgen did not finish:\n${output.slice(-30).join('\n')}`)), 230_000),
      ),
    ]);
    expect(code, output.slice(-30).join('\n')).toBe(0);
    const summary = JSON.parse(readFileSync(jsonOut, 'utf8')) as LoadgenSummary;
    console.log(output.slice(-12).join('\n'));

    // Ground truth of the load generator.
    expect(summary.placed).toBe(ORDERS);
    expect(summary.pending).toBe(0);
    expect(summary.completed).toBe(ORDERS);
    expect(summary.httpErrors).toBe(0);
    expect(summary.chaosKills).toBeGreaterThanOrEqual(4);

    // Stores: every saga completed, exactly one reservation and one charge per order.
    const sagas = t.store('orchestrator').prepare('SELECT status, count(*) AS n FROM sagas GROUP BY status').all();
    expect(sagas).toEqual([{ status: 'COMPLETED', n: ORDERS }]);
    const inventory = t.store('inventory');
    const perOrder = inventory
      .prepare(
        'SELECT count(DISTINCT order_id) AS orders, max(n) AS most FROM (SELECT order_id, count(DISTINCT reservation_id) AS n FROM reservations GROUP BY order_id)',
      )
      .get() as { orders: number; most: number };
    expect(perOrder).toEqual({ orders: ORDERS, most: 1 });
    const stockDrift = inventory
      .prepare(
        `SELECT count(*) AS n FROM stock s WHERE s.reserved !=
           (SELECT coalesce(sum(quantity), 0) FROM reservations r WHERE r.sku = s.sku AND r.status = 'RESERVED')`,
      )
      .get() as { n: number };
    expect(stockDrift.n).toBe(0);
    const charges = t
      .store('payment')
      .prepare('SELECT count(DISTINCT order_id) AS orders, count(*) AS n FROM charges')
      .get() as { orders: number; n: number };
    expect(charges).toEqual({ orders: ORDERS, n: ORDERS });
    expect(t.store('notification').prepare('SELECT count(*) AS n FROM notifications').get()).toEqual({ n: ORDERS });

    // Kafka: every inventory.reserve record was processed (none lost), and the group's committed
    // offsets reached the end of every partition.
    const reserveTopic = t.names.topic('inventory.reserve');
    const records = await readTopic(t.kafka, reserveTopic, 60_000);
    const eventIds = new Set(records.map((r) => r.headers['event-id']));
    expect(eventIds.size).toBe(ORDERS);
    const processed = inventory
      .prepare("SELECT event_id FROM processed_events WHERE event_type = 'inventory.reserve'")
      .all()
      .map((r) => (r as { event_id: string }).event_id);
    expect(new Set(processed)).toEqual(eventIds);
    const ends = await endOffsets(t.kafka, reserveTopic);
    await waitFor('inventory group committed to the end of inventory.reserve', async () => {
      const committed = await committedOffsets(t.kafka, t.names.group('inventory'), reserveTopic);
      return [...ends].every(([p, end]) => committed.get(p) === end);
    });
    const duplicates =
      (inventory.prepare("SELECT value FROM stats WHERE name = 'duplicates'").get() as { value: number } | undefined)
        ?.value ?? 0;
    console.log(
      `chaos: ${summary.chaosKills} kills, ${duplicates} redelivered inventory records skipped as duplicates, ` +
        `group stable again after ${summary.chaosRecoveryMs.join(', ')} ms, e2e p50 ${summary.latencyMs.p50} ms`,
    );
  }, 300_000);
});
