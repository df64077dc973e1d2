/**
 * The RedriveStore contract as a reusable suite (store/redrive-types.ts): every implementation
 * (SQLite now, PostgreSQL later) runs exactly these tests through its own factory.
 */
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type { LedgerEntry, RedriveStore, StoredRedrive } from '../src/store/redrive-types.ts';

export interface RedriveStoreFactory {
  /** A new, empty store. */
  create(): Promise<RedriveStore>;
  /** Opens the same storage as `store` again after it was closed (what a restart sees). */
  reopen(store: RedriveStore): Promise<RedriveStore>;
}

function redrive(over: Partial<StoredRedrive> = {}): StoredRedrive {
  return {
    id: randomUUID(),
    dlqTopic: 'svc.dlq',
    status: 'running',
    createdBy: 'ops',
    createdAtMs: 1_760_000_000_000,
    finishedAtMs: null,
    select: { kind: 'filter', errorClass: '__proto__', header: { name: 'constructor', value: '' } },
    target: { kind: 'group-retry' },
    ratePerSecond: 10,
    selected: 3,
    sent: 0,
    failed: 0,
    error: null,
    ...over,
  };
}

const entry = (offset: number, over: Partial<LedgerEntry> = {}): LedgerEntry => ({
  partition: 0,
  offset,
  eventId: `evt-${offset}`,
  targetTopic: 'svc.retry',
  group: 'svc',
  priorCount: 0,
  error: null,
  ...over,
});

export function redriveStoreSuite(name: string, factory: RedriveStoreFactory): void {
  describe(`RedriveStore contract: ${name}`, () => {
    const open: RedriveStore[] = [];
    const create = async () => {
      const s = await factory.create();
      open.push(s);
      return s;
    };
    afterEach(async () => {
      for (const s of open.splice(0)) await s.close().catch(() => undefined);
    });

    it('keeps redrives with their selection, newest first, and the running ones across a reopen', async () => {
      const store = await create();
      const older = redrive({ createdAtMs: 1000 });
      const newer = redrive({ createdAtMs: 2000 });
      await store.createRedrive(older, [entry(1)]);
      await store.createRedrive(newer, []);
      await store.updateRedrive(newer.id, { status: 'completed', finishedAtMs: 3000 });
      expect((await store.listRedrives(10)).map((r) => r.id)).toEqual([newer.id, older.id]);
      expect(await store.getRedrive(older.id)).toEqual(older);
      const again = await factory.reopen(store);
      open.push(again);
      expect((await again.runningRedrives()).map((r) => r.id)).toEqual([older.id]);
      expect((await again.getRedrive(newer.id))?.status).toBe('completed');
      expect(await again.getRedrive('nope')).toBeUndefined();
    });

    it('moves ledger rows pending -> sending -> sent, counts them, and marks sent records', async () => {
      const store = await create();
      const r = redrive();
      await store.createRedrive(r, [entry(1), entry(2), entry(3, { targetTopic: null, error: 'no header' })]);
      expect(await store.ledgerCounts(r.id)).toEqual({ pending: 2, sending: 0, sent: 0, failed: 1 });
      const pending = await store.ledger(r.id, 'pending', 10);
      expect(pending.map((x) => x.offset)).toEqual([1, 2]);
      await store.setLedgerState({ id: r.id, dlqTopic: r.dlqTopic, rows: pending, state: 'sending', atMs: 5000 });
      expect((await store.ledger(r.id, 'sending', 10)).map((x) => x.atMs)).toEqual([5000, 5000]);
      await store.setLedgerState({ id: r.id, dlqTopic: r.dlqTopic, rows: [pending[0]!], state: 'sent', atMs: 5001 });
      expect(await store.ledgerCounts(r.id)).toEqual({ pending: 0, sending: 1, sent: 1, failed: 1 });
      const marks = await store.marks(r.dlqTopic, [
        { partition: 0, offset: 1 },
        { partition: 0, offset: 2 },
      ]);
      expect([...marks]).toEqual([['0:1', [{ id: r.id, atMs: 5001 }]]]);
      expect((await store.marks('other.dlq', [{ partition: 0, offset: 1 }])).size).toBe(0);
    });

    it('sums the fates of sent records into the outcome', async () => {
      const store = await create();
      const r = redrive();
      await store.createRedrive(r, [entry(1), entry(2), entry(3)]);
      const rows = await store.ledger(r.id, 'pending', 10);
      await store.setLedgerState({ id: r.id, dlqTopic: r.dlqTopic, rows, state: 'sent', atMs: 1 });
      expect(await store.outcome(r.id)).toEqual({ processed: 0, deadLetteredAgain: 0, pending: 3 });
      await store.setFates(r.id, r.dlqTopic, [
        { partition: 0, offset: 1, fate: 'processed' },
        { partition: 0, offset: 2, fate: 'dead_lettered' },
      ]);
      expect(await store.outcome(r.id)).toEqual({ processed: 1, deadLetteredAgain: 1, pending: 1 });
      expect((await store.undecided(r.id, 10)).map((x) => x.offset)).toEqual([3]);
    });
  });
}
