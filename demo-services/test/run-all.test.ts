/** `run-all` / startDemo(): every service plus a steady load generator from one call, stopped by one call. */
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

afterAll(async () => {
  await demo?.stop();
  await t?.cleanup();
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
