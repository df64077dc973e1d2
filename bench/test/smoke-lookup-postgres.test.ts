/**
 * A smoke run of figure 3 on PostgreSQL (src/lookup-postgres.ts) at tiny sizes, so it cannot
 * rot: a seed through POST /v1/traces, copies through the store's partitions (several, small),
 * generated events that look up like their seed, lookups that find every sampled event. It
 * asserts the results are produced and sane, never a timing. Needs the PostgreSQL of
 * BENCH_POSTGRES_ADMIN_URL (default: 127.0.0.1:5432, user postgres).
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { adminUrlFromEnv } from '../src/lib/postgres.ts';
import { benchLookupPostgres } from '../src/lookup-postgres.ts';

describe('figure 3 on PostgreSQL (smoke, tiny sizes)', () => {
  it('fills a store from a seed through its partitions and finds every sampled event', async () => {
    const adminUrl = adminUrlFromEnv();
    const database = `eventscope_bench_lookup_${randomBytes(4).toString('hex')}`;
    const r = await benchLookupPostgres({
      events: 2_000,
      seedSagas: 40,
      samples: 60,
      runs: 1,
      concurrency: 2,
      adminUrl,
      database,
      keep: false,
      partitionRows: 300,
      shapeChecks: 30,
    });
    const params = r.params as { storedEvents: number; rows: { publishes: number; deliveries: number } };
    // Whole copies of a 280-event seed: 8 of them.
    expect(params.storedEvents).toBe(2_240);
    expect(params.rows.publishes).toBe(2_240);
    expect(params.rows.deliveries).toBeGreaterThan(2_240); // 2% retried deliveries
    expect((r.raw as { shape: { checked: number; same: number } }).shape).toEqual({ checked: 30, same: 30 });
    expect(r.notes.some((n) => n.includes('answered other than 200'))).toBe(false);
    expect(r.rows.find((x) => x.metric === 'partitions per hop table (publishes)')?.value).toBeGreaterThan(7);
    const p99 = r.rows.find((x) => x.metric.startsWith('store.event(id) p99'));
    expect(p99?.value).toBeGreaterThan(0);
    expect(p99?.meets).toBeUndefined(); // below 10M the target is not judged
    // Not kept: the database is gone.
    const admin = new pg.Client({ connectionString: adminUrl });
    await admin.connect();
    try {
      const { rowCount } = await admin.query(`SELECT 1 FROM pg_database WHERE datname = $1`, [database]);
      expect(rowCount).toBe(0);
    } finally {
      await admin.end();
    }
  }, 300_000);
});
