/**
 * A smoke run of figure 2 on PostgreSQL (src/ingest-postgres.ts) at tiny sizes, so it cannot
 * rot: one collector and two on one database each store every span sent once. It asserts the
 * results are produced and sane, never a timing. Needs the PostgreSQL of
 * BENCH_POSTGRES_ADMIN_URL (default: 127.0.0.1:5432, user postgres).
 */
import { describe, expect, it } from 'vitest';
import { benchIngestPostgres, type PgIngestRun } from '../src/ingest-postgres.ts';

describe('figure 2 on PostgreSQL (smoke, tiny sizes)', () => {
  it('stores every span once with one collector and with two on one database', async () => {
    const adminUrl = process.env.BENCH_POSTGRES_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
    const r = await benchIngestPostgres({ spans: 600, runs: 1, spansPerRequest: 100, concurrency: 2, adminUrl });
    const runs = r.raw as PgIngestRun[];
    expect(runs.map((x) => x.collectors).sort()).toEqual([1, 2]);
    for (const x of runs) {
      // Every generated span is a publish or a delivery, stored once whichever collector got it.
      expect(x.storedHops).toBe(x.spans);
      expect(x.spans).toBeGreaterThanOrEqual(600);
      expect(x.collectorCpuMsPer1000).toHaveLength(x.collectors);
      for (const ms of x.collectorCpuMsPer1000) expect(ms).toBeGreaterThan(0);
      expect(x.postgresCpuMsPer1000).toBeGreaterThanOrEqual(0);
    }
    expect(r.rows.find((x) => x.metric === 'two / one collector throughput')?.value).toBeGreaterThan(0);
    expect(r.rows.find((x) => x.metric === 'one collector: ingest')?.target).toBe('-');
  }, 120_000);
});
