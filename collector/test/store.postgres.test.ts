import { randomUUID } from 'node:crypto';
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

/** A store of schema 3 taken back to schema 2, as a collector before ADR 0007 left it. */
async function backToSchema2(c: pg.Client, schema: string): Promise<void> {
  await c.query(`DROP TABLE ${schema}.event_partitions`);
  await c.query(`ALTER TABLE ${schema}.hop_partitions DROP COLUMN unresolved`);
  await c.query(`DELETE FROM ${schema}.schema_migrations WHERE version = 3`);
}

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
        expect(rows.map((r) => r.version)).toEqual([1, 2, 3]);
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
      await backToSchema2(c, schema);
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

describe('postgres store: a lookup by event id reads the partitions event_partitions names', () => {
  it('finds hops spread over partitions, resolved late or never, as SQLite does; after a migration too', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'eventscope-pg-partitions-'));
    const sqlite = new SqliteStore({ file: path.join(dir, 'store.sqlite') });
    const schema = randomName('s');
    let postgres = await open(schema);
    const c = new pg.Client({ connectionString: db.url });
    await c.connect();
    const topic = `t-${randomName('x')}`;
    let fillOffset = 1_000;
    const both = async (batch: Parameters<Store['ingest']>[0]): Promise<void> => {
      expect(await postgres.ingest(batch)).toEqual(await sqlite.ingest(batch));
    };
    // Events of their own, enough to move every hop table on to its next partition.
    const fill = async (): Promise<void> => {
      const ps = Array.from({ length: PARTITION_ROWS }, () => publish({ topic, offset: fillOffset++ }));
      await both({
        publishes: ps,
        deliveries: ps.map((p) => delivery({ eventId: p.eventId, topic, offset: p.offset })),
        records: [],
      });
    };
    try {
      const e1 = publish({ topic, offset: 1 });
      const e2 = publish({ topic, offset: 2, timeUs: e1.timeUs + 1_000 });
      const e4 = publish({ topic, offset: null, timeUs: e1.timeUs + 3_000 });
      const e3 = randomUUID();
      const early = delivery({ topic, offset: 2, group: 'early' }); // no id, no record yet: stays without one
      const d1 = delivery({ eventId: e1.eventId, topic, offset: 1 });
      const late = delivery({ eventId: e1.eventId, topic, offset: 1, group: 'late', startUs: d1.startUs + 80_000 });
      const tapped = delivery({ topic, offset: 3, group: 'tapped' }); // given e3 by a tap record later
      const linked = delivery({ originSpanId: e4.spanId, offset: null, group: 'linked' }); // by producer span
      await both({ publishes: [e1], deliveries: [early, linked], records: [] });
      await fill();
      await both({ publishes: [e2], deliveries: [d1, tapped], records: [] });
      await fill();
      await both({ publishes: [], deliveries: [late], records: [] });
      await fill();
      await both({
        publishes: [e4],
        deliveries: [],
        records: [{ topic, partition: 0, offset: 3, timestampUs: e1.timeUs, eventId: e3, correlationId: null }],
      });
      const ids = [e1.eventId, e2.eventId, e3, e4.eventId, randomUUID()] as string[];
      const expected = await Promise.all(ids.map((id) => sqlite.event(id)));
      const groups = expected.map((h) => h.deliveries.map((d) => d.group).sort());
      expect(groups).toEqual([['late', 'payments'], ['early'], ['tapped'], ['linked'], []]);
      for (const [i, id] of ids.entries()) expect(await postgres.event(id)).toEqual(expected[i]);
      // e1's deliveries lie in two partitions three fills apart: its entry names the span between.
      const { rows } = await c.query<{ del_lo: string; del_hi: string }>(
        `SELECT del_lo, del_hi FROM ${schema}.event_partitions WHERE event_id = $1`,
        [e1.eventId],
      );
      expect(Number(rows[0]?.del_hi) - Number(rows[0]?.del_lo)).toBeGreaterThan(PARTITION_ROWS);
      // A store of schema 2 gains the index from its rows when this collector opens it.
      await postgres.close();
      await backToSchema2(c, schema);
      postgres = await open(schema);
      for (const [i, id] of ids.entries()) expect(await postgres.event(id)).toEqual(expected[i]);
      // Retention drops partitions only; the entries naming them go with them.
      const gone = await postgres.enforceRetention({ nowUs: Date.now() * 1000, maxAgeUs: 3600e6, maxBytes: 0 });
      expect(gone).toBeGreaterThan(4 * PARTITION_ROWS);
      const left = await c.query<{ entries: number; deleted: number }>(
        `SELECT (SELECT count(*) FROM ${schema}.event_partitions)::int AS entries,
          (SELECT coalesce(sum(n_tup_del), 0) FROM pg_stat_user_tables WHERE schemaname = $1
            AND relname ~ '^(publishes|deliveries|records)')::int AS deleted`,
        [schema],
      );
      expect(left.rows[0]).toEqual({ entries: 0, deleted: 0 });
      expect(await postgres.event(e1.eventId as string)).toEqual({ publishes: [], deliveries: [], records: [] });
    } finally {
      await c.end();
      await postgres.close();
      await sqlite.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
