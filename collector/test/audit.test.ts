/**
 * The loss audit's rules (flows/audit.ts) on a real store: each piece of evidence and the
 * class it leads to, and a group that ends stops producing findings. The lag snapshot is a
 * plain OffsetsView over numbers the test sets (what the Kafka monitor would report); the
 * audit on the real broker and demo is in audit.chaos/audit.skip.
 */
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { AuditMemory, auditOnce, decide } from '../src/flows/audit.ts';
import type { OffsetsView } from '../src/lag/offsets-view.ts';
import { SqliteStore } from '../src/store/sqlite.ts';
import type { FindingEvidence, RecordRef, UnaccountedEntry } from '../src/store/types.ts';
import { delivery, publish } from './store.suite.ts';

const T0 = 1_760_000_000_000_000;
const S = 1_000_000; // µs per second
const stores: SqliteStore[] = [];
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
});

const finding: UnaccountedEntry = {
  group: 'inv',
  topic: 'reserve',
  partition: 0,
  offset: 7,
  eventId: 'e-7',
  correlationId: null,
  detectedUs: T0,
  class: 'unknown',
  reason: 'pending',
  service: null,
  decidedUs: null,
};
const none: FindingEvidence = {
  delivered: false,
  copyProcessed: false,
  causedBy: [],
  services: ['inventory'],
  neighbours: 0,
  neighboursWithEffects: 0,
};
const ctx = { nowUs: T0 + 10 * S, decideUs: 60 * S, ended: false, reset: false };

describe('decide: from evidence to a class', () => {
  it.each([
    ['a late span', { ...none, delivered: true }, ctx, 'telemetry-missing', 'late-span'],
    ['an event the group caused', { ...none, causedBy: ['inventory'] }, ctx, 'telemetry-missing', 'caused-event'],
    ['an event whose publish is lost too', { ...none, causedBy: [null] }, ctx, 'telemetry-missing', 'caused-event'],
    ['an offset reset', none, { ...ctx, reset: true }, 'skipped', 'offset-reset'],
    ['the group ended', none, { ...ctx, ended: true }, 'unknown', 'group-ended'],
    [
      'no effect where the neighbours had one, after the decision period',
      { ...none, neighbours: 5, neighboursWithEffects: 4 },
      { ...ctx, nowUs: T0 + 61 * S },
      'skipped',
      'no-effect',
    ],
    [
      'a group whose records cause nothing, after the decision period',
      { ...none, neighbours: 6, neighboursWithEffects: 0 },
      { ...ctx, nowUs: T0 + 61 * S },
      'unknown',
      'no-evidence',
    ],
    [
      'one neighbour only, after the decision period',
      { ...none, neighbours: 1, neighboursWithEffects: 1 },
      { ...ctx, nowUs: T0 + 61 * S },
      'unknown',
      'no-evidence',
    ],
  ] as const)('%s', (_what, ev, c, cls, reason) => {
    expect(decide(finding, { ...ev, causedBy: [...ev.causedBy], services: [...ev.services] }, c)).toMatchObject({
      class: cls,
      reason,
      service: 'inventory',
      decidedUs: c.nowUs,
    });
  });

  it('an event another service published is no evidence, and nothing is decided inside the decision period', () => {
    const ev = { ...none, causedBy: ['orchestrator'], neighbours: 5, neighboursWithEffects: 5 };
    expect(decide(finding, ev, ctx)).toBeUndefined();
    expect(decide(finding, ev, { ...ctx, nowUs: T0 + 61 * S })).toMatchObject({
      class: 'skipped',
      reason: 'no-effect',
    });
  });
});

/** The lag snapshot as the Kafka monitor would have it: committed offsets and members per group. */
function snapshot(): OffsetsView & { committed: Map<string, number>; members: Map<string, number> } {
  const committed = new Map<string, number>();
  const members = new Map<string, number>();
  return {
    committed,
    members,
    groupsForTopic: () => [...members.keys()],
    committedOffset: (group, topic, partition) => committed.get(`${group} ${topic} ${partition}`),
    endOffset: () => undefined,
    startOffset: () => undefined,
    consumeRate: () => undefined,
    groupMembers: (group) => members.get(group),
    snapshotTime: () => Date.now(),
  };
}

/** A record of partition 0 of `topic` with a new event id, as the tap or a producer span makes known. */
const recordAt = (topic: string, offset: number, eventId: string = randomUUID()): RecordRef => ({
  topic,
  partition: 0,
  offset,
  timestampUs: T0,
  eventId,
  correlationId: null,
});

/**
 * A store with records 0..3 of a new topic, offset 0 processed by group g in `service`; an
 * empty lag snapshot and audit memory to audit it with.
 */
async function fourRecords(service: string) {
  const store = new SqliteStore({ file: ':memory:' });
  stores.push(store);
  const topic = `t-${randomUUID()}`;
  await store.ingest({
    publishes: [],
    deliveries: [delivery({ topic, offset: 0, group: 'g', service, eventId: randomUUID() })],
    records: [0, 1, 2, 3].map((offset) => recordAt(topic, offset)),
  });
  return { store, topic, view: snapshot(), memory: new AuditMemory() };
}

describe('auditOnce: groups that end', () => {
  it('a group empty for the end period gets no new findings, and its open ones close as group-ended', async () => {
    const store = new SqliteStore({ file: ':memory:' });
    stores.push(store);
    const topic = `t-${randomUUID()}`;
    const ids = Array.from({ length: 10 }, () => randomUUID());
    // The group processed 0 and 1 (their spans arrived); 2..9 exist (the tap) with no delivery.
    await store.ingest({
      publishes: [publish({ causationId: ids[0] as string, topic: 'replies', service: 'inventory' })],
      deliveries: [0, 1].map((o) =>
        delivery({ topic, offset: o, group: 'g', service: 'inventory', eventId: ids[o] as string }),
      ),
      records: ids.map((eventId, offset) => recordAt(topic, offset, eventId)),
    });
    const view = snapshot();
    const memory = new AuditMemory();
    const opts = { graceUs: S, decideUs: 60 * S, groupEndUs: 30 * S };
    view.members.set('g', 1);
    view.committed.set(`g ${topic} 0`, 5);
    // The commit is judged only once it has been seen for the grace period.
    expect((await auditOnce(store, view, memory, { ...opts, nowUs: T0 + 9 * S })).found).toEqual([]);
    const first = await auditOnce(store, view, memory, { ...opts, nowUs: T0 + 10 * S });
    expect(first.found.map((f) => f.offset)).toEqual([2, 3, 4]);
    expect(first.decided).toEqual([]);
    // The group stops (no members): not ended yet, its offset does not move; then it has ended.
    view.members.set('g', 0);
    expect((await auditOnce(store, view, memory, { ...opts, nowUs: T0 + 20 * S })).decided).toEqual([]);
    view.committed.set(`g ${topic} 0`, 10); // e.g. its last commit seen late: no findings after the end
    const ended = await auditOnce(store, view, memory, { ...opts, nowUs: T0 + 51 * S });
    expect(ended.found).toEqual([]);
    expect(ended.decided.map((f) => [f.offset, f.class, f.reason])).toEqual([
      [2, 'unknown', 'group-ended'],
      [3, 'unknown', 'group-ended'],
      [4, 'unknown', 'group-ended'],
    ]);
    expect(await store.openFindings(10)).toEqual([]);
    expect(await store.unaccounted(10, 'skipped')).toEqual([]);
  });

  it('a group gone from the snapshot (deleted) ends too; one that comes back is audited again', async () => {
    const { store, topic, view, memory } = await fourRecords('loadgen');
    const opts = { graceUs: S, decideUs: 60 * S, groupEndUs: 30 * S };
    view.members.set('g', 1);
    view.committed.set(`g ${topic} 0`, 2);
    await auditOnce(store, view, memory, { ...opts, nowUs: T0 + 9 * S });
    expect((await auditOnce(store, view, memory, { ...opts, nowUs: T0 + 10 * S })).found.map((f) => f.offset)).toEqual([
      1,
    ]);
    view.members.delete('g');
    view.committed.clear();
    await auditOnce(store, view, memory, { ...opts, nowUs: T0 + 11 * S });
    const gone = await auditOnce(store, view, memory, { ...opts, nowUs: T0 + 42 * S });
    expect(gone.decided.map((f) => [f.offset, f.reason])).toEqual([[1, 'group-ended']]);
    // Back, with a commit past 3: audited from its checkpoint again.
    view.members.set('g', 1);
    view.committed.set(`g ${topic} 0`, 4);
    expect((await auditOnce(store, view, memory, { ...opts, nowUs: T0 + 50 * S })).found).toEqual([]);
    expect((await auditOnce(store, view, memory, { ...opts, nowUs: T0 + 51 * S })).found.map((f) => f.offset)).toEqual([
      2, 3,
    ]);
  });

  it('a record whose span comes after the commit passed it, within the grace period, is still judged', async () => {
    const { store, topic, view, memory } = await fourRecords('billing');
    const opts = { graceUs: 5 * S, decideUs: 60 * S, groupEndUs: 600 * S };
    view.members.set('g', 1);
    view.committed.set(`g ${topic} 0`, 6);
    // Offsets 4 and 5 are not known yet: their publish spans are late.
    expect((await auditOnce(store, view, memory, { ...opts, nowUs: T0 + 10 * S })).found).toEqual([]);
    await store.ingest({ publishes: [], deliveries: [], records: [recordAt(topic, 4), recordAt(topic, 5)] });
    const run = await auditOnce(store, view, memory, { ...opts, nowUs: T0 + 15 * S });
    expect(run.found.map((f) => f.offset)).toEqual([1, 2, 3, 4, 5]);
  });

  it('records an offset reset moved over while the group had no members are skipped at once', async () => {
    const { store, topic, view, memory } = await fourRecords('billing');
    const opts = { graceUs: S, decideUs: 60 * S, groupEndUs: 600 * S };
    view.members.set('g', 0);
    view.committed.set(`g ${topic} 0`, 1);
    await auditOnce(store, view, memory, { ...opts, nowUs: T0 + 10 * S });
    view.committed.set(`g ${topic} 0`, 4);
    await auditOnce(store, view, memory, { ...opts, nowUs: T0 + 11 * S });
    const run = await auditOnce(store, view, memory, { ...opts, nowUs: T0 + 12 * S });
    expect(run.decided.map((f) => [f.offset, f.class, f.reason])).toEqual([
      [1, 'skipped', 'offset-reset'],
      [2, 'skipped', 'offset-reset'],
      [3, 'skipped', 'offset-reset'],
    ]);
  });
});
