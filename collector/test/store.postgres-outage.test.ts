/**
 * PostgreSQL going away and coming back under a running collector: /readyz reports the store,
 * the intake queue holds what it accepted and refuses with 503 + Retry-After once full, and
 * everything accepted is stored once the server is back. Uses a server devstack starts on a
 * free port (stopped and started with pg_ctl), never the shared one.
 */
import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensurePostgres, freePort, pgCtl, type PostgresHandle } from '@eventscope/devstack';
import { removeDir, startApp, waitFor, type TestApp } from './harness.ts';
import { kafkaSpan, postSpans, serviceSpans } from './traces-helpers.ts';

let pg: PostgresHandle;
let port: number;
let t: TestApp;
beforeAll(async () => {
  port = await freePort();
  pg = await ensurePostgres(`postgres://postgres@127.0.0.1:${port}/eventscope_outage`);
  t = await startApp({ overrides: { store: 'postgres', postgresUrl: pg.url, intakeQueueSpans: 100 } });
}, 120_000);
afterAll(async () => {
  await t?.close();
  if (t) removeDir(t.dataDir);
  // Started by devstack, stopped and started again here with pg_ctl: stopped with pg_ctl.
  if (pg?.dataDir) {
    await pgCtl(pg.dataDir, 'stop').catch(() => undefined);
    await pg.stop();
    rmSync(pg.dataDir, { recursive: true, force: true });
  }
});

/** What /readyz says about the store (other capabilities, Kafka's among them, are not this test's). */
async function storeCheck(app: TestApp['app']): Promise<string | undefined> {
  const res = await app.inject({ method: 'GET', url: '/readyz' });
  return res.json<{ checks: Record<string, string> }>().checks.store;
}

const spansOf = (ids: string[]) =>
  serviceSpans(
    'orders-api',
    ids.map((eventId, i) => kafkaSpan({ kind: 'producer', topic: 'orders', eventId, startMs: Date.now() - 1_000 + i })),
  );

describe('a PostgreSQL outage', () => {
  it('is reported by /readyz, held in the intake queue (503 + Retry-After when full), and loses nothing', async () => {
    const { app } = t;
    const before = Array.from({ length: 5 }, () => randomUUID());
    await postSpans(app, [spansOf(before)]);
    expect(await storeCheck(app)).toBe('ok');

    await pgCtl(pg.dataDir as string, 'stop');
    const down = await waitFor('/readyz to report the store', async () => {
      const check = await storeCheck(app);
      return check !== 'ok' ? check : undefined;
    });
    expect(down).toMatch(/PostgreSQL/);

    // Spans keep being accepted into the queue until it is full; then 503 with a Retry-After.
    const accepted: string[] = [];
    let refused: { status: number; retryAfter: string | string[] | undefined } | undefined;
    for (let i = 0; i < 20 && refused === undefined; i++) {
      const ids = Array.from({ length: 30 }, () => randomUUID());
      const res = await app.inject({
        method: 'POST',
        url: '/v1/traces',
        headers: { 'content-type': 'application/json' },
        payload: { resourceSpans: [spansOf(ids)] },
      });
      if (res.statusCode === 200) accepted.push(...ids);
      else refused = { status: res.statusCode, retryAfter: res.headers['retry-after'] };
    }
    expect(refused?.status).toBe(503);
    expect(refused?.retryAfter).toMatch(/^\d+$/);
    expect(accepted.length).toBeGreaterThanOrEqual(60);

    await pgCtl(pg.dataDir as string, 'start', port);
    await waitFor(
      'every accepted span stored',
      async () => ((await app.store.stats()).rows.publishes === before.length + accepted.length ? true : undefined),
      60_000,
    );
    for (const id of [...before, ...accepted]) expect((await app.store.event(id)).publishes).toHaveLength(1);
    expect(await storeCheck(app)).toBe('ok');
  });
});
