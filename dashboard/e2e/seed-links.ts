/**
 * A flow consumed with eachBatch, sent to the collector as OTLP/HTTP JSON: each consumer span
 * starts a trace of its own and links to the producer span (a span link, not a parent), as
 * the demo's batch consumers do. checkout publishes order.placed (trace A); billing takes it
 * 3.7 s later (trace B, linked to A) and publishes invoice.created in trace B; mailer takes
 * that at once (trace C, linked to B). The billing edge is the slow one of the flow map.
 */
import { randomUUID } from 'node:crypto';
import { hex, sendSpans, type SpanSpec } from './seed.ts';
import { type Served } from './serve.ts';

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
  const list: SpanSpec[] = [
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
      outcome: 'processed',
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
      outcome: 'processed',
      link: { traceId: traces.billing, spanId: spans.invoiced },
    },
  ];
  await sendSpans(served, corr, traces.producer, list);
  return {
    correlationId: corr,
    traces,
    services: [`checkout-${suffix}`, `billing-${suffix}`, `mailer-${suffix}`],
  };
}
