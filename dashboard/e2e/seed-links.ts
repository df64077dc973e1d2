/**
 * A flow consumed with eachBatch, sent to the collector as OTLP/HTTP JSON: each consumer span
 * starts a trace of its own and links to the producer span (a span link, not a parent), as
 * the demo's batch consumers do. checkout publishes order.placed (trace A); billing takes it
 * 3.7 s later (trace B, linked to A) and publishes invoice.created in trace B; mailer takes
 * that at once (trace C, linked to B). The billing edge is the slow one of the flow map.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { type Served } from './serve.ts';

const hex = (n: number): string => randomBytes(n).toString('hex');
const ns = (ms: number): string => (BigInt(Math.round(ms * 1000)) * 1000n).toString();
const attr = (key: string, v: string | number) =>
  typeof v === 'number' ? { key, value: { intValue: String(v) } } : { key, value: { stringValue: v } };

interface LinkedSpan {
  service: string;
  traceId: string;
  spanId: string;
  kind: 'producer' | 'consumer';
  topic: string;
  eventId: string;
  type: string;
  startMs: number;
  endMs: number;
  offset: number;
  group?: string;
  causationId?: string;
  link?: { traceId: string; spanId: string };
}

export interface SeededLinkedFlow {
  correlationId: string;
  traces: { producer: string; billing: string; mailer: string };
  services: string[];
}

export async function seedLinkedFlow(served: Served, suffix = hex(3)): Promise<SeededLinkedFlow> {
  const corr = `order-${randomUUID()}`;
  const traces = { producer: hex(16), billing: hex(16), mailer: hex(16) };
  const spans = { placed: hex(8), billing: hex(8), invoiced: hex(8), mailer: hex(8) };
  const placed = randomUUID();
  const invoiced = randomUUID();
  const t = Date.now() - 8000;
  const [orders, invoices] = [`orders-${suffix}`, `invoices-${suffix}`];
  const list: LinkedSpan[] = [
    {
      service: `checkout-${suffix}`,
      traceId: traces.producer,
      spanId: spans.placed,
      kind: 'producer',
      topic: orders,
      eventId: placed,
      type: 'order.placed',
      startMs: t,
      endMs: t + 3,
      offset: 1,
    },
    {
      service: `billing-${suffix}`,
      traceId: traces.billing,
      spanId: spans.billing,
      kind: 'consumer',
      topic: orders,
      eventId: placed,
      type: 'order.placed',
      startMs: t + 3700,
      endMs: t + 3760,
      offset: 1,
      group: `billing-${suffix}`,
      link: { traceId: traces.producer, spanId: spans.placed },
    },
    {
      service: `billing-${suffix}`,
      traceId: traces.billing,
      spanId: spans.invoiced,
      kind: 'producer',
      topic: invoices,
      eventId: invoiced,
      type: 'invoice.created',
      startMs: t + 3750,
      endMs: t + 3752,
      offset: 1,
      causationId: placed,
    },
    {
      service: `mailer-${suffix}`,
      traceId: traces.mailer,
      spanId: spans.mailer,
      kind: 'consumer',
      topic: invoices,
      eventId: invoiced,
      type: 'invoice.created',
      startMs: t + 3770,
      endMs: t + 3790,
      offset: 1,
      group: `mailer-${suffix}`,
      link: { traceId: traces.billing, spanId: spans.invoiced },
    },
  ];
  const res = await served.collector.inject({
    method: 'POST',
    url: '/v1/traces',
    headers: { 'content-type': 'application/json' },
    payload: {
      resourceSpans: list.map((s) => ({
        resource: { attributes: [attr('service.name', s.service)] },
        scopeSpans: [
          {
            spans: [
              {
                traceId: s.traceId,
                spanId: s.spanId,
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
                  ...(s.group
                    ? [attr('messaging.consumer.group.name', s.group), attr('eventscope.outcome', 'processed')]
                    : []),
                ],
              },
            ],
          },
        ],
      })),
    },
  });
  if (res.statusCode !== 200) throw new Error(`OTLP intake answered ${res.statusCode}: ${res.body}`);
  await served.collector.intake.flush();
  return {
    correlationId: corr,
    traces,
    services: [`checkout-${suffix}`, `billing-${suffix}`, `mailer-${suffix}`],
  };
}
