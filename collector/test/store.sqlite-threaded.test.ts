/**
 * The store contract against the threaded SQLite store: writes on the writer thread, reads on
 * this one, over one file. The same suite as SqliteStore's, so both behave the same.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ThreadedSqliteStore } from '../src/store/sqlite-threaded.ts';
import type { RecordRef, Store } from '../src/store/types.ts';
import { delivery, publish, storeSuite } from './store.suite.ts';

const dirs: string[] = [];
const files = new WeakMap<Store, string>();
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const fresh = (): string => {
  const dir = mkdtempSync(join(tmpdir(), 'eventscope-store-'));
  dirs.push(dir);
  return join(dir, 'store.sqlite');
};

storeSuite('sqlite, writes on a worker thread', {
  async create() {
    const file = fresh();
    const store = await ThreadedSqliteStore.open({ file });
    files.set(store, file);
    return store;
  },
  async reopen(previous) {
    const file = files.get(previous) as string;
    const store = await ThreadedSqliteStore.open({ file });
    files.set(store, file);
    return store;
  },
});

describe('threaded sqlite store', () => {
  it('reads what a resolved ingest wrote, counts rows written on the writer thread, and refuses writes once closed', async () => {
    const store = await ThreadedSqliteStore.open({ file: fresh() });
    const p = publish({ correlationId: randomUUID() });
    const pending = [store.ingest({ publishes: [p], deliveries: [], records: [] })];
    pending.push(store.ingest({ publishes: [], deliveries: [delivery({ eventId: p.eventId })], records: [] }));
    const [, second] = await Promise.all(pending);
    expect(second?.hopTimings).toHaveLength(1);
    const hops = await store.event(p.eventId as string);
    expect(hops.publishes).toHaveLength(1);
    expect(hops.deliveries).toHaveLength(1);
    expect((await store.stats()).rows).toMatchObject({ publishes: 1, deliveries: 1, sagas: 1 });
    await store.close();
    await expect(store.ingest({ publishes: [p], deliveries: [], records: [] })).rejects.toThrow(/closed|exited/);
  });

  it('gives both connections the page cache asked for (16 MB by default)', async () => {
    const file = fresh();
    const byDefault = await ThreadedSqliteStore.open({ file });
    expect(await byDefault.cacheKb()).toEqual({ reader: 16 * 1024, writer: 16 * 1024 });
    await byDefault.close();
    const small = await ThreadedSqliteStore.open({ file, cacheMb: 4 });
    expect(await small.cacheKb()).toEqual({ reader: 4 * 1024, writer: 4 * 1024 });
    await small.close();
  });

  it('rejects an ingest the writer fails on, and keeps working', async () => {
    const store = await ThreadedSqliteStore.open({ file: fresh() });
    const bad = { publishes: [], deliveries: [], records: null as unknown as RecordRef[] };
    await expect(store.ingest(bad)).rejects.toThrow(/iterable/);
    const good = publish();
    await store.ingest({ publishes: [good], deliveries: [], records: [] });
    expect((await store.event(good.eventId as string)).publishes).toHaveLength(1);
    await store.close();
  });
});
