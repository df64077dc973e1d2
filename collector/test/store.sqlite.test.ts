import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { SqliteStore } from '../src/store/sqlite.ts';
import type { Store } from '../src/store/types.ts';
import { delivery, publish, storeSuite } from './store.suite.ts';

const dirs: string[] = [];
const files = new WeakMap<Store, string>();
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

storeSuite('sqlite', {
  create() {
    const dir = mkdtempSync(join(tmpdir(), 'eventscope-store-'));
    dirs.push(dir);
    const file = join(dir, 'store.sqlite');
    const store = new SqliteStore({ file });
    files.set(store, file);
    return Promise.resolve(store);
  },
  reopen(previous) {
    const file = files.get(previous) as string;
    const store = new SqliteStore({ file });
    files.set(store, file);
    return Promise.resolve(store);
  },
});

describe('sqlite store schema', () => {
  it('migrates a schema 1 file (before held saga ends) in place, keeping its sagas', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'eventscope-store-v1-'));
    dirs.push(dir);
    const file = join(dir, 'store.sqlite');
    const first = new SqliteStore({ file });
    const p = publish({ correlationId: 'order-v1' });
    await first.ingest({ publishes: [p], deliveries: [], records: [] });
    await first.close();
    // Turn the file back into schema 1, as an older collector left it.
    const db = new Database(file);
    db.exec(`DROP INDEX sagas_end_held; ALTER TABLE sagas DROP COLUMN root_us; ALTER TABLE sagas DROP COLUMN end_held;
      UPDATE meta SET value = '1' WHERE key = 'schema'`);
    db.close();
    const store = new SqliteStore({ file });
    try {
      expect((await store.saga('order-v1'))?.summary.hops).toBe(1);
      const done = publish({
        correlationId: 'order-v1',
        causationId: p.eventId,
        eventType: 'order.completed',
        terminal: 'completed',
      });
      const res = await store.ingest({
        publishes: [done],
        deliveries: [delivery({ eventId: done.eventId, correlationId: 'order-v1', terminal: 'completed' })],
        records: [],
      });
      // The saga's root publish came before the migration: its time was not recorded, so the end
      // is held, and released by the sweep.
      expect(res.sagasEnded).toEqual([]);
      expect((await store.takeHeldEnds(Number.MAX_SAFE_INTEGER, 10)).map((s) => s.correlationId)).toEqual(['order-v1']);
    } finally {
      await store.close();
    }
    const check = new Database(file, { readonly: true });
    expect(check.prepare(`SELECT value FROM meta WHERE key = 'schema'`).pluck().get()).toBe('4');
    check.close();
  });

  it('migrates a schema 2 file (span and trace id indexes) in place: traces found, retries still ignored', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'eventscope-store-v2-'));
    dirs.push(dir);
    const file = join(dir, 'store.sqlite');
    const first = new SqliteStore({ file });
    const p = publish({ correlationId: 'order-v2' });
    const loose = publish({ traceId: p.traceId, correlationId: null, timeUs: p.timeUs + 1_000 });
    const d = delivery({ eventId: p.eventId, correlationId: 'order-v2', traceId: p.traceId, originSpanId: p.spanId });
    await first.ingest({ publishes: [p, loose], deliveries: [d], records: [] });
    await first.close();
    // Turn the file back into schema 2, as an older collector left it.
    const db = new Database(file);
    db.exec(`DROP TABLE traces; DROP INDEX publishes_time_span; DROP INDEX deliveries_time_span;
      CREATE UNIQUE INDEX publishes_span ON publishes(span_id); CREATE INDEX publishes_trace ON publishes(trace_id);
      CREATE UNIQUE INDEX deliveries_span ON deliveries(span_id); CREATE INDEX deliveries_trace ON deliveries(trace_id);
      UPDATE meta SET value = '2' WHERE key = 'schema'`);
    db.close();
    const store = new SqliteStore({ file });
    try {
      const t = await store.trace(p.traceId);
      expect(t.publishes.map((x) => x.spanId)).toEqual([p.spanId, loose.spanId]);
      expect(t.deliveries.map((x) => x.spanId)).toEqual([d.spanId]);
      expect(await store.search(p.traceId)).toMatchObject({ trace: true });
      await store.ingest({ publishes: [p, loose], deliveries: [d], records: [] });
      expect((await store.stats()).rows).toMatchObject({ publishes: 2, deliveries: 1 });
    } finally {
      await store.close();
    }
    const check = new Database(file, { readonly: true });
    expect(check.prepare(`SELECT value FROM meta WHERE key = 'schema'`).pluck().get()).toBe('4');
    const indexes = check.prepare(`SELECT name FROM sqlite_master WHERE type = 'index'`).pluck().all();
    expect(indexes).not.toContain('publishes_span');
    expect(indexes).not.toContain('deliveries_trace');
    check.close();
  });

  it('migrates a schema 3 file (findings without a class) in place: old findings stay open, deliveries keep causation ids', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'eventscope-store-v3-'));
    dirs.push(dir);
    const file = join(dir, 'store.sqlite');
    const first = new SqliteStore({ file });
    const finding = {
      group: 'inv',
      topic: 'reserve',
      partition: 0,
      offset: 3,
      eventId: 'e-3',
      correlationId: null,
      detectedUs: 1,
      class: 'unknown' as const,
      reason: 'pending' as const,
      service: null,
      decidedUs: null,
    };
    await first.addUnaccounted([finding]);
    await first.close();
    // Turn the file back into schema 3, as an older collector left it.
    const db = new Database(file);
    db.exec(`DROP INDEX unaccounted_open; DROP INDEX deliveries_causation;
      ALTER TABLE unaccounted DROP COLUMN class; ALTER TABLE unaccounted DROP COLUMN reason;
      ALTER TABLE unaccounted DROP COLUMN service; ALTER TABLE unaccounted DROP COLUMN decided_us;
      ALTER TABLE deliveries DROP COLUMN causation_id;
      UPDATE meta SET value = '3' WHERE key = 'schema'`);
    db.close();
    const store = new SqliteStore({ file });
    try {
      expect(await store.openFindings(10)).toEqual([finding]);
      await store.ingest({
        publishes: [],
        deliveries: [delivery({ topic: 'replies', eventId: 'e-4', causationId: 'e-3' })],
        records: [],
      });
      expect((await store.findingEvidence(finding)).causedBy).toEqual([null]);
    } finally {
      await store.close();
    }
    const check = new Database(file, { readonly: true });
    expect(check.prepare(`SELECT value FROM meta WHERE key = 'schema'`).pluck().get()).toBe('4');
    check.close();
  });
});
