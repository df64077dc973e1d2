/**
 * The flows API over spans sent as OTLP/JSON: saga statuses (compensated, stuck), DLQ'd
 * steps, filters and paging, search, bad and unknown ids; and every flow metric documented.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { EventView, SagaView } from '../src/flows/schemas.ts';
import {
  hex,
  kafkaSpan,
  metricValue,
  postSpans,
  serviceSpans,
  useListeningApp,
  type KafkaSpan,
} from './traces-helpers.ts';

const h = useListeningApp({ overrides: { stuckAfterMs: 1000 } });

type SpanSpec = KafkaSpan & { service?: string };

async function send(specs: SpanSpec[]): Promise<void> {
  await postSpans(h.app, [serviceSpans(specs[0]?.service ?? 'svc', specs.map(kafkaSpan))]);
}

describe('flows API', () => {
  it('reports a compensated saga with its compensation and DLQ step, and the DLQ step on the event', async () => {
    const corr = `order-${randomUUID()}`;
    const live: { correlationId: string; status: string }[] = [];
    const off = h.app.live.on('saga', (e) => live.push(e));
    const t = Date.now() - 500;
    const placed = randomUUID();
    const refunded = randomUUID();
    const failed = randomUUID();
    await send([
      { kind: 'producer', topic: 'orders', eventId: placed, type: 'order.placed', corr, startMs: t, endMs: t + 1 },
      {
        kind: 'consumer',
        topic: 'orders',
        eventId: placed,
        type: 'order.placed',
        corr,
        startMs: t + 5,
        endMs: t + 9,
        group: 'inventory',
        outcome: 'dead_lettered',
        dlqTopic: 'inventory.dlq',
      },
      {
        kind: 'producer',
        topic: 'payments',
        eventId: refunded,
        type: 'payment.refunded',
        corr,
        startMs: t + 20,
        endMs: t + 21,
      },
      {
        kind: 'producer',
        topic: 'orders',
        eventId: failed,
        type: 'order.failed',
        corr,
        startMs: t + 30,
        endMs: t + 31,
      },
      {
        kind: 'consumer',
        topic: 'orders',
        eventId: failed,
        type: 'order.failed',
        corr,
        startMs: t + 40,
        endMs: t + 42.5,
        group: 'orchestrator',
      },
    ]);
    off();
    expect(live).toContainEqual({ correlationId: corr, status: 'compensated' });
    const saga = (await h.app.inject(`/api/sagas/${corr}`)).json<SagaView>();
    expect(saga).toMatchObject({
      correlationId: corr,
      sagaType: 'order',
      status: 'compensated',
      terminalEventType: 'order.failed',
      startMs: t,
      // First publish (t) to the start of the first processed delivery of order.failed (t + 40).
      endToEndMs: 40,
      hopCount: 3,
      compensations: [{ eventId: refunded, eventType: 'payment.refunded', timeMs: t + 20 }],
      dlqSteps: [{ eventId: placed, group: 'inventory', dlqTopic: 'inventory.dlq', timeMs: t + 9 }],
    });
    expect(saga.hops.map((x) => [x.eventType, x.compensation])).toEqual([
      ['order.placed', false],
      ['payment.refunded', true],
      ['order.failed', false],
    ]);
    const ev = (await h.app.inject(`/api/events/${placed}`)).json<EventView>();
    expect(ev.deadLettered).toBe(true);
    expect(ev.groups).toEqual([
      expect.objectContaining({
        group: 'inventory',
        state: 'dead_lettered',
        deliveries: [expect.objectContaining({ outcome: 'dead_lettered', queueTimeMs: 5, processingTimeMs: 4 })],
      }),
    ]);
    expect(
      await metricValue(h.app, 'eventscope_saga_outcomes_total', { saga_type: 'order', outcome: 'compensated' }),
    ).toBe(1);
  });

  it('lists sagas by status, type, time and correlation id, pages with a cursor, and reports stuck ones once', async () => {
    const prefix = `list-${hex(4)}-`;
    const now = Date.now();
    const specs: SpanSpec[] = [0, 1, 2, 3].map((i) => ({
      kind: 'producer',
      topic: 'orders',
      eventId: randomUUID(),
      type: i === 3 ? 'refund.requested' : 'order.placed',
      corr: `${prefix}${i}`,
      // Saga 0 is 10 s old: stuck after 1 s. The others are fresh.
      startMs: i === 0 ? now - 10_000 : now + i,
      endMs: i === 0 ? now - 10_000 : now + i,
    }));
    await send(specs);
    const list = async (qs: string) =>
      (await h.app.inject(`/api/sagas?q=${prefix}&${qs}`)).json<{
        items: { correlationId: string; status: string; sagaType: string }[];
        nextCursor: string | null;
      }>();
    const page1 = await list('limit=2');
    expect(page1.items.map((s) => s.correlationId)).toEqual([`${prefix}3`, `${prefix}2`]);
    const page2 = await list(`limit=2&cursor=${encodeURIComponent(page1.nextCursor as string)}`);
    expect(page2.items.map((s) => s.correlationId)).toEqual([`${prefix}1`, `${prefix}0`]);
    expect(page2.nextCursor).toBeNull();
    expect((await list('status=stuck')).items.map((s) => [s.correlationId, s.status])).toEqual([
      [`${prefix}0`, 'stuck'],
    ]);
    expect((await list('status=in_flight')).items).toHaveLength(3);
    expect((await list('type=refund')).items.map((s) => s.correlationId)).toEqual([`${prefix}3`]);
    expect(
      (await list(`from=${now + 1.5}&to=${new Date(now + 10).toISOString()}`)).items.map((s) => s.correlationId),
    ).toEqual([`${prefix}3`, `${prefix}2`]);
    const before = await metricValue(h.app, 'eventscope_saga_outcomes_total', { outcome: 'stuck' });
    expect(await h.app.flows.sweepStuck()).toBeGreaterThanOrEqual(1);
    expect(await metricValue(h.app, 'eventscope_saga_outcomes_total', { outcome: 'stuck' })).toBeGreaterThan(before);
    const after = await metricValue(h.app, 'eventscope_saga_outcomes_total', { outcome: 'stuck' });
    await h.app.flows.sweepStuck();
    expect(await metricValue(h.app, 'eventscope_saga_outcomes_total', { outcome: 'stuck' })).toBe(after);
  });

  it("stores events whose type names a JavaScript object's member (constructor, toString) as plain types", async () => {
    const corr = `odd-${randomUUID()}`;
    const t = Date.now() - 500;
    const ids = [randomUUID(), randomUUID(), randomUUID()];
    const types = ['constructor', 'toString', '__proto__'];
    await send(
      types.flatMap((type, i) => [
        { kind: 'producer' as const, topic: 'odd', eventId: ids[i] as string, type, corr, startMs: t, endMs: t + 1 },
        {
          kind: 'consumer' as const,
          topic: 'odd',
          eventId: ids[i] as string,
          type,
          corr,
          startMs: t + 2,
          endMs: t + 3,
          group: 'odd-group',
        },
      ]),
    );
    for (const [i, id] of ids.entries()) {
      const res = await h.app.inject({ method: 'GET', url: `/api/events/${id}` });
      expect(res.statusCode, types[i]).toBe(200);
      expect(res.json<EventView>().eventType).toBe(types[i]);
    }
    // None of them is a terminal event: the saga is still in flight.
    const saga = await h.app.inject({ method: 'GET', url: `/api/sagas/${corr}` });
    expect(saga.statusCode).toBe(200);
    expect(saga.json<SagaView>().status).toBe('in_flight');
  });

  it('answers 400 for bad ids and parameters, 404 for unknown ones, and says what an id is', async () => {
    for (const url of [
      '/api/events/bad%20id',
      '/api/sagas/%2E%2E%2Fetc',
      '/api/traces/xyz',
      '/api/traces/00000000000000000000000000000000',
      '/api/search?q=no%20spaces',
      '/api/sagas?status=exploded',
      '/api/sagas?cursor=nonsense',
      '/api/sagas?from=yesterday',
      '/api/sagas?limit=0',
    ]) {
      const res = await h.app.inject(url);
      expect([url, res.statusCode]).toEqual([url, 400]);
      expect(res.json<{ message: string }>().message.length).toBeGreaterThan(0);
    }
    for (const url of [`/api/events/${randomUUID()}`, `/api/sagas/${randomUUID()}`, `/api/traces/${hex(16)}`]) {
      const res = await h.app.inject(url);
      expect([url, res.statusCode]).toEqual([url, 404]);
      expect(res.json()).toMatchObject({ error: 'NOT_FOUND' });
    }
    const corr = `order-${randomUUID()}`;
    const eventId = randomUUID();
    await send([
      {
        kind: 'producer',
        topic: 'orders',
        eventId,
        type: 'order.placed',
        corr,
        startMs: Date.now(),
        endMs: Date.now(),
      },
    ]);
    const ev = (await h.app.inject(`/api/events/${eventId}`)).json<EventView>();
    const search = async (q: string) => (await h.app.inject(`/api/search?q=${q}`)).json<{ matches: unknown[] }>();
    expect((await search(eventId)).matches).toEqual([{ kind: 'event', id: eventId, href: `/api/events/${eventId}` }]);
    expect((await search(corr)).matches).toEqual([{ kind: 'saga', id: corr, href: `/api/sagas/${corr}` }]);
    const traceId = ev.publish?.traceId as string;
    expect((await search(traceId.toUpperCase())).matches).toEqual([
      { kind: 'trace', id: traceId, href: `/api/traces/${traceId}` },
    ]);
    expect((await search('nothing-here')).matches).toEqual([]);
  });

  it('draws the flow map: publish and consume edges with rates, errors and latency', async () => {
    const topic = `map-${hex(4)}`;
    const t = Date.now() - 1000;
    const specs: SpanSpec[] = [];
    for (let i = 0; i < 6; i++) {
      const eventId = randomUUID();
      const corr = `map-${randomUUID()}`;
      specs.push({
        kind: 'producer',
        topic,
        eventId,
        type: 'order.placed',
        corr,
        startMs: t,
        endMs: t + 4,
        service: 'mapsvc',
      });
      specs.push({
        kind: 'consumer',
        topic,
        eventId,
        type: 'order.placed',
        corr,
        startMs: t + 30,
        endMs: t + 35,
        group: 'map-group',
        outcome: i === 0 ? 'dead_lettered' : 'processed',
      });
    }
    await send(specs);
    const map = (await h.app.inject('/api/flows?rangeSeconds=60')).json<{
      rangeSeconds: number;
      nodes: { id: string; kind: string; name: string }[];
      edges: {
        from: string;
        to: string;
        group: string | null;
        ratePerSecond: number;
        p50Ms: number;
        errorsPerSecond: number;
      }[];
    }>();
    expect(map.rangeSeconds).toBe(60);
    expect(map.nodes).toContainEqual({ id: `topic:${topic}`, kind: 'topic', name: topic });
    expect(map.nodes).toContainEqual({ id: 'service:mapsvc', kind: 'service', name: 'mapsvc' });
    const publish = map.edges.find((e) => e.to === `topic:${topic}`);
    expect(publish).toMatchObject({ from: 'service:mapsvc', group: null, ratePerSecond: 6 / 60, errorsPerSecond: 0 });
    expect(publish?.p50Ms).toBeGreaterThan(2);
    expect(publish?.p50Ms).toBeLessThanOrEqual(5);
    const consume = map.edges.find((e) => e.from === `topic:${topic}`);
    expect(consume).toMatchObject({
      to: 'service:mapsvc',
      group: 'map-group',
      ratePerSecond: 6 / 60,
      errorsPerSecond: 1 / 60,
    });
    // Queue time 30 ms falls in the (20, 50] ms bucket.
    expect(consume?.p50Ms).toBeGreaterThan(20);
    expect(consume?.p50Ms).toBeLessThanOrEqual(50);
    expect((await h.app.inject('/api/flows?rangeSeconds=5')).statusCode).toBe(400);
  });

  it('documents every trace, flow, store and tap metric in docs/metrics.md', async () => {
    const names = (await h.app.metrics.getMetricsAsJSON())
      .map((m) => m.name)
      .filter((n) =>
        /^eventscope_(spans|otlp|intake|store|hop|saga|duplicates|unaccounted|telemetry_missing|audit_unknown|tap)_/.test(
          n,
        ),
      );
    expect(names.length).toBeGreaterThanOrEqual(13);
    const doc = readFileSync(new URL('../docs/metrics.md', import.meta.url), 'utf8');
    expect(names.filter((n) => !doc.includes(`\`${n}\``))).toEqual([]);
  });
});
