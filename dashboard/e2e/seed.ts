/**
 * Demo-like flows sent to the collector as OTLP/HTTP JSON spans, following
 * docs/event-contract.md, so the browser sees a real saga assembled by the real collector.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { type Served } from './serve.ts';

/** One Kafka span of a saga; its trace is sendSpans's unless it names one. */
export interface SpanSpec {
  service: string;
  traceId?: string;
  spanId?: string;
  /** A span link (an eachBatch consumer's trace links to the producer's span). */
  link?: { traceId: string; spanId: string };
  kind: 'producer' | 'consumer';
  topic: string;
  eventId: string;
  type: string;
  startMs: number;
  endMs: number;
  offset: number;
  group?: string;
  outcome?: string;
  attempt?: number;
  dlqTopic?: string;
  causationId?: string;
}

export const hex = (n: number): string => randomBytes(n).toString('hex');
const ns = (ms: number): string => (BigInt(Math.round(ms * 1000)) * 1000n).toString();
const attr = (key: string, v: string | number) =>
  typeof v === 'number' ? { key, value: { intValue: String(v) } } : { key, value: { stringValue: v } };

export interface SeededSaga {
  correlationId: string;
  traceId: string;
  events: { placed: string; reserved: string; declined: string; released: string; failed: string };
  services: string[];
}

/**
 * order.placed (orders) -> inventory reserves -> payments declines (payment.declined; the
 * orchestrator dead-letters it after 3 attempts) -> inventory.released (a compensation) ->
 * order.failed processed by the orchestrator.
 */
export async function seedSaga(served: Served): Promise<SeededSaga> {
  const corr = `order-${randomUUID()}`;
  const traceId = hex(16);
  const ev = {
    placed: randomUUID(),
    reserved: randomUUID(),
    declined: randomUUID(),
    released: randomUUID(),
    failed: randomUUID(),
  };
  const t = Date.now() - 5000;
  const specs: SpanSpec[] = [
    {
      service: 'orders',
      kind: 'producer',
      topic: 'orders',
      eventId: ev.placed,
      type: 'order.placed',
      startMs: t,
      endMs: t + 2,
      offset: 100,
    },
    {
      service: 'inventory',
      kind: 'consumer',
      topic: 'orders',
      eventId: ev.placed,
      type: 'order.placed',
      startMs: t + 40,
      endMs: t + 90,
      offset: 100,
      group: 'inventory',
      outcome: 'processed',
    },
    {
      service: 'payments',
      kind: 'consumer',
      topic: 'orders',
      eventId: ev.placed,
      type: 'order.placed',
      startMs: t + 35,
      endMs: t + 60,
      offset: 100,
      group: 'payments',
      outcome: 'processed',
    },
    {
      service: 'inventory',
      kind: 'producer',
      topic: 'inventory',
      eventId: ev.reserved,
      type: 'inventory.reserved',
      startMs: t + 92,
      endMs: t + 94,
      offset: 7,
      causationId: ev.placed,
    },
    {
      service: 'payments',
      kind: 'producer',
      topic: 'payments',
      eventId: ev.declined,
      type: 'payment.declined',
      startMs: t + 300,
      endMs: t + 302,
      offset: 55,
      causationId: ev.placed,
    },
    ...[1, 2, 3].map((attempt) => ({
      service: 'orchestrator',
      kind: 'consumer' as const,
      topic: 'payments',
      eventId: ev.declined,
      type: 'payment.declined',
      startMs: t + 320 + (attempt - 1) * 200,
      endMs: t + 380 + (attempt - 1) * 200,
      offset: 55,
      group: 'orchestrator',
      outcome: attempt < 3 ? 'retried' : 'dead_lettered',
      attempt,
      ...(attempt === 3 ? { dlqTopic: 'orchestrator.dlq' } : {}),
    })),
    {
      service: 'orchestrator',
      kind: 'producer',
      topic: 'inventory-commands',
      eventId: ev.released,
      type: 'inventory.released',
      startMs: t + 800,
      endMs: t + 802,
      offset: 12,
      causationId: ev.declined,
    },
    {
      service: 'inventory',
      kind: 'consumer',
      topic: 'inventory-commands',
      eventId: ev.released,
      type: 'inventory.released',
      startMs: t + 850,
      endMs: t + 900,
      offset: 12,
      group: 'inventory',
      outcome: 'processed',
    },
    {
      service: 'orchestrator',
      kind: 'producer',
      topic: 'orders',
      eventId: ev.failed,
      type: 'order.failed',
      startMs: t + 910,
      endMs: t + 912,
      offset: 101,
      causationId: ev.released,
    },
    {
      service: 'orchestrator',
      kind: 'consumer',
      topic: 'orders',
      eventId: ev.failed,
      type: 'order.failed',
      startMs: t + 930,
      endMs: t + 945,
      offset: 101,
      group: 'orchestrator',
      outcome: 'processed',
    },
  ];
  await sendSpans(served, corr, traceId, specs);
  return { correlationId: corr, traceId, events: ev, services: ['orders', 'inventory', 'payments', 'orchestrator'] };
}

/**
 * A saga drawn with things of other hops on a short processing bar: `a` publishes to `b` and
 * `c` at once; `b` processes for 0.4 ms (a bar of about 2 px), halfway to `c`'s delivery, so the
 * a -> c arrow crosses the bar's middle, and `b` publishes to `c` the moment it is done, so that
 * hop's publish dot sits on the bar too. Returns its correlation id.
 */
export async function seedCrossingSaga(served: Served): Promise<string> {
  const corr = `order-${randomUUID()}`;
  const t = Date.now() - 5000;
  const hop = (from: string, to: string, topic: string, publish: number, start: number, end: number): SpanSpec[] => {
    const eventId = randomUUID();
    const type = `${topic}.sent`;
    return [
      { service: from, kind: 'producer', topic, eventId, type, startMs: t + publish, endMs: t + publish, offset: 1 },
      {
        service: to,
        kind: 'consumer',
        topic,
        eventId,
        type,
        startMs: t + start,
        endMs: t + end,
        offset: 1,
        group: to,
        outcome: 'processed',
      },
    ];
  };
  await sendSpans(served, corr, hex(16), [
    ...hop('a', 'b', 'to-b', 0, 40, 40.4),
    ...hop('a', 'c', 'to-c', 0, 80.8, 90),
    ...hop('b', 'c', 'from-b', 40.4, 105, 108),
  ]);
  return corr;
}

/**
 * A dense saga: 20 hops published 1 µs apart, each delivered 1 µs after its publish, along a
 * chain of four services, then one hop a second later. Their labels would all land on the
 * same spot. Returns its
 * correlation id.
 */
export async function seedDenseSaga(served: Served): Promise<string> {
  const corr = `order-${randomUUID()}`;
  const t = Date.now() - 5000;
  const services = ['orders', 'payments', 'inventory', 'shipping'];
  const us = 0.001;
  const specs = Array.from({ length: 20 }, (_, i): SpanSpec[] => {
    const eventId = randomUUID();
    const topic = `step-${i}`;
    const to = services[(i + 1) % services.length]!;
    const at = t + i * us;
    return [
      {
        service: services[i % services.length]!,
        kind: 'producer',
        topic,
        eventId,
        type: `order.step${i}`,
        startMs: at,
        endMs: at + us,
        offset: 1,
      },
      {
        service: to,
        kind: 'consumer',
        topic,
        eventId,
        type: `order.step${i}`,
        startMs: at + us,
        endMs: at + 2 * us,
        offset: 1,
        group: to,
        outcome: 'processed',
      },
    ];
  }).flat();
  // One hop a second later squeezes the 20 into a pixel or two of a true time axis.
  const late = randomUUID();
  specs.push(
    {
      service: 'shipping',
      kind: 'producer',
      topic: 'done',
      eventId: late,
      type: 'order.done',
      startMs: t + 1000,
      endMs: t + 1001,
      offset: 1,
    },
    {
      service: 'orders',
      kind: 'consumer',
      topic: 'done',
      eventId: late,
      type: 'order.done',
      startMs: t + 1010,
      endMs: t + 1020,
      offset: 1,
      group: 'orders',
      outcome: 'processed',
    },
  );
  await sendSpans(served, corr, hex(16), specs);
  return corr;
}

/** Posts the spans as OTLP/JSON, one resource a service, and waits until the collector stored them. */
export async function sendSpans(served: Served, corr: string, traceId: string, specs: SpanSpec[]): Promise<void> {
  const byService = new Map<string, SpanSpec[]>();
  for (const s of specs) byService.set(s.service, [...(byService.get(s.service) ?? []), s]);
  const resourceSpans = [...byService].map(([service, list]) => ({
    resource: { attributes: [attr('service.name', service)] },
    scopeSpans: [
      {
        spans: list.map((s) => ({
          traceId: s.traceId ?? traceId,
          spanId: s.spanId ?? hex(8),
          name: `${s.kind === 'producer' ? 'send' : 'process'} ${s.topic}`,
          kind: s.kind === 'producer' ? 4 : 5,
          startTimeUnixNano: ns(s.startMs),
          endTimeUnixNano: ns(s.endMs),
          links: s.link ? [s.link] : [],
          attributes: [
            attr('messaging.system', 'kafka'),
            attr('messaging.destination.name', s.topic),
            attr('messaging.destination.partition.id', '0'),
            attr('messaging.kafka.offset', s.offset),
            attr('messaging.message.id', s.eventId),
            attr('eventscope.event.type', s.type),
            attr('eventscope.correlation.id', corr),
            ...(s.causationId ? [attr('eventscope.causation.id', s.causationId)] : []),
            ...(s.group ? [attr('messaging.consumer.group.name', s.group)] : []),
            ...(s.outcome ? [attr('eventscope.outcome', s.outcome)] : []),
            ...(s.attempt ? [attr('eventscope.attempt', s.attempt)] : []),
            ...(s.dlqTopic ? [attr('eventscope.dlq.topic', s.dlqTopic)] : []),
          ],
        })),
      },
    ],
  }));
  const res = await served.collector.inject({
    method: 'POST',
    url: '/v1/traces',
    headers: { 'content-type': 'application/json' },
    payload: { resourceSpans },
  });
  if (res.statusCode !== 200) throw new Error(`OTLP intake answered ${res.statusCode}: ${res.body}`);
  await served.collector.intake.flush();
}

export interface OutcomeMix {
  /** Sagas per status once every span is in, as the collector must count them. */
  expected: Record<'in_flight' | 'completed' | 'compensated' | 'failed' | 'stuck', number>;
  /** Sends the compensation steps of the sagas that ended failed: they turn compensated late. */
  compensateLate(): Promise<void>;
}

/**
 * Sagas that end completed or failed (order.placed, then order.completed / order.failed
 * processed by the orchestrator), some left in flight, and three failed ones whose
 * compensation (inventory.released) is sent later by `compensateLate`: the outcome that
 * changes after it was first reported (issue #23, item 1).
 */
export async function seedOutcomeMix(served: Served): Promise<OutcomeMix> {
  const t = Date.now() - 30_000;
  const sagas: { corr: string; placed: string; end: 'completed' | 'failed' | null }[] = [
    ...Array.from({ length: 3 }, () => 'completed' as const),
    ...Array.from({ length: 5 }, () => 'failed' as const),
    null,
  ].map((end) => ({ corr: `order-${randomUUID()}`, placed: randomUUID(), end }));
  for (const [i, s] of sagas.entries()) {
    const start = t + i * 100;
    const specs: SpanSpec[] = [
      {
        service: 'orders',
        kind: 'producer',
        topic: 'orders',
        eventId: s.placed,
        type: 'order.placed',
        startMs: start,
        endMs: start + 1,
        offset: i,
      },
    ];
    if (s.end !== null) {
      const id = randomUUID();
      const type = s.end === 'completed' ? 'order.completed' : 'order.failed';
      specs.push(
        {
          service: 'orchestrator',
          kind: 'producer',
          topic: 'order-results',
          eventId: id,
          type,
          startMs: start + 10,
          endMs: start + 11,
          offset: i,
          causationId: s.placed,
        },
        {
          service: 'orders',
          kind: 'consumer',
          topic: 'order-results',
          eventId: id,
          type,
          startMs: start + 20,
          endMs: start + 25,
          offset: i,
          group: 'orders',
          outcome: 'processed',
        },
      );
    }
    await sendSpans(served, s.corr, hex(16), specs);
  }
  const late = sagas.filter((s) => s.end === 'failed').slice(0, 3);
  return {
    expected: { in_flight: 1, completed: 3, compensated: 3, failed: 2, stuck: 0 },
    async compensateLate() {
      for (const [i, s] of late.entries()) {
        await sendSpans(served, s.corr, hex(16), [
          {
            service: 'inventory',
            kind: 'producer',
            topic: 'inventory-commands',
            eventId: randomUUID(),
            type: 'inventory.released',
            startMs: t + 5000 + i,
            endMs: t + 5001 + i,
            offset: i,
            causationId: s.placed,
          },
        ]);
      }
    },
  };
}
