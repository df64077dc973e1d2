/**
 * One source of truth for saga outcomes (issue #23, item 1): the overview's outcome figures,
 * the saga lists they link to and /metrics (net of late changes, as the alert reads them)
 * agree, also for sagas that end `failed` and are compensated in a later batch. Before, the
 * overview and the counter kept a saga at its first outcome while the lists showed its last.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { Overview } from '../src/api/schemas.ts';
import { kafkaSpan, metricValue, postSpans, serviceSpans, useListeningApp } from './traces-helpers.ts';

const h = useListeningApp();

interface Hop {
  kind: 'send' | 'process';
  service: string;
  type: string;
  corr: string;
  eventId: string;
  causationId?: string;
  atMs: number;
  group?: string;
}

function span(hop: Hop) {
  return serviceSpans(hop.service, [
    kafkaSpan({
      kind: hop.kind === 'send' ? 'producer' : 'consumer',
      topic: hop.type,
      type: hop.type,
      corr: hop.corr,
      eventId: hop.eventId,
      startMs: hop.atMs,
      ...(hop.causationId ? { causationId: hop.causationId } : {}),
      ...(hop.group ? { group: hop.group, outcome: 'processed' } : {}),
    }),
  ]);
}

async function send(hops: Hop[]): Promise<void> {
  await postSpans(h.app, hops.map(span));
}

/** A saga: order.placed (root), then its end (a terminal event published and processed) or nothing. */
function saga(end: 'completed' | 'failed' | 'compensated' | null, t: number): { corr: string; hops: Hop[] } {
  const corr = `order-${randomUUID()}`;
  const placed = randomUUID();
  const hops: Hop[] = [{ kind: 'send', service: 'orders', type: 'order.placed', corr, eventId: placed, atMs: t }];
  if (end === 'compensated') {
    const released = randomUUID();
    hops.push({
      kind: 'send',
      service: 'inventory',
      type: 'inventory.released',
      corr,
      eventId: released,
      causationId: placed,
      atMs: t + 5,
    });
  }
  if (end !== null) {
    const type = end === 'completed' ? 'order.completed' : 'order.failed';
    const id = randomUUID();
    hops.push(
      { kind: 'send', service: 'orchestrator', type, corr, eventId: id, causationId: placed, atMs: t + 10 },
      { kind: 'process', service: 'orders', type, corr, eventId: id, atMs: t + 20, group: 'orders' },
    );
  }
  return { corr, hops };
}

/** A compensation step published after the saga's end was processed (and reported). */
function lateCompensation(corr: string, t: number): Hop {
  return { kind: 'send', service: 'inventory', type: 'inventory.released', corr, eventId: randomUUID(), atMs: t };
}

const STATUSES = ['in_flight', 'completed', 'compensated', 'failed', 'stuck'] as const;

async function listed(status: string, fromMs: number): Promise<number> {
  const res = await h.app.inject(`/api/sagas?status=${status}&from=${fromMs}&limit=500`);
  expect(res.statusCode).toBe(200);
  return res.json<{ items: unknown[] }>().items.length;
}

/** Sagas by current outcome from the counters, as eventscope:saga_outcomes:rate15m nets them. */
async function metricNet(outcome: string): Promise<number> {
  return (
    (await metricValue(h.app, 'eventscope_saga_outcomes_total', { outcome })) -
    (await metricValue(h.app, 'eventscope_saga_outcome_changes_total', { from: outcome }))
  );
}

describe('saga outcomes: overview, lists and /metrics agree', () => {
  it('counts a saga failed, then compensated in a later batch, as compensated everywhere', async () => {
    // 20 s back: the in-flight sagas stay in flight for 40 s more (stuckAfterMs 60 s). At 60 s
    // back they turned stuck a second in, between the overview and the lists on a loaded machine.
    const t = Date.now() - 20_000;
    const completed = [saga('completed', t), saga('completed', t + 100), saga('completed', t + 200)];
    const failed = [saga('failed', t + 300), saga('failed', t + 400)];
    const compensatedLate = [saga('failed', t + 500), saga('failed', t + 600), saga('failed', t + 700)];
    const compensatedInOrder = [saga('compensated', t + 800)];
    const inFlight = [saga(null, t + 900), saga(null, t + 1000)];
    const all = [...completed, ...failed, ...compensatedLate, ...compensatedInOrder, ...inFlight];
    await send(all.flatMap((s) => s.hops));
    // The failures of compensatedLate were reported as failed; their compensations come now.
    expect(await metricValue(h.app, 'eventscope_saga_outcomes_total', { outcome: 'failed' })).toBe(5);
    await send(compensatedLate.map((s, i) => lateCompensation(s.corr, t + 2000 + i)));

    const overview = (await h.app.inject('/api/overview?rangeSeconds=900')).json<Overview>();
    const expected = { in_flight: 2, completed: 3, compensated: 4, failed: 2, stuck: 0 };
    expect(overview.sagaOutcomes).toEqual(expected);
    const from = Date.now() - 900_000;
    for (const s of STATUSES) expect(await listed(s, from), `list of ${s}`).toBe(expected[s]);
    for (const s of ['completed', 'compensated', 'failed'] as const) {
      expect(await metricNet(s), `net eventscope_saga_outcomes_total{outcome="${s}"}`).toBe(expected[s]);
    }
    expect(
      await metricValue(h.app, 'eventscope_saga_outcome_changes_total', { from: 'failed', to: 'compensated' }),
    ).toBe(3);
    // The sagas a group took part in (the group page links there): the 9 ended ones had a delivery by `orders`.
    const byGroup = (g: string) => h.app.inject(`/api/sagas?group=${encodeURIComponent(g)}&limit=500`);
    expect((await byGroup('orders')).json<{ items: unknown[] }>().items).toHaveLength(9);
    expect((await byGroup('__proto__')).json<{ items: unknown[] }>().items).toHaveLength(0);
    expect((await h.app.inject('/api/sagas?group=')).statusCode).toBe(400);
    // A second late compensation of the same saga changes nothing more.
    await send([lateCompensation(compensatedLate[0]?.corr ?? '', t + 3000)]);
    expect(await metricNet('compensated')).toBe(4);
    expect((await h.app.inject('/api/overview?rangeSeconds=900')).json<Overview>().sagaOutcomes).toEqual(expected);
  });

  it('counts only sagas started in the range, as the list with the same start does', async () => {
    const old = saga('completed', Date.now() - 3 * 3600_000);
    await send(old.hops);
    const short = (await h.app.inject('/api/overview?rangeSeconds=900')).json<Overview>();
    expect(short.sagaOutcomes.completed).toBe(3);
    const long = (await h.app.inject('/api/overview?rangeSeconds=86400')).json<Overview>();
    expect(long.sagaOutcomes.completed).toBe(4);
    expect(await listed('completed', Date.now() - 86_400_000)).toBe(4);
    expect((await h.app.inject('/api/overview?rangeSeconds=86401')).statusCode).toBe(400);
  });
});
