/**
 * The store contract as a reusable suite: every Store implementation (SQLite and PostgreSQL)
 * runs exactly these tests through its own factory.
 *
 * Over 600 lines on purpose: it is the contract, one `it` per promise of the Store interface;
 * split by file, an implementation could pass half of it by being registered with half.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type { Delivery, Publish, Store, UnaccountedEntry } from '../src/store/types.ts';

export interface StoreFactory {
  /** A new, empty store. */
  create(): Promise<Store>;
  /** Opens the same storage as `store` again after it was closed (durability). */
  reopen(store: Store): Promise<Store>;
}

const hex = (bytes: number): string => randomBytes(bytes).toString('hex');
const T0 = 1_760_000_000_000_000; // µs

export function publish(over: Partial<Publish> = {}): Publish {
  return {
    eventId: randomUUID(),
    eventType: 'order.placed',
    correlationId: null,
    causationId: null,
    topic: 'orders',
    partition: 0,
    offset: null,
    timeUs: T0,
    endUs: T0 + 2_000,
    service: 'orders-api',
    traceId: hex(16),
    spanId: hex(8),
    sagaType: 'order',
    compensation: false,
    terminal: null,
    ...over,
  };
}

export function delivery(over: Partial<Delivery> = {}): Delivery {
  return {
    eventId: null,
    eventType: null,
    correlationId: null,
    topic: 'orders',
    partition: 0,
    offset: 0,
    group: 'payments',
    service: 'payments',
    startUs: T0 + 10_000,
    endUs: T0 + 15_000,
    outcome: 'processed',
    attempt: 1,
    dlqTopic: null,
    traceId: hex(16),
    spanId: hex(8),
    originSpanId: null,
    terminal: null,
    compensation: false,
    ...over,
  };
}

const empty = { publishes: [], deliveries: [], records: [] };

/** A saga's root publish at T0 and its terminal `order.completed` publish 10 ms later. */
function placedAndCompleted(corr: string, over: Partial<Publish> = {}): { placed: Publish; done: Publish } {
  return {
    placed: publish({ correlationId: corr, timeUs: T0 }),
    done: publish({
      correlationId: corr,
      eventType: 'order.completed',
      terminal: 'completed',
      timeUs: T0 + 10_000,
      endUs: T0 + 11_000,
      ...over,
    }),
  };
}

export function storeSuite(name: string, factory: StoreFactory): void {
  describe(`store contract: ${name}`, () => {
    const open: Store[] = [];
    const make = async (): Promise<Store> => {
      const s = await factory.create();
      open.push(s);
      return s;
    };
    afterEach(async () => {
      for (const s of open.splice(0)) await s.close();
    });

    it('joins a publish and its delivery by event id and reports the hop timing', async () => {
      const store = await make();
      const p = publish({ offset: 7 });
      const res = await store.ingest({
        ...empty,
        publishes: [p],
        deliveries: [delivery({ eventId: p.eventId, offset: 7 })],
      });
      expect(res.hopTimings).toEqual([
        { topic: 'orders', group: 'payments', service: 'payments', queueUs: 10_000, processingUs: 5_000 },
      ]);
      const hops = await store.event(p.eventId as string);
      expect(hops.publishes).toHaveLength(1);
      expect(hops.publishes[0]).toMatchObject({ traceId: p.traceId, spanId: p.spanId, offset: 7 });
      expect(hops.deliveries.map((d) => d.group)).toEqual(['payments']);
      expect(hops.records).toEqual([
        expect.objectContaining({ topic: 'orders', partition: 0, offset: 7, eventId: p.eventId }),
      ]);
    });

    it('times a delivery that arrived before its publish once the publish arrives', async () => {
      const store = await make();
      const p = publish();
      const first = await store.ingest({ ...empty, deliveries: [delivery({ eventId: p.eventId })] });
      expect(first.hopTimings).toEqual([]);
      const second = await store.ingest({ ...empty, publishes: [p] });
      expect(second.hopTimings).toEqual([
        { topic: 'orders', group: 'payments', service: 'payments', queueUs: 10_000, processingUs: 5_000 },
      ]);
    });

    it('resolves deliveries without an event id by offset and by producer span, in either order', async () => {
      const store = await make();
      // By span link/parent: the delivery arrives first, the publish later.
      const p1 = publish();
      await store.ingest({ ...empty, deliveries: [delivery({ originSpanId: p1.spanId, offset: null })] });
      await store.ingest({ ...empty, publishes: [p1] });
      expect((await store.event(p1.eventId as string)).deliveries).toHaveLength(1);
      // By (topic, partition, offset): a tap record names the event at offset 42.
      const eventId = randomUUID();
      await store.ingest({ ...empty, deliveries: [delivery({ offset: 42, group: 'shipping' })] });
      await store.ingest({
        ...empty,
        records: [{ topic: 'orders', partition: 0, offset: 42, timestampUs: T0, eventId, correlationId: 'corr-tap' }],
      });
      const hops = await store.event(eventId);
      expect(hops.deliveries).toEqual([expect.objectContaining({ group: 'shipping', eventId, offset: 42 })]);
    });

    it('resolves a link-only delivery whose publish is already stored, in a saga or not', async () => {
      const store = await make();
      // eachBatch: the delivery has a trace of its own and names the producer span by a link.
      const inSaga = publish({ correlationId: `c-${hex(4)}` });
      const noSaga = publish({ timeUs: T0 + 50_000, endUs: T0 + 51_000 });
      await store.ingest({ ...empty, publishes: [inSaga, noSaga] });
      for (const p of [inSaga, noSaga]) {
        const d = delivery({ originSpanId: p.spanId, originTraceId: p.traceId, offset: null, startUs: p.endUs + 10 });
        await store.ingest({ ...empty, deliveries: [d] });
        const hops = await store.event(p.eventId as string);
        expect(hops.deliveries).toEqual([
          expect.objectContaining({ spanId: d.spanId, eventId: p.eventId, correlationId: p.correlationId }),
        ]);
      }
      // A link to a span of a trace the store has never seen resolves nothing (and is kept).
      const lost = delivery({ originSpanId: hex(8), originTraceId: hex(16), offset: null });
      await store.ingest({ ...empty, deliveries: [lost] });
      expect((await store.stats()).rows.deliveries).toBe(3);
    });

    it('ends a saga when the terminal publish arrives after its link-only delivery', async () => {
      const store = await make();
      const corr = `late-${hex(4)}`;
      const { placed, done } = placedAndCompleted(corr);
      await store.ingest({ ...empty, publishes: [placed] });
      // The orchestrator's eachBatch span names no event: only its link to the producer span.
      await store.ingest({
        ...empty,
        deliveries: [delivery({ originSpanId: done.spanId, offset: null, startUs: T0 + 20_000, endUs: T0 + 25_000 })],
      });
      expect((await store.saga(corr))?.summary.outcome).toBeNull();
      const res = await store.ingest({ ...empty, publishes: [done] });
      expect(res.sagasEnded).toEqual([
        { correlationId: corr, sagaType: 'order', outcome: 'completed', endToEndUs: 20_000 },
      ]);
      expect(res.hopTimings).toEqual([
        { topic: 'orders', group: 'payments', service: 'payments', queueUs: 10_000, processingUs: 5_000 },
      ]);
      const saga = await store.saga(corr);
      expect(saga?.summary).toMatchObject({ outcome: 'completed', lastUs: T0 + 25_000, endToEndUs: 20_000 });
      expect(saga?.hops.deliveries.map((d) => d.eventId)).toEqual([done.eventId]);
    });

    it('names the terminal event type when the terminal delivery comes before its publish', async () => {
      const store = await make();
      const corr = `early-end-${hex(4)}`;
      const { placed, done } = placedAndCompleted(corr, { offset: 7 });
      // The delivery span carries the event id and the terminal kind, not the event type.
      const end = delivery({ eventId: done.eventId, correlationId: corr, terminal: 'completed', offset: 7 });
      // The root publish first, then the terminal delivery, then the publish it processed.
      await store.ingest({ ...empty, publishes: [placed] });
      await store.ingest({ ...empty, deliveries: [{ ...end, startUs: T0 + 20_000, endUs: T0 + 25_000 }] });
      expect((await store.saga(corr))?.summary).toMatchObject({ outcome: 'completed', terminalEventType: null });
      await store.ingest({ ...empty, publishes: [done] });
      expect((await store.saga(corr))?.summary).toMatchObject({
        outcome: 'completed',
        terminalEventType: 'order.completed',
        terminalUs: T0 + 20_000,
      });
      // A later publish of another terminal kind does not rename it.
      await store.ingest({
        ...empty,
        publishes: [
          publish({ correlationId: corr, eventType: 'order.failed', terminal: 'failed', timeUs: T0 + 30_000 }),
        ],
      });
      expect((await store.saga(corr))?.summary.terminalEventType).toBe('order.completed');
    });

    it('counts a second processed delivery by one group as a duplicate, but not a re-sent span', async () => {
      const store = await make();
      const p = publish();
      const d1 = delivery({ eventId: p.eventId });
      const r1 = await store.ingest({ ...empty, publishes: [p], deliveries: [d1] });
      expect(r1.duplicates).toEqual([]);
      // The exporter retried: the very same span again is not a second delivery.
      const again = await store.ingest({ ...empty, deliveries: [d1] });
      expect(again.duplicates).toEqual([]);
      expect(again.hopTimings).toEqual([]);
      const other = await store.ingest({ ...empty, deliveries: [delivery({ eventId: p.eventId, group: 'audit' })] });
      expect(other.duplicates).toEqual([]);
      const dup = await store.ingest({
        ...empty,
        deliveries: [delivery({ eventId: p.eventId, startUs: T0 + 50_000 })],
      });
      expect(dup.duplicates).toEqual([{ eventId: p.eventId, group: 'payments' }]);
      expect(await store.duplicates(10)).toEqual([
        { eventId: p.eventId, group: 'payments', count: 2, firstUs: T0 + 50_000, lastUs: T0 + 50_000 },
      ]);
      expect((await store.event(p.eventId as string)).deliveries).toHaveLength(3);
    });

    it('assembles a saga: type from the first event, compensations, DLQ steps, terminal outcome and latency', async () => {
      const store = await make();
      const corr = `order-${randomUUID()}`;
      const placed = publish({ correlationId: corr, timeUs: T0 });
      const refund = publish({
        correlationId: corr,
        eventType: 'payment.refunded',
        topic: 'payments',
        sagaType: 'payment',
        compensation: true,
        timeUs: T0 + 30_000,
        endUs: T0 + 31_000,
      });
      const failed = publish({
        correlationId: corr,
        eventType: 'order.failed',
        terminal: 'failed',
        timeUs: T0 + 40_000,
        endUs: T0 + 41_000,
      });
      // The later events arrive first: the saga type must still come from the first event.
      await store.ingest({ ...empty, publishes: [refund, failed] });
      await store.ingest({ ...empty, publishes: [placed] });
      await store.ingest({
        ...empty,
        deliveries: [delivery({ eventId: placed.eventId, outcome: 'dead_lettered', dlqTopic: 'payments.dlq' })],
      });
      const res = await store.ingest({
        ...empty,
        deliveries: [
          delivery({
            eventId: failed.eventId,
            group: 'orchestrator',
            terminal: 'failed',
            startUs: T0 + 45_000,
            endUs: T0 + 47_000,
          }),
        ],
      });
      expect(res.sagasEnded).toEqual([
        { correlationId: corr, sagaType: 'order', outcome: 'compensated', endToEndUs: 45_000 },
      ]);
      const saga = await store.saga(corr);
      expect(saga?.summary).toMatchObject({
        correlationId: corr,
        sagaType: 'order',
        outcome: 'compensated',
        terminalEventType: 'order.failed',
        firstUs: T0,
        endToEndUs: 45_000,
        hops: 3,
        compensations: 1,
        dlqSteps: 1,
      });
      expect(saga?.hops.publishes.map((p) => p.eventType)).toEqual([
        'order.placed',
        'payment.refunded',
        'order.failed',
      ]);
      expect(saga?.hops.deliveries).toHaveLength(2);
      expect(await store.saga('no-such-saga')).toBeUndefined();
    });

    it('holds a saga end back until its root publish arrives, whatever order the spans come in', async () => {
      const store = await make();
      const corr = `order-${randomUUID()}`;
      const placed = publish({ correlationId: corr, timeUs: T0 });
      // A poison record to a step's topic, published before order.placed and with no causation
      // id either, must not give the saga its type.
      const poison = publish({
        correlationId: corr,
        eventType: 'inventory.reserve',
        topic: 'inventory.reserve',
        sagaType: 'inventory',
        timeUs: T0 - 1_000,
        endUs: T0 - 500,
      });
      const reserve = publish({
        correlationId: corr,
        causationId: placed.eventId,
        eventType: 'inventory.reserve',
        topic: 'inventory.reserve',
        sagaType: 'inventory',
        timeUs: T0 + 5_000,
        endUs: T0 + 6_000,
      });
      const failed = publish({
        correlationId: corr,
        causationId: reserve.eventId,
        eventType: 'order.failed',
        topic: 'order.failed',
        terminal: 'failed',
        timeUs: T0 + 30_000,
        endUs: T0 + 31_000,
      });
      const terminal = (group: string, startUs: number): Delivery =>
        delivery({
          eventId: failed.eventId,
          eventType: 'order.failed',
          correlationId: corr,
          topic: 'order.failed',
          group,
          terminal: 'failed',
          sagaType: 'order',
          startUs,
          endUs: startUs + 3_000,
        });
      // The orchestrator's spans come first: the saga has ended, but its start is not known yet.
      const first = await store.ingest({
        ...empty,
        publishes: [reserve, failed],
        deliveries: [terminal('order', 50_000 + T0)],
      });
      expect(first.sagasEnded).toEqual([]);
      expect((await store.saga(corr))?.summary).toMatchObject({ outcome: 'failed', sagaType: 'order' });
      // An earlier processed delivery of the terminal event arrives later: the end moves to it.
      expect(
        (await store.ingest({ ...empty, deliveries: [terminal('orchestrator', T0 + 40_000)] })).sagasEnded,
      ).toEqual([]);
      // The compensation arrives after the terminal delivery: failed becomes compensated.
      const release = publish({
        correlationId: corr,
        causationId: reserve.eventId,
        eventType: 'inventory.release',
        topic: 'inventory.release',
        sagaType: 'inventory',
        compensation: true,
        timeUs: T0 + 20_000,
        endUs: T0 + 21_000,
      });
      expect((await store.ingest({ ...empty, publishes: [poison, release] })).sagasEnded).toEqual([
        // The poison record has no causation id: it counts as a root, so the end is released,
        // with the earliest publish (the poison record) as the saga's start.
        { correlationId: corr, sagaType: 'order', outcome: 'compensated', endToEndUs: 41_000 },
      ]);
      const late = await store.ingest({ ...empty, publishes: [placed] });
      expect(late.sagasEnded).toEqual([]);
      expect((await store.saga(corr))?.summary).toMatchObject({
        sagaType: 'order',
        outcome: 'compensated',
        firstUs: T0 - 1_000,
        terminalUs: T0 + 40_000,
        endToEndUs: 41_000,
        compensations: 1,
      });
      expect(await store.takeHeldEnds(Number.MAX_SAFE_INTEGER, 10)).toEqual([]);
    });

    it('reports an end held for a root publish that never comes once it is past the given time, once', async () => {
      const store = await make();
      const corr = `order-${randomUUID()}`;
      const step = publish({
        correlationId: corr,
        causationId: randomUUID(),
        eventType: 'order.completed',
        terminal: 'completed',
        timeUs: T0 + 10_000,
        endUs: T0 + 11_000,
      });
      const res = await store.ingest({
        ...empty,
        publishes: [step],
        deliveries: [
          delivery({
            eventId: step.eventId,
            correlationId: corr,
            eventType: 'order.completed',
            terminal: 'completed',
            sagaType: 'order',
            startUs: T0 + 20_000,
            endUs: T0 + 22_000,
          }),
        ],
      });
      expect(res.sagasEnded).toEqual([]);
      expect(await store.takeHeldEnds(T0 + 22_000, 10)).toEqual([]); // still active at that time
      const held = [{ correlationId: corr, sagaType: 'order', outcome: 'completed', endToEndUs: 10_000 }];
      expect(await store.takeHeldEnds(T0 + 22_001, 10)).toEqual(held);
      expect(await store.takeHeldEnds(T0 + 22_001, 10)).toEqual([]);
    });

    it('lists sagas by status, type, time and correlation id prefix, with keyset paging', async () => {
      const store = await make();
      const prefix = `p${hex(4)}-`;
      const now = T0 + 10 * 60e6;
      const publishes: Publish[] = [];
      for (let i = 0; i < 5; i++) {
        publishes.push(
          publish({ correlationId: `${prefix}${i}`, timeUs: now - (i + 1) * 1e6, endUs: now - (i + 1) * 1e6 }),
        );
      }
      // One old saga (stuck), one completed.
      publishes.push(publish({ correlationId: `${prefix}old`, timeUs: now - 5 * 60e6, endUs: now - 5 * 60e6 }));
      const done = publish({
        correlationId: `${prefix}done`,
        eventType: 'order.completed',
        terminal: 'completed',
        timeUs: now - 1e5,
        endUs: now - 1e5,
      });
      publishes.push(done);
      await store.ingest({
        ...empty,
        publishes,
        deliveries: [delivery({ eventId: done.eventId, terminal: 'completed', startUs: now - 5e4, endUs: now - 4e4 })],
      });
      const base = { nowUs: now, stuckAfterUs: 60e6, correlationIdPrefix: prefix };
      const page1 = await store.sagas({ ...base, limit: 3 });
      expect(page1.items.map((s) => s.correlationId)).toEqual([`${prefix}done`, `${prefix}0`, `${prefix}1`]);
      expect(page1.nextCursor).not.toBeNull();
      const page2 = await store.sagas({ ...base, limit: 3, cursor: page1.nextCursor as string });
      expect(page2.items.map((s) => s.correlationId)).toEqual([`${prefix}2`, `${prefix}3`, `${prefix}4`]);
      const page3 = await store.sagas({ ...base, limit: 3, cursor: page2.nextCursor as string });
      expect(page3.items.map((s) => s.correlationId)).toEqual([`${prefix}old`]);
      expect(page3.nextCursor).toBeNull();
      expect((await store.sagas({ ...base, limit: 10, status: 'stuck' })).items.map((s) => s.correlationId)).toEqual([
        `${prefix}old`,
      ]);
      expect((await store.sagas({ ...base, limit: 10, status: 'completed' })).items).toEqual([
        expect.objectContaining({ correlationId: `${prefix}done`, outcome: 'completed', endToEndUs: 5e4 }),
      ]);
      expect((await store.sagas({ ...base, limit: 10, status: 'in_flight' })).items).toHaveLength(5);
      expect((await store.sagas({ ...base, limit: 10, sagaType: 'nope' })).items).toHaveLength(0);
      const window = await store.sagas({ ...base, limit: 10, fromUs: now - 3.5e6, toUs: now - 1.5e6 });
      expect(window.items.map((s) => s.correlationId)).toEqual([`${prefix}1`, `${prefix}2`]);
      const stuck = await store.takeNewlyStuck(now - 60e6, 100);
      expect(stuck.map((s) => s.correlationId)).toContain(`${prefix}old`);
      expect((await store.takeNewlyStuck(now - 60e6, 100)).map((s) => s.correlationId)).not.toContain(`${prefix}old`);
    });

    it('finds hops by trace id and says what kind of id a search term is', async () => {
      const store = await make();
      const p = publish({ correlationId: `c-${hex(4)}` });
      const d = delivery({ eventId: p.eventId, traceId: p.traceId, originSpanId: p.spanId });
      await store.ingest({ ...empty, publishes: [p], deliveries: [d] });
      const t = await store.trace(p.traceId);
      expect(t.publishes.map((x) => x.spanId)).toEqual([p.spanId]);
      expect(t.deliveries.map((x) => x.spanId)).toEqual([d.spanId]);
      expect(await store.search(p.eventId as string)).toEqual({ event: true, trace: false, saga: false });
      expect(await store.search(p.traceId)).toEqual({ event: false, trace: true, saga: false });
      expect(await store.search(p.correlationId as string)).toEqual({ event: false, trace: false, saga: true });
      expect(await store.search('nothing')).toEqual({ event: false, trace: false, saga: false });
    });

    it('finds every span of a trace that crosses sagas and spans without a saga, once each, in time order', async () => {
      const store = await make();
      const traceId = hex(16);
      const a = publish({ traceId, correlationId: `a-${hex(4)}`, timeUs: T0 + 1_000 });
      const b = publish({ traceId, correlationId: `b-${hex(4)}`, timeUs: T0 });
      const loose = publish({ traceId, correlationId: null, timeUs: T0 + 3_000_000 });
      const other = publish({ correlationId: a.correlationId, timeUs: T0 + 2_000 }); // same saga, other trace
      const d = delivery({ traceId, eventId: a.eventId, startUs: T0 + 5_000, originSpanId: a.spanId });
      // A delivery stored without a saga that a later record backfills into one.
      const late = delivery({ traceId, offset: 77, startUs: T0 + 4_000_000 });
      await store.ingest({ ...empty, publishes: [a, b, loose, other], deliveries: [d, late] });
      await store.ingest({
        ...empty,
        records: [
          {
            topic: 'orders',
            partition: 0,
            offset: 77,
            timestampUs: T0,
            eventId: b.eventId,
            correlationId: b.correlationId,
          },
        ],
      });
      const t = await store.trace(traceId);
      expect(t.publishes.map((x) => x.spanId)).toEqual([b.spanId, a.spanId, loose.spanId]);
      expect(t.deliveries.map((x) => x.spanId)).toEqual([d.spanId, late.spanId]);
      // The same spans again (an exporter retry) change nothing.
      await store.ingest({ ...empty, publishes: [a, b, loose], deliveries: [d, late] });
      expect((await store.stats()).rows).toMatchObject({ publishes: 4, deliveries: 2 });
      expect((await store.trace(traceId)).publishes).toHaveLength(3);
    });

    it('finds records a group passed without a delivery or a DLQ entry, honouring the grace period', async () => {
      const store = await make();
      const topic = `t-${hex(4)}`;
      const ids = [0, 1, 2, 3, 4].map(() => randomUUID());
      await store.ingest({
        ...empty,
        records: ids.map((eventId, off) => ({
          topic,
          partition: 0,
          offset: off,
          timestampUs: off === 4 ? T0 + 100e6 : T0,
          eventId,
          correlationId: null,
        })),
        // offset 0 delivered; offset 2 dead-lettered (published to grp.dlq); 1 and 3 lost; 4 is too young.
        publishes: [publish({ eventId: ids[2] as string, topic: 'grp.dlq' })],
        deliveries: [delivery({ topic, offset: 0, group: 'grp', eventId: ids[0] as string })],
      });
      expect(await store.instrumentedGroups()).toContainEqual({ group: 'grp', topic, partition: 0, firstOffset: 0 });
      const q = { group: 'grp', topic, partition: 0, fromOffset: 0, toOffset: 5, seenBeforeUs: T0 + 50e6, limit: 100 };
      const res = await store.unaccountedCandidates(q);
      expect(res.records.map((r) => r.offset)).toEqual([1, 3]);
      expect(res.nextCheckpoint).toBe(4);
      const limited = await store.unaccountedCandidates({ ...q, limit: 1 });
      expect(limited).toMatchObject({ records: [{ offset: 1 }], nextCheckpoint: 2 });
      const entries = res.records.map((r) => ({
        group: 'grp',
        topic,
        partition: 0,
        offset: r.offset,
        eventId: r.eventId,
        correlationId: null,
        detectedUs: T0,
        class: 'unknown' as const,
        reason: 'pending' as const,
        service: null,
        decidedUs: null,
      }));
      expect(await store.addUnaccounted(entries)).toBe(2);
      expect(await store.addUnaccounted(entries)).toBe(0);
      expect((await store.unaccounted(10)).map((u) => u.offset).sort()).toEqual([1, 3]);
      expect(await store.auditCheckpoint('grp', topic, 0)).toBeUndefined();
      await store.setAuditCheckpoint('grp', topic, 0, 4);
      expect(await store.auditCheckpoint('grp', topic, 0)).toBe(4);
    });

    it("gathers a finding's evidence (late span, caused events, neighbours) and keeps the first decision", async () => {
      const store = await make();
      const topic = `t-${hex(4)}`;
      const ids = Array.from({ length: 8 }, () => randomUUID());
      const f = (offset: number): UnaccountedEntry => ({
        group: 'inv',
        topic,
        partition: 0,
        offset,
        eventId: ids[offset] as string,
        correlationId: null,
        detectedUs: T0 + offset,
        class: 'unknown',
        reason: 'pending',
        service: null,
        decidedUs: null,
      });
      // The group processed 0, 1, 2 and 6 (each caused a reply); 3 caused a reply whose publish span is
      // lost (only the reply's delivery, with its causation id, is known); 4 caused an event published by
      // another service; 5 and 7 caused nothing.
      const reply = (cause: number, service = 'inventory'): Publish =>
        publish({ causationId: ids[cause] as string, topic: 'replies', service });
      await store.ingest({
        ...empty,
        publishes: [reply(0), reply(1), reply(2), reply(6), reply(4, 'orchestrator')],
        deliveries: [
          ...[0, 1, 2, 6].map((o) =>
            delivery({ topic, offset: o, group: 'inv', service: 'inventory', eventId: ids[o] as string }),
          ),
          delivery({ topic: 'replies', group: 'orch', eventId: randomUUID(), causationId: ids[3] as string }),
        ],
      });
      expect(await store.addUnaccounted([3, 4, 5, 7].map(f))).toBe(4);
      const e3 = await store.findingEvidence(f(3));
      expect(e3).toEqual({
        delivered: false,
        copyProcessed: false,
        causedBy: [null],
        services: ['inventory'],
        neighbours: 4,
        neighboursWithEffects: 4,
      });
      expect((await store.findingEvidence(f(4))).causedBy).toEqual(['orchestrator']);
      expect((await store.findingEvidence(f(5))).causedBy).toEqual([]);
      // A span of 7 that came late.
      await store.ingest({
        ...empty,
        deliveries: [delivery({ topic, offset: 7, group: 'inv', service: 'inventory', eventId: ids[7] as string })],
      });
      expect((await store.findingEvidence(f(7))).delivered).toBe(true);
      expect((await store.openFindings(10)).map((u) => u.offset)).toEqual([3, 4, 5, 7]);
      const decision = { group: 'inv', topic, partition: 0, service: 'inventory', decidedUs: T0 + 1e6 };
      const first = [
        { ...decision, offset: 3, class: 'telemetry-missing' as const, reason: 'caused-event' as const },
        { ...decision, offset: 5, class: 'skipped' as const, reason: 'no-effect' as const },
      ];
      expect(await store.decideFindings(first)).toEqual(first);
      // Decided once: a second decision changes nothing.
      expect(await store.decideFindings([{ ...decision, offset: 5, class: 'unknown', reason: 'no-evidence' }])).toEqual(
        [],
      );
      expect((await store.openFindings(10)).map((u) => u.offset)).toEqual([4, 7]);
      expect(await store.unaccounted(10, 'skipped')).toEqual([
        { ...f(5), class: 'skipped', reason: 'no-effect', service: 'inventory', decidedUs: T0 + 1e6 },
      ]);
      // A copy of 4's event (a producer retry) at offset 9, processed: the event is accounted for.
      await store.ingest({
        ...empty,
        deliveries: [delivery({ topic, offset: 9, group: 'inv', service: 'inventory', eventId: ids[4] as string })],
      });
      expect(await store.findingEvidence(f(4))).toMatchObject({ delivered: false, copyProcessed: true });
      expect(await store.withdrawFindings([f(4), f(5)])).toBe(1); // 5 is decided: stays
      expect((await store.openFindings(10)).map((u) => u.offset)).toEqual([7]);
      const counts = await store.findingCounts();
      expect(counts).toContainEqual({ class: 'skipped', group: 'inv', topic, service: 'inventory', count: 1 });
      expect(counts).toContainEqual({
        class: 'telemetry-missing',
        group: 'inv',
        topic,
        service: 'inventory',
        count: 1,
      });
      expect(counts).toContainEqual({ class: 'unknown', group: 'inv', topic, service: null, count: 1 });
    });

    it('deletes by age and by size', async () => {
      const store = await make();
      const publishes = Array.from({ length: 2000 }, (_, i) =>
        publish({ correlationId: `r-${i}`, eventType: `order.placed.${'x'.repeat(200)}` }),
      );
      await store.ingest({ ...empty, publishes });
      const before = await store.stats();
      expect(before.rows.publishes).toBe(2000);
      expect(before.rows.sagas).toBe(2000);
      expect(before.bytes).toBeGreaterThan(400_000);
      // Nothing is old enough yet, and the store is under the size limit.
      expect(await store.enforceRetention({ nowUs: Date.now() * 1000, maxAgeUs: 3600e6, maxBytes: 1e9 })).toBe(0);
      // Under a small size limit the oldest rows go, not the newest.
      await store.enforceRetention({ nowUs: Date.now() * 1000, maxAgeUs: 3600e6, maxBytes: before.bytes / 2 });
      const mid = await store.stats();
      expect(mid.bytes).toBeLessThanOrEqual(before.bytes / 2);
      expect(mid.rows.publishes).toBeLessThan(2000);
      expect(mid.rows.publishes).toBeGreaterThan(0);
      const newest = publishes.at(-1) as Publish;
      expect((await store.event(newest.eventId as string)).publishes).toHaveLength(1);
      expect((await store.event(publishes[0]?.eventId as string)).publishes).toHaveLength(0);
      // Everything was ingested before "now + 2 h", so a 1 h age limit then removes it all.
      await store.enforceRetention({ nowUs: Date.now() * 1000 + 7200e6, maxAgeUs: 3600e6, maxBytes: 1e9 });
      const after = await store.stats();
      expect(after.rows).toEqual({ publishes: 0, deliveries: 0, records: 0, sagas: 0 });
    });

    it('keeps an audit log, newest first, paged by id, across reopen and age retention', async () => {
      const store = await make();
      const row = (i: number) => ({
        timeUs: T0 + i,
        subject: i % 2 === 0 ? 'anonymous' : 'ops-bot',
        role: i % 2 === 0 ? null : ('operator' as const),
        via: i % 2 === 0 ? null : ('token' as const),
        action: 'POST /api/dlqs/:topic/mark',
        // Names from outside, like a topic named after an object member, are plain data here.
        target: i === 3 ? 'constructor' : `topic=t${i}.dlq`,
        result: i % 2 === 0 ? 'unauthorized' : 'ok',
        detail: i === 4 ? 'a detail' : null,
        remoteAddress: '127.0.0.1',
        userAgent: i === 1 ? null : 'curl/8',
      });
      const ids: number[] = [];
      for (let i = 0; i < 7; i++) ids.push(await store.addAuditEntry(row(i)));
      expect([...ids].sort((a, b) => a - b)).toEqual(ids);
      const first = await store.auditLog({ limit: 3 });
      expect(first.map((e) => e.timeUs)).toEqual([T0 + 6, T0 + 5, T0 + 4]);
      expect(first[2]).toEqual({ id: ids[4], ...row(4) });
      const second = await store.auditLog({ limit: 3, beforeId: first[2]?.id });
      expect(second.map((e) => e.target)).toEqual(['constructor', 'topic=t2.dlq', 'topic=t1.dlq']);
      expect(second[2]).toMatchObject({ subject: 'ops-bot', role: 'operator', via: 'token', userAgent: null });
      expect((await store.auditLog({ limit: 3, beforeId: second[2]?.id })).map((e) => e.id)).toEqual([ids[0]]);
      // The audit log is bounded by rows, not by the flows' age limit.
      await store.enforceRetention({ nowUs: Date.now() * 1000 + 7200e6, maxAgeUs: 3600e6, maxBytes: 1e9 });
      await store.close();
      open.splice(open.indexOf(store), 1);
      const again = await factory.reopen(store);
      open.push(again);
      expect((await again.auditLog({ limit: 100 })).map((e) => e.id)).toEqual([...ids].reverse());
    });

    it('keeps everything across close and reopen', async () => {
      const store = await make();
      const p = publish({ correlationId: `dur-${hex(4)}`, offset: 3 });
      await store.ingest({ ...empty, publishes: [p], deliveries: [delivery({ eventId: p.eventId, offset: 3 })] });
      await store.close();
      open.splice(open.indexOf(store), 1);
      const again = await factory.reopen(store);
      open.push(again);
      const hops = await again.event(p.eventId as string);
      expect(hops.publishes).toHaveLength(1);
      expect(hops.deliveries).toHaveLength(1);
      expect((await again.saga(p.correlationId as string))?.summary.hops).toBe(1);
      expect((await again.stats()).rows.publishes).toBe(1);
    });
  });
}
