/**
 * GET /api/traces/:traceId joins the traces an eachBatch consumer starts (linked to the
 * producer span by a span link) into the trace asked for, both ways along the links.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { Static } from 'typebox';
import type { TraceView } from '../src/flows/schemas.ts';
import { hex, kafkaSpan, postSpans, serviceSpans, useListeningApp } from './traces-helpers.ts';

const h = useListeningApp();

interface Span {
  service: string;
  traceId: string;
  spanId: string;
  kind: 'producer' | 'consumer';
  topic: string;
  eventId: string;
  startMs: number;
  group?: string;
  link?: { traceId: string; spanId: string };
}

async function send(spans: Span[]): Promise<void> {
  await postSpans(
    h.app,
    spans.map(({ service, link, group, ...s }) =>
      serviceSpans(service, [
        kafkaSpan({
          ...s,
          endMs: s.startMs + 5,
          type: `${s.topic}.sent`,
          corr: 'join-saga',
          ...(link ? { links: [link] } : {}),
          ...(group ? { group, outcome: 'processed' } : {}),
        }),
      ]),
    ),
  );
}

describe('GET /api/traces/:traceId', () => {
  it("joins the consumers' linked traces, and what they publish, into the producer's trace", async () => {
    const [a, b, c, unrelated] = [hex(16), hex(16), hex(16), hex(16)];
    const [pA, cB, pB, cC] = [hex(8), hex(8), hex(8), hex(8)];
    const placed = randomUUID();
    const invoiced = randomUUID();
    const t = Date.now() - 5000;
    await send([
      { service: 'checkout', traceId: a, spanId: pA, kind: 'producer', topic: 'j-orders', eventId: placed, startMs: t },
      // eachBatch: billing's span is the root of trace b, linked to the publish in trace a.
      {
        service: 'billing',
        traceId: b,
        spanId: cB,
        kind: 'consumer',
        topic: 'j-orders',
        eventId: placed,
        startMs: t + 3700,
        group: 'billing',
        link: { traceId: a, spanId: pA },
      },
      {
        service: 'billing',
        traceId: b,
        spanId: pB,
        kind: 'producer',
        topic: 'j-invoices',
        eventId: invoiced,
        startMs: t + 3710,
      },
      {
        service: 'mailer',
        traceId: c,
        spanId: cC,
        kind: 'consumer',
        topic: 'j-invoices',
        eventId: invoiced,
        startMs: t + 3730,
        group: 'mailer',
        link: { traceId: b, spanId: pB },
      },
      // Same event id in a trace of its own, not linked: stays out.
      {
        service: 'noise',
        traceId: unrelated,
        spanId: hex(8),
        kind: 'producer',
        topic: 'j-other',
        eventId: randomUUID(),
        startMs: t,
      },
    ]);

    const fromProducer = (await h.app.inject(`/api/traces/${a}`)).json<Static<typeof TraceView>>();
    expect(fromProducer.publishes.map((p) => [p.spanId, p.traceId]).sort()).toEqual(
      [
        [pA, a],
        [pB, b],
      ].sort(),
    );
    expect(fromProducer.deliveries.map((d) => [d.spanId, d.traceId, d.group]).sort()).toEqual(
      [
        [cB, b, 'billing'],
        [cC, c, 'mailer'],
      ].sort(),
    );
    // The linked consumer's queue time comes from the publish in the other trace.
    expect(fromProducer.deliveries.find((d) => d.spanId === cB)?.queueTimeMs).toBeCloseTo(3700, 0);
    expect(fromProducer.eventIds.sort()).toEqual([placed, invoiced].sort());

    // From the middle trace, the link back to the producer is followed too.
    const fromMiddle = (await h.app.inject(`/api/traces/${b}`)).json<Static<typeof TraceView>>();
    expect(new Set([...fromMiddle.publishes, ...fromMiddle.deliveries].map((x) => x.traceId))).toEqual(
      new Set([a, b, c]),
    );
    expect((await h.app.inject(`/api/traces/${unrelated}`)).json<Static<typeof TraceView>>().publishes).toHaveLength(1);
  });
});
