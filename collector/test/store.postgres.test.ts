import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import pg from 'pg';
import { PostgresStore } from '../src/store/postgres.ts';
import { SqliteStore } from '../src/store/sqlite.ts';
import type { Store } from '../src/store/types.ts';
import { createTestDatabase, randomName } from './postgres-helpers.ts';
import { delivery, publish, storeSuite } from './store.suite.ts';

let db: Awaited<ReturnType<typeof createTestDatabase>>;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db.drop();
});

/** Small partitions, so the suite's 2,000 rows span several and retention by size drops some. */
const PARTITION_ROWS = 200;
const schemas = new WeakMap<Store, string>();
const open = (schema: string, partitionSeconds = 3600): Promise<PostgresStore> =>
  PostgresStore.open({ url: db.url, poolSize: 4, partitionRows: PARTITION_ROWS, partitionSeconds, schema });

storeSuite('postgres', {
  async create() {
    const schema = randomName('s');
    const store = await open(schema);
    schemas.set(store, schema);
    return store;
  },
  async reopen(previous) {
    const schema = schemas.get(previous) as string;
    const store = await open(schema);
    schemas.set(store, schema);
    return store;
  },
});

describe('postgres store: migrations, partitions, several writers', () => {
  /** A second pool on a store's schema: what a second collector process would hold. */
  const admin = (): pg.Client => new pg.Client({ connectionString: db.url });

  it('migrates once when two collectors start together, and records the version', async () => {
    const schema = randomName('s');
    const [a, b] = await Promise.all([open(schema), open(schema)]);
    try {
      const c = admin();
      await c.connect();
      try {
        const { rows } = await c.query<{ version: number }>(`SELECT version FROM ${schema}.schema_migrations`);
        expect(rows.map((r) => r.version)).toEqual([1, 2]);
      } finally {
        await c.end();
      }
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('gives the same sagas when two collectors ingest the spans of one saga at once as one collector does', async () => {
    const corr = `split-${randomName('c')}`;
    const placed = publish({ correlationId: corr });
    const steps = Array.from({ length: 12 }, (_, i) =>
      publish({
        correlationId: corr,
        causationId: placed.eventId,
        eventType: i === 11 ? 'order.completed' : 'payment.requested',
        terminal: i === 11 ? 'completed' : null,
        timeUs: placed.timeUs + (i + 1) * 1_000,
        endUs: placed.timeUs + (i + 1) * 1_000 + 500,
      }),
    );
    const deliveries = [placed, ...steps].map((p, i) =>
      delivery({
        eventId: p.eventId,
        correlationId: corr,
        terminal: p.terminal,
        startUs: p.endUs + 100,
        endUs: p.endUs + 200,
        outcome: i === 3 ? 'dead_lettered' : 'processed',
      }),
    );
    // Every span in its own batch, in a shuffled order, split between two stores on one schema.
    const spans = [
      ...[placed, ...steps].map((p) => ({ publishes: [p], deliveries: [], records: [] })),
      ...deliveries.map((d) => ({ publishes: [], deliveries: [d], records: [] })),
    ].sort(() => Math.random() - 0.5);
    const one = await open(randomName('s'));
    const schema = randomName('s');
    const [a, b] = await Promise.all([open(schema), open(schema)]);
    try {
      for (const batch of spans) await one.ingest(batch);
      const halves = [spans.filter((_, i) => i % 2 === 0), spans.filter((_, i) => i % 2 === 1)];
      await Promise.all(
        [a, b].map(async (store, i) => {
          for (const batch of halves[i] ?? []) await store.ingest(batch);
        }),
      );
      const expected = (await one.saga(corr))?.summary;
      expect(expected).toMatchObject({ outcome: 'completed', hops: 13, dlqSteps: 1 });
      expect((await a.saga(corr))?.summary).toEqual(expected);
      expect((await b.stats()).rows).toEqual((await one.stats()).rows);
    } finally {
      await Promise.all([one.close(), a.close(), b.close()]);
    }
  });

  it('keeps odd text (NUL, lone surrogates, __proto__) and finds it by the same id', async () => {
    const store = await open(randomName('s'));
    try {
      const p = publish({ eventId: 'ev\u0000\ud800-1', eventType: '__proto__', correlationId: 'constructor' });
      await store.ingest({ publishes: [p], deliveries: [], records: [] });
      const hops = await store.event('ev\u0000\ud800-1');
      expect(hops.publishes.map((x) => x.eventType)).toEqual(['__proto__']);
      expect((await store.saga('constructor'))?.summary.hops).toBe(1);
      expect(await store.search('ev\u0000\ud800-1')).toMatchObject({ event: true });
    } finally {
      await store.close();
    }
  });

  it('retains by dropping whole partitions, created ahead of the rows', async () => {
    const schema = randomName('s');
    const store = await open(schema);
    const c = admin();
    await c.connect();
    const partitions = async (): Promise<string[]> =>
      (
        await c.query<{ name: string }>(
          `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
          JOIN pg_class p ON p.oid = i.inhparent JOIN pg_namespace n ON n.oid = p.relnamespace
          WHERE p.relname = 'publishes' AND n.nspname = $1 ORDER BY c.relname`,
          [schema],
        )
      ).rows.map((r) => r.name);
    try {
      await store.ingest({
        publishes: Array.from({ length: PARTITION_ROWS * 2 }, () => publish()),
        deliveries: [],
        records: [],
      });
      const before = await partitions();
      // The rows' partitions, and at least one whole partition ahead.
      expect(before.length).toBeGreaterThanOrEqual(4);
      const n = await store.enforceRetention({ nowUs: Date.now() * 1000 + 7200e6, maxAgeUs: 3600e6, maxBytes: 1e12 });
      expect(n).toBe(PARTITION_ROWS * 2);
      const after = await partitions();
      expect(after.length).toBeLessThan(before.length);
      expect(after.every((name) => before.includes(name))).toBe(true);
      const dead = await c.query<{ n: number }>(
        `SELECT coalesce(sum(n_tup_del), 0)::int AS n FROM pg_stat_user_tables WHERE schemaname = $1 AND relname LIKE 'publishes%'`,
        [schema],
      );
      expect(dead.rows[0]?.n).toBe(0); // no row was deleted: partitions were dropped
      // Ingest goes on after the partition being written was dropped.
      await store.ingest({ publishes: [publish()], deliveries: [], records: [] });
      expect((await store.stats()).rows.publishes).toBe(1);
    } finally {
      await c.end();
      await store.close();
    }
  });
});

describe('postgres store: partitions bounded in ingest time as well as in rows', () => {
  const admin = async (): Promise<pg.Client> => {
    const c = new pg.Client({ connectionString: db.url });
    await c.connect();
    return c;
  };
  const used = async (c: pg.Client, schema: string) =>
    (
      await c.query<{ lo: string; rows: string; min_ingest_s: string; max_ingest_s: string }>(
        `SELECT lo, rows, min_ingest_s, max_ingest_s FROM ${schema}.hop_partitions
        WHERE tbl = 'publishes' AND rows > 0 ORDER BY lo`,
      )
    ).rows.map((r) => ({
      lo: Number(r.lo),
      rows: Number(r.rows),
      since: Number(r.min_ingest_s),
      last: Number(r.max_ingest_s),
    }));

  it('closes a partition its time width after its first row, so age retention drops the old rows alone', async () => {
    const schema = randomName('s');
    const store = await open(schema, 1);
    const c = await admin();
    try {
      const old = publish();
      await store.ingest({ publishes: [old], deliveries: [], records: [] });
      const [first] = await used(c, schema);
      expect(first).toMatchObject({ rows: 1 });
      const since = (first as { since: number }).since;
      // The next batch comes once the clock has passed the partition's width (1 s).
      await vi.waitUntil(() => Math.floor(Date.now() / 1000) - since >= 1, { timeout: 5_000, interval: 20 });
      const fresh = publish();
      await store.ingest({ publishes: [fresh], deliveries: [], records: [] });
      const parts = await used(c, schema);
      // The first partition had room for PARTITION_ROWS - 1 more rows, but its time was up.
      expect(parts).toHaveLength(2);
      expect(parts[1]?.lo).toBeGreaterThan(parts[0]?.lo ?? Infinity);
      expect(parts[1]?.since).toBeGreaterThan(since);
      // Age retention with its cutoff between the two partitions' ingest times: only the old one goes.
      const cutoffS = since + 1;
      await store.enforceRetention({ nowUs: (cutoffS + 3600) * 1e6, maxAgeUs: 3600e6, maxBytes: 1e12 });
      expect((await store.event(old.eventId as string)).publishes).toEqual([]);
      expect((await store.event(fresh.eventId as string)).publishes).toHaveLength(1);
      expect((await store.stats()).rows.publishes).toBe(1);
    } finally {
      await c.end();
      await store.close();
    }
  });

  it('keeps a partition open within its width, however many batches it takes', async () => {
    const schema = randomName('s');
    const store = await open(schema, 3600);
    const c = await admin();
    try {
      for (let i = 0; i < 5; i++)
        await store.ingest({ publishes: [publish(), publish()], deliveries: [], records: [] });
      expect(await used(c, schema)).toMatchObject([{ rows: 10 }]);
    } finally {
      await c.end();
      await store.close();
    }
  });

  it('migrates a schema 1 store: partitions written before take their newest ingest time as their first', async () => {
    const schema = randomName('s');
    const store = await open(schema);
    const c = await admin();
    try {
      await store.ingest({ publishes: [publish()], deliveries: [], records: [] });
      await store.close();
      // Back to schema 1 as a collector before this change left it.
      await c.query(`ALTER TABLE ${schema}.hop_partitions DROP COLUMN min_ingest_s`);
      await c.query(`DELETE FROM ${schema}.schema_migrations WHERE version = 2`);
      const again = await open(schema);
      try {
        const [p] = await used(c, schema);
        expect(p?.since).toBe(p?.last);
        await again.ingest({ publishes: [publish()], deliveries: [], records: [] });
        expect((await again.stats()).rows.publishes).toBe(2);
      } finally {
        await again.close();
      }
    } finally {
      await c.end();
    }
  });
});

describe('postgres store answers as the SQLite store does where the contract suite does not look', () => {
  it('agrees on prefixes, positions, saga counts, group filters and instrumented groups', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'eventscope-pg-vs-sqlite-'));
    const sqlite = new SqliteStore({ file: path.join(dir, 'store.sqlite') });
    const postgres = await open(randomName('s'));
    try {
      const topic = `t-${randomName('x')}`;
      const batches = Array.from({ length: 6 }, (_, i) => {
        const corr = i === 5 ? 'constructor' : `agree-${i}`;
        const p = publish({ eventId: `ab${i}-${randomName('e')}`, correlationId: corr, topic, offset: i });
        const done = publish({
          correlationId: corr,
          causationId: p.eventId,
          eventType: 'order.completed',
          terminal: i % 2 === 0 ? 'completed' : 'failed',
          topic,
          offset: 100 + i,
        });
        return {
          publishes: [p, done],
          deliveries: [
            delivery({ eventId: p.eventId, topic, offset: i, group: i < 3 ? 'g-a' : 'g-b' }),
            ...(i < 4 ? [delivery({ eventId: done.eventId, topic, offset: 100 + i, terminal: done.terminal })] : []),
          ],
          records: [],
        };
      });
      for (const b of batches) {
        expect(await postgres.ingest(b)).toEqual(await sqlite.ingest(b));
      }
      const both = async <R>(f: (s: Store) => Promise<R>): Promise<void> => {
        expect(await f(postgres)).toEqual(await f(sqlite));
      };
      await both((s) => s.eventIdsByPrefix('ab', 10));
      await both((s) => s.eventIdsByPrefix('ab3', 10));
      await both((s) => s.eventIdsByPrefix('\u0000', 10));
      await both((s) => s.recordAt(topic, 0, 2));
      await both((s) => s.recordAt(topic, 0, 999));
      const filter = { nowUs: Date.now() * 1000, stuckAfterUs: 60e6 };
      await both((s) => s.sagaCounts(filter));
      await both((s) => s.sagaCounts({ ...filter, group: 'g-b' }));
      await both((s) => s.sagas({ ...filter, group: 'g-a', limit: 10 }));
      await both((s) => s.sagas({ ...filter, correlationIdPrefix: 'agree-', status: 'failed', limit: 10 }));
      await both((s) => s.instrumentedGroups());
      await both((s) => s.saga('constructor'));
      // Sagas quiet since the same time come in no particular order.
      await both(async (s) =>
        (await s.takeNewlyStuck(Number.MAX_SAFE_INTEGER, 10)).sort((a, b) =>
          a.correlationId.localeCompare(b.correlationId),
        ),
      );
    } finally {
      await postgres.close();
      await sqlite.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
