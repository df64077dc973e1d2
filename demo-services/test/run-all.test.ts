/** `run-all` / startDemo(): every service plus a steady load generator from one call, stopped by one call. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startDemo, type RunningDemo } from '../src/run-all.ts';
import { createTestEnv, waitFor, type TestEnv } from './helpers.ts';

let t: TestEnv | undefined;

/** What each service did, and each group's state: printed when the test fails. */
async function diagnose(env: TestEnv): Promise<string> {
  const out: string[] = [];
  for (const s of ['order', 'orchestrator', 'inventory', 'payment', 'notification']) {
    try {
      const db = env.store(s);
      const stats = db.prepare('SELECT name, value FROM stats').all();
      const unsent = db.prepare('SELECT count(*) AS n FROM outbox WHERE sent_at IS NULL').get();
      out.push(`${s}: stats ${JSON.stringify(stats)} unsent ${JSON.stringify(unsent)}`);
    } catch (error) {
      out.push(`${s}: ${String(error)}`);
    }
  }
  const admin = env.kafka.admin();
  await admin.connect();
  const { groups } = await admin.describeGroups(
    ['order', 'orchestrator', 'inventory', 'payment', 'notification'].map((s) => env.names.group(s)),
  );
  for (const g of groups) out.push(`group ${g.groupId}: ${g.state}, ${g.members.length} member(s)`);
  await admin.disconnect();
  return out.join('\n');
}
let demo: RunningDemo | undefined;
let t2: TestEnv | undefined;
let demo2: RunningDemo | undefined;

afterAll(async () => {
  await demo?.stop();
  await demo2?.stop();
  await t?.cleanup();
  await t2?.cleanup();
}, 60_000);

describe('startDemo', () => {
  it('runs all services with steady traffic and stops them all', async () => {
    t = await createTestEnv('runall', { ORDER_PORT: '0' });
    const lines: string[] = [];
    demo = await startDemo({
      env: t.env,
      loadgenArgs: ['--rate', '5', '--forever'],
      output: (line) => lines.push(line),
    });
    expect(demo.orderPort).toBeGreaterThan(0);
    expect(demo.services.map((s) => s.name)).toEqual(['order', 'orchestrator', 'inventory', 'payment', 'notification']);
    const orders = t.store('order');
    await waitFor(
      'orders completing under the load generator',
      () =>
        (orders.prepare("SELECT count(*) AS n FROM orders WHERE status = 'COMPLETED'").get() as { n: number }).n >= 5,
      90_000,
    ).catch(async (error: unknown) => {
      console.log(lines.slice(-40).join('\n'));
      console.log(await diagnose(t!));
      throw error;
    });
    const all = [...demo.services, demo.loadgen!];
    await demo.stop();
    for (const p of all) expect(p.running, p.name).toBe(false);
    // Services exit 0 after a graceful stop; the load generator prints its summary on SIGTERM.
    for (const p of demo.services) expect(await p.exit, p.name).toBe(0);
    expect(lines.join('\n')).toMatch(/loadgen summary/);
  }, 150_000);
});

describe('startDemo with a bounded load', () => {
  it("returns the load generator's ground truth per saga, poison record and duplicate", async () => {
    t2 = await createTestEnv('truth', { ORDER_PORT: '0' });
    const file = path.join(t2.dataDir, 'loadgen.json');
    const lines: string[] = [];
    demo2 = await startDemo({
      env: t2.env,
      loadgenArgs: [
        '--count',
        '30',
        '--rate',
        '15',
        '--decline-rate',
        '0.2',
        '--poison-rate',
        '0.1',
        '--duplicate-rate',
        '0.2',
        '--quiet',
      ],
      summaryFile: file,
      output: (line) => lines.push(line),
    });
    const summary = await demo2.summary!.catch((error: unknown) => {
      console.log(lines.slice(-40).join('\n'));
      throw error;
    });
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(summary);
    expect(summary.placed).toBe(30);
    expect(summary.pending).toBe(0);
    expect(summary.sagas).toHaveLength(30);
    // Every order's order.placed event id is the one the order service wrote to its outbox.
    const outbox = t2.store('order');
    const placedIds = new Map(
      (
        outbox.prepare("SELECT key, event_id FROM outbox WHERE event_type = 'order.placed'").all() as {
          key: string;
          event_id: string;
        }[]
      ).map((r) => [r.key, r.event_id]),
    );
    for (const s of summary.sagas) {
      expect(s.placedEventId, s.orderId).toBe(placedIds.get(s.orderId));
      expect(s.outcome).not.toBeNull();
      expect(s.terminalEventId).toMatch(/^[0-9a-f-]{36}$/);
      expect(['order.completed', 'order.failed']).toContain(s.terminalEventType);
      expect(s.latencyMs).toBe(s.handledAt! - s.placedAt!);
      expect(s.latencyMs).toBeGreaterThanOrEqual(0);
    }
    expect(summary.sagas.filter((s) => s.outcome === 'completed')).toHaveLength(summary.completed);
    expect(summary.poisonEventIds).toHaveLength(summary.poisonSent);
    expect(summary.duplicateEventIds).toHaveLength(summary.duplicatesSent);
    for (const id of summary.duplicateEventIds) expect([...placedIds.values()]).toContain(id);
    // The poison records reached inventory's DLQ table under their own event ids.
    await waitFor(
      'the poison records in dead_letters',
      () => {
        const dead = t2!.store('inventory').prepare('SELECT event_id FROM dead_letters').all() as {
          event_id: string;
        }[];
        const ids = new Set(dead.map((d) => d.event_id));
        return summary.poisonEventIds.every((id) => ids.has(id));
      },
      30_000,
    );
  }, 180_000);
});
