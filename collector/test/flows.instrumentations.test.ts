/**
 * One fixture per Kafka instrumentation in use today, built from the attribute names in its
 * published source (docs/event-contract.md, "What each instrumentation writes", names the
 * versions): a producer span and the consumer span(s) it makes for one record, as that
 * instrumentation writes them, through normalize.ts into one model; and, through a real
 * collector, that a flow of each kind is found by event id (from captured headers, CloudEvents
 * headers or our attributes) or joined by (topic, partition, offset) / trace context.
 *
 * Over 600 lines on purpose: one fixture per instrumentation, side by side, so a reader compares
 * what each writes for the same record; a file per instrumentation would hide the differences.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileRules, DEFAULT_RULES, spanHops, spanToHop } from '../src/flows/hops.ts';
import { compileEnvelope, normalizeSpan, type MessagingSpan } from '../src/flows/normalize.ts';
import type { EventView, RecordView, SagaView } from '../src/flows/schemas.ts';
import type { AttributeValue, SpanData, SpanKind } from '../src/traces/span.ts';
import { useListeningApp } from './traces-helpers.ts';

const hex = (n: number): string => randomBytes(n).toString('hex');
const T = 'shop.orders';

function span(
  kind: SpanKind,
  name: string,
  attributes: Record<string, AttributeValue>,
  more: Partial<SpanData> = {},
): SpanData {
  return {
    traceId: hex(16),
    spanId: hex(8),
    parentSpanId: null,
    name,
    kind,
    startUs: 1_700_000_000_000_000,
    endUs: 1_700_000_000_002_000,
    attributes,
    links: [],
    status: 'unset',
    statusMessage: null,
    service: 'svc',
    ...more,
  };
}

interface Fixture {
  name: string;
  /** Every span the instrumentation makes for one record (producer first). */
  spans: SpanData[];
  /** What the model must read from each span; undefined: not a hop (batch receive, marker). */
  expected: (Partial<MessagingSpan> | undefined)[];
}

const ID = '0190a5e8-7c1e-7cc2-9a57-3d1b2f0c4e11';
const CORR = 'order-42';
const captured = (sep: '_' | '-') => ({
  [`messaging.header.event${sep}id`]: [ID],
  [`messaging.header.event${sep}type`]: ['order.placed'],
  [`messaging.header.correlation${sep}id`]: [CORR],
});

const FIXTURES: Fixture[] = [
  {
    name: 'OpenTelemetry Java agent 2.x, default mode, capture-headers',
    spans: [
      span('producer', `${T} publish`, {
        'messaging.system': 'kafka',
        'messaging.destination.name': T,
        'messaging.operation': 'publish',
        'messaging.client_id': 'producer-1',
        'messaging.kafka.message.key': CORR,
        'messaging.destination.partition.id': '1',
        'messaging.kafka.message.offset': 17,
        ...captured('_'),
      }),
      span('consumer', `${T} process`, {
        'messaging.system': 'kafka',
        'messaging.destination.name': T,
        'messaging.operation': 'process',
        'messaging.kafka.consumer.group': 'payments',
        'messaging.destination.partition.id': '1',
        'messaging.kafka.message.offset': 17,
        'messaging.kafka.message.key': CORR,
        'messaging.message.body.size': 75,
        ...captured('_'),
      }),
    ],
    expected: [
      {
        role: 'publish',
        topic: T,
        partition: 1,
        offset: 17,
        key: CORR,
        eventId: ID,
        eventType: 'order.placed',
        correlationId: CORR,
      },
      { role: 'deliver', topic: T, partition: 1, offset: 17, group: 'payments', eventId: ID, correlationId: CORR },
    ],
  },
  {
    name: 'Java agent 2.x, otel.semconv-stability.opt-in=messaging (and the 3.0 preview header names)',
    spans: [
      span('producer', `send ${T}`, {
        'messaging.system': 'kafka',
        'messaging.destination.name': T,
        'messaging.operation.type': 'send',
        'messaging.operation.name': 'send',
        'messaging.destination.partition.id': '0',
        'messaging.kafka.offset': 3,
        ...captured('-'),
      }),
      span('consumer', `process ${T}`, {
        'messaging.system': 'kafka',
        'messaging.destination.name': T,
        'messaging.operation.type': 'process',
        'messaging.consumer.group.name': 'payments',
        'messaging.destination.partition.id': '0',
        'messaging.kafka.offset': 3,
        ...captured('_'),
      }),
    ],
    expected: [
      { role: 'publish', partition: 0, offset: 3, eventId: ID, eventType: 'order.placed' },
      { role: 'deliver', partition: 0, offset: 3, group: 'payments', eventId: ID },
    ],
  },
  {
    name: '@opentelemetry/instrumentation-kafkajs (eachBatch: a CLIENT poll span, process spans with links)',
    spans: [
      span('producer', `send ${T}`, {
        'messaging.system': 'kafka',
        'messaging.destination.name': T,
        'messaging.operation.type': 'send',
        'messaging.operation.name': 'send',
        'messaging.kafka.message.key': CORR,
      }),
      span('client', `poll ${T}`, {
        'messaging.system': 'kafka',
        'messaging.destination.name': T,
        'messaging.operation.type': 'receive',
        'messaging.operation.name': 'poll',
        'messaging.batch.message_count': 4,
        'messaging.destination.partition.id': '2',
      }),
      span('consumer', `process ${T}`, {
        'messaging.system': 'kafka',
        'messaging.destination.name': T,
        'messaging.operation.type': 'process',
        'messaging.operation.name': 'process',
        'messaging.destination.partition.id': '2',
        'messaging.kafka.offset': '40',
        'messaging.kafka.message.key': CORR,
      }),
    ],
    expected: [
      { role: 'publish', partition: null, offset: null, eventId: null, key: CORR },
      undefined,
      { role: 'deliver', partition: 2, offset: 40, group: null, eventId: null },
    ],
  },
  {
    name: '@platformatic/kafka-opentelemetry',
    spans: [
      span('producer', `send to ${T}`, {
        'messaging.system': 'kafka',
        'messaging.operation.name': 'send',
        'messaging.operation.type': 'send',
        'messaging.destination.name': T,
        'messaging.destination.partition.id': '1',
        'messaging.kafka.message.key': CORR,
      }),
      span('consumer', `process message from ${T}`, {
        'messaging.system': 'kafka',
        'messaging.operation.name': 'process',
        'messaging.operation.type': 'process',
        'messaging.destination.name': T,
        'messaging.destination.partition.id': '1',
        'messaging.kafka.message.key': CORR,
      }),
    ],
    expected: [
      { role: 'publish', partition: 1, offset: null },
      { role: 'deliver', partition: 1, offset: null, group: null },
    ],
  },
  {
    name: 'Python opentelemetry-instrumentation-confluent-kafka (message id = topic.partition.offset)',
    spans: [
      span('producer', `${T} send`, {
        'messaging.system': 'kafka',
        'messaging.destination': T,
        'messaging.destination_kind': 'queue',
        'messaging.operation': 'publish',
      }),
      span('consumer', `${T} process`, {
        'messaging.system': 'kafka',
        'messaging.destination': T,
        'messaging.kafka.partition': 4,
        'messaging.destination_kind': 'queue',
        'messaging.operation': 'process',
        'messaging.message.id': `${T}.4.1234`,
      }),
      span('consumer', `${T} process`, {
        'messaging.system': 'kafka',
        'messaging.destination': T,
        'messaging.destination_kind': 'queue',
        'messaging.operation': 'receive',
      }),
    ],
    expected: [
      { role: 'publish', topic: T, partition: null, offset: null, eventId: null },
      { role: 'deliver', topic: T, partition: 4, offset: 1234, eventId: null },
      undefined,
    ],
  },
  {
    name: 'Python opentelemetry-instrumentation-kafka-python',
    spans: [
      span('producer', `${T} send`, {
        'messaging.system': 'kafka',
        'messaging.destination': T,
        'messaging.kafka.partition': 0,
        'messaging.url': '["localhost:9092"]',
      }),
      span('consumer', `${T} receive`, {
        'messaging.system': 'kafka',
        'messaging.destination': T,
        'messaging.kafka.partition': 0,
        'messaging.url': '["localhost:9092"]',
      }),
    ],
    expected: [
      { role: 'publish', partition: 0, offset: null },
      { role: 'deliver', partition: 0, offset: null, group: null },
    ],
  },
  {
    name: 'Python opentelemetry-instrumentation-aiokafka (getone per record; getmany batch spans)',
    spans: [
      span('producer', `${T} send`, {
        'messaging.system': 'kafka',
        'messaging.destination.name': T,
        'messaging.destination.partition.id': '3',
        'messaging.kafka.message.key': CORR,
        'messaging.operation.name': 'send',
        'messaging.operation.type': 'publish',
      }),
      span('consumer', `${T} receive`, {
        'messaging.system': 'kafka',
        'messaging.destination.name': T,
        'messaging.destination.partition.id': '3',
        'messaging.kafka.message.key': CORR,
        'messaging.consumer.group.name': 'payments',
        'messaging.operation.name': 'receive',
        'messaging.operation.type': 'receive',
        'messaging.kafka.message.offset': 8,
        'messaging.message.id': `${T}.3.8`,
      }),
      span('consumer', `${T} receive`, {
        'messaging.system': 'kafka',
        'messaging.destination.name': T,
        'messaging.destination.partition.id': '3',
        'messaging.consumer.group.name': 'payments',
        'messaging.batch.message_count': 5,
        'messaging.operation.type': 'receive',
      }),
    ],
    expected: [
      { role: 'publish', partition: 3, offset: null },
      { role: 'deliver', partition: 3, offset: 8, group: 'payments', eventId: null },
      undefined,
    ],
  },
  {
    name: 'Go franz-go kotel (message id = offset; logappend marker span)',
    spans: [
      span('producer', `${T} send`, {
        'messaging.system': 'kafka',
        'messaging.destination_kind': 'topic',
        'messaging.destination': T,
        'messaging.kafka.client_id': '7',
        'messaging.operation': 'send',
        'messaging.message_id': '99',
        'messaging.message.id': '99',
        'messaging.kafka.partition': 5,
      }),
      span('consumer', `${T} logappend`, {
        'messaging.system': 'kafka',
        'messaging.destination': T,
        'messaging.operation': 'receive',
        'messaging.message.id': '99',
        'messaging.kafka.partition': 5,
      }),
      span('consumer', `${T} receive`, {
        'messaging.system': 'kafka',
        'messaging.destination': T,
        'messaging.operation': 'receive',
        'messaging.message.id': '99',
        'messaging.kafka.partition': 5,
      }),
    ],
    expected: [
      { role: 'publish', partition: 5, offset: 99, eventId: null },
      undefined,
      { role: 'deliver', partition: 5, offset: 99, eventId: null },
    ],
  },
  {
    name: 'Go otelkafka for confluent-kafka-go (producer partition -1 = any)',
    spans: [
      span('producer', `${T} send`, {
        'messaging.system': 'kafka',
        'messaging.destination_kind': 'topic',
        'messaging.destination': T,
        'messaging.kafka.message_key': CORR,
        'messaging.kafka.partition': -1,
      }),
      span('consumer', `${T} receive`, {
        'messaging.system': 'kafka',
        'messaging.operation': 'receive',
        'messaging.destination_kind': 'topic',
        'messaging.destination': T,
        'messaging.kafka.message_key': CORR,
        'messaging.kafka.partition': 2,
      }),
    ],
    expected: [
      { role: 'publish', partition: null, key: CORR },
      { role: 'deliver', partition: 2, offset: null, key: CORR },
    ],
  },
  {
    name: 'Go eBPF auto-instrumentation, segmentio/kafka-go',
    spans: [
      span('producer', `${T} publish`, {
        'messaging.system': 'kafka',
        'messaging.operation.type': 'publish',
        'messaging.destination.name': T,
        'messaging.batch.message_count': 3,
        'messaging.kafka.message.key': CORR,
      }),
      span('consumer', `${T} receive`, {
        'messaging.system': 'kafka',
        'messaging.operation.type': 'receive',
        'messaging.destination.partition.id': '1',
        'messaging.destination.name': T,
        'messaging.kafka.offset': 77,
        'messaging.kafka.message.key': CORR,
        'messaging.consumer.group.name': 'payments',
      }),
    ],
    expected: [
      { role: 'publish', partition: null, offset: null, key: CORR },
      { role: 'deliver', partition: 1, offset: 77, group: 'payments' },
    ],
  },
];

describe('every instrumentation reads into one model', () => {
  const envelope = compileEnvelope(
    DEFAULT_RULES.envelopeHeaders ?? { eventId: [], eventType: [], correlationId: [], causationId: [] },
  );
  it.each(FIXTURES.map((f) => [f.name, f] as const))('%s', (_name, f) => {
    const got = f.spans.map((s) => normalizeSpan(s, envelope));
    f.expected.forEach((want, i) => {
      if (want === undefined) expect(got[i], `span ${i} (${f.spans[i]?.name}) is not a hop`).toBeUndefined();
      else expect(got[i], `span ${i} (${f.spans[i]?.name})`).toMatchObject(want);
    });
  });

  it('reads CloudEvents binary-mode headers and configured header names as the envelope', () => {
    const rules = compileRules({
      ...DEFAULT_RULES,
      envelopeHeaders: {
        eventId: ['event-id', 'ce_id'],
        eventType: ['event-type', 'ce_type'],
        correlationId: ['correlation-id', 'X-Correlation-ID', 'kafka_correlationId'],
        causationId: ['causation-id'],
      },
    });
    const ce = spanToHop(
      span('producer', 'publish', {
        'messaging.system': 'kafka',
        'messaging.destination.name': T,
        'messaging.header.ce_id': ['ce-1'],
        'messaging.header.ce_type': ['com.example.order.placed'],
        'messaging.header.X-Correlation-ID': ['corr-1'],
      }),
      rules,
    );
    expect(ce && 'publish' in ce ? ce.publish : undefined).toMatchObject({
      eventId: 'ce-1',
      eventType: 'com.example.order.placed',
      correlationId: 'corr-1',
    });
    const spring = spanToHop(
      span('consumer', 'process', {
        'messaging.system': 'kafka',
        'messaging.destination.name': T,
        'messaging.operation': 'process',
        'messaging.header.kafka_correlationId': ['corr-2'],
      }),
      rules,
    );
    expect(spring && 'delivery' in spring ? spring.delivery.correlationId : undefined).toBe('corr-2');
  });

  it('takes hostile attribute values as absent, never as a model value', () => {
    const envelopeAll = compileEnvelope({
      eventId: ['__proto__', 'constructor', 'event-id'],
      eventType: [],
      correlationId: [],
      causationId: [],
    });
    const m = normalizeSpan(
      span('consumer', 'process', {
        'messaging.system': 'kafka',
        'messaging.destination.name': T,
        'messaging.destination.partition.id': '-3',
        'messaging.kafka.offset': '1e3',
        'messaging.header.__proto__': [''],
        'messaging.header.constructor': [{ a: 1 }],
        'messaging.header.event_id': [7, 'real-id'],
        'messaging.message.id': `${T}.1.99999999999999999999`,
      }),
      envelopeAll,
    );
    // The partition attribute is garbage, the message id a coordinate: partition 1 from it, its offset too large.
    expect(m).toMatchObject({ partition: 1, offset: null, eventId: 'real-id' });
  });
});

describe('normalize.ts is total', () => {
  it('never throws on any attribute values under any known key, and positions are safe integers or null (property)', () => {
    const rules = compileRules(DEFAULT_RULES);
    const keys = [
      'messaging.system',
      'messaging.destination.name',
      'messaging.destination',
      'messaging.operation.type',
      'messaging.operation',
      'messaging.destination.partition.id',
      'messaging.kafka.partition',
      'messaging.kafka.offset',
      'messaging.kafka.message.offset',
      'messaging.message.id',
      'messaging.consumer.group.name',
      'messaging.kafka.consumer.group',
      'messaging.batch.message_count',
      'messaging.header.event_id',
      'messaging.header.Event-Id',
      'messaging.header.__proto__',
      'eventscope.outcome',
      'eventscope.attempt',
      '__proto__',
      'constructor',
    ];
    let described = 0;
    const value: fc.Arbitrary<AttributeValue> = fc.oneof(
      fc.constantFrom('kafka', 'process', 'receive', 'send', '', `${T}.1.2`, '-1', '1e3', '9007199254740993'),
      fc.string(),
      fc.double(),
      fc.integer(),
      fc.boolean(),
      fc.constant(null),
      fc.array(fc.oneof(fc.string(), fc.integer(), fc.constant(null)), { maxLength: 3 }),
      fc.dictionary(fc.string(), fc.string(), { maxKeys: 2 }),
    );
    fc.assert(
      fc.property(
        fc.dictionary(fc.constantFrom(...keys), value),
        fc.constantFrom<SpanKind>('producer', 'consumer', 'client', 'internal'),
        fc.array(fc.record({ traceId: fc.constant(hex(16)), spanId: fc.constant(hex(8)) }), { maxLength: 3 }),
        (attrs, kind, links) => {
          const attributes: Record<string, AttributeValue> = Object.create(null) as Record<string, AttributeValue>;
          for (const [k, v] of Object.entries(attrs)) attributes[k] = v;
          const hops = spanHops(span(kind, 'x', attributes, { links }), rules);
          if (hops.length > 0) described++;
          for (const h of hops) {
            for (const n of [h.partition, h.offset]) {
              expect(n === null || (Number.isSafeInteger(n) && n >= 0)).toBe(true);
            }
            expect(typeof h.topic).toBe('string');
          }
        },
      ),
      { numRuns: 2000 },
    );
    // The inputs reach the model, not only the early exits.
    expect(described).toBeGreaterThan(20);
  });
});

describe('batch consumer spans that link to every record', () => {
  const rules = compileRules(DEFAULT_RULES);
  const link = () => ({ traceId: hex(16), spanId: hex(8) });

  it('Java agent with receive telemetry: the batch receive is no hop, each process span one delivery', () => {
    const receive = span('consumer', `${T} receive`, {
      'messaging.system': 'kafka',
      'messaging.destination.name': T,
      'messaging.operation': 'receive',
      'messaging.batch.message_count': 2,
      'messaging.kafka.consumer.group': 'payments',
    });
    const producer = link();
    const process = span(
      'consumer',
      `${T} process`,
      {
        'messaging.system': 'kafka',
        'messaging.destination.name': T,
        'messaging.operation': 'process',
        'messaging.kafka.consumer.group': 'payments',
        'messaging.destination.partition.id': '0',
        'messaging.kafka.message.offset': 9,
      },
      { parentSpanId: receive.spanId, traceId: receive.traceId, links: [producer] },
    );
    expect(spanHops(receive, rules)).toEqual([]);
    expect(spanHops(process, rules)).toMatchObject([{ group: 'payments', offset: 9, originSpanId: producer.spanId }]);
  });

  it('Spring Kafka batch listener / Python consume(): one delivery per linked record', () => {
    const links = [link(), link(), link()];
    const batch = span(
      'consumer',
      `${T} process`,
      {
        'messaging.system': 'kafka',
        'messaging.destination.name': T,
        'messaging.operation': 'process',
        'messaging.batch.message_count': 3,
        'messaging.kafka.consumer.group': 'billing',
      },
      { links },
    );
    const hops = spanHops(batch, rules);
    expect(hops.map((h) => ('group' in h ? [h.group, h.originSpanId, h.startUs - batch.startUs] : null))).toEqual(
      links.map((l, i) => ['billing', l.spanId, i]),
    );
    const pythonConsume = span(
      'consumer',
      `${T} process`,
      { 'messaging.system': 'kafka', 'messaging.destination': T, 'messaging.operation': 'receive' },
      { links: links.slice(0, 2), service: 'py-billing' },
    );
    expect(spanHops(pythonConsume, rules)).toHaveLength(2);
  });
});

describe('flows of uninstrumented-envelope services through the collector', () => {
  const h = useListeningApp();

  it('joins a Python confluent-kafka delivery to its Java publish by (topic, partition, offset)', async () => {
    const topic = `mixed-${hex(4)}`;
    const eventId = randomUUID();
    const corr = `order-${hex(4)}`;
    const pub = span('producer', `${topic} publish`, {
      'messaging.system': 'kafka',
      'messaging.destination.name': topic,
      'messaging.operation': 'publish',
      'messaging.destination.partition.id': '0',
      'messaging.kafka.message.offset': 5,
      'messaging.header.event_id': [eventId],
      'messaging.header.event_type': ['order.placed'],
      'messaging.header.correlation_id': [corr],
    });
    // Another trace (the Python consumer did not continue it), no event id, only the coordinate.
    const del = span(
      'consumer',
      `${topic} process`,
      {
        'messaging.system': 'kafka',
        'messaging.destination': topic,
        'messaging.kafka.partition': 0,
        'messaging.operation': 'process',
        'messaging.message.id': `${topic}.0.5`,
      },
      { service: 'py-payments', startUs: pub.endUs + 3000, endUs: pub.endUs + 5000 },
    );
    await h.app.flows.ingest([pub, del]);
    const res = await h.app.inject({ method: 'GET', url: `/api/events/${eventId}` });
    expect(res.statusCode).toBe(200);
    const view = res.json<EventView>();
    expect(view.groups.map((g) => [g.group, g.state])).toEqual([['py-payments', 'processed']]);
    // Queue time runs from the publish span's start (the hand-over to the client): 2 ms send + 3 ms.
    expect(view.groups[0]?.deliveries[0]?.queueTimeMs).toBeCloseTo(5, 1);
    const saga = await h.app.inject({ method: 'GET', url: `/api/sagas/${corr}` });
    expect(saga.json<SagaView>().hops[0]?.deliveries.map((d) => d.service)).toEqual(['py-payments']);
  });

  it('joins a @platformatic/kafka delivery (no offset, no id) to its publish through trace context', async () => {
    const topic = `plt-${hex(4)}`;
    const eventId = randomUUID();
    const pub = span('producer', `send to ${topic}`, {
      'messaging.system': 'kafka',
      'messaging.operation.type': 'send',
      'messaging.destination.name': topic,
      'messaging.message.id': eventId,
      'eventscope.event.type': 'order.placed',
    });
    const del = span(
      'consumer',
      `process message from ${topic}`,
      {
        'messaging.system': 'kafka',
        'messaging.operation.type': 'process',
        'messaging.destination.name': topic,
        'messaging.destination.partition.id': '0',
      },
      {
        traceId: pub.traceId,
        parentSpanId: pub.spanId,
        service: 'plt-consumer',
        startUs: pub.endUs + 1000,
        endUs: pub.endUs + 2000,
      },
    );
    await h.app.flows.ingest([pub, del]);
    const view = (await h.app.inject({ method: 'GET', url: `/api/events/${eventId}` })).json<EventView>();
    expect(view.groups.map((g) => [g.group, g.state])).toEqual([['plt-consumer', 'processed']]);
  });

  it('looks a record up by topic/partition/offset, with or without an event id', async () => {
    const topic = `kotel-${hex(4)}`;
    // franz-go kotel on both sides: no event id anywhere, the offset only as messaging.message.id.
    const pub = span('producer', `${topic} send`, {
      'messaging.system': 'kafka',
      'messaging.destination': topic,
      'messaging.operation': 'send',
      'messaging.message.id': '12',
      'messaging.kafka.partition': 1,
    });
    const del = span(
      'consumer',
      `${topic} receive`,
      {
        'messaging.system': 'kafka',
        'messaging.destination': topic,
        'messaging.operation': 'receive',
        'messaging.message.id': '12',
        'messaging.kafka.partition': 1,
      },
      { traceId: pub.traceId, parentSpanId: pub.spanId, service: 'go-shipping' },
    );
    await h.app.flows.ingest([pub, del]);
    const res = await h.app.inject({ method: 'GET', url: `/api/records/${topic}/1/12` });
    expect(res.statusCode).toBe(200);
    const rec = res.json<RecordView>();
    expect(rec).toMatchObject({ topic, partition: 1, offset: 12, eventId: null, event: null });
    expect(rec.deliveries.map((d) => [d.group, d.outcome])).toEqual([['go-shipping', 'processed']]);

    // With an event id (a Java publish with captured headers): the full event, and the search box finds it.
    const eventId = randomUUID();
    const java = span('producer', `${topic} publish`, {
      'messaging.system': 'kafka',
      'messaging.destination.name': topic,
      'messaging.operation': 'publish',
      'messaging.destination.partition.id': '0',
      'messaging.kafka.message.offset': 3,
      'messaging.header.event_id': [eventId],
    });
    await h.app.flows.ingest([java]);
    const withId = (await h.app.inject({ method: 'GET', url: `/api/records/${topic}/0/3` })).json<RecordView>();
    expect(withId.eventId).toBe(eventId);
    expect(withId.event?.publish?.service).toBe('svc');
    const search = await h.app.inject({ method: 'GET', url: `/api/search?q=${topic}/0/3` });
    expect(search.json<{ matches: { kind: string; id: string }[] }>().matches).toEqual([
      { kind: 'event', id: eventId, href: `/api/events/${eventId}` },
    ]);

    expect((await h.app.inject({ method: 'GET', url: `/api/records/${topic}/0/4` })).statusCode).toBe(404);
    for (const bad of [
      `${topic}/-1/3`,
      `${topic}/0/1e3`,
      `${topic}/0/99999999999999999`,
      `a%20b/0/1`,
      `__proto__/x/1`,
    ]) {
      const r = await h.app.inject({ method: 'GET', url: `/api/records/${bad}` });
      expect(r.statusCode, bad).toBe(400);
    }
  });

  it('shows each record of a Spring batch listener as processed by the group, found by its event id', async () => {
    const topic = `spring-${hex(4)}`;
    const ids = [randomUUID(), randomUUID()];
    const pubs = ids.map((id, i) =>
      span('producer', `${topic} publish`, {
        'messaging.system': 'kafka',
        'messaging.destination.name': topic,
        'messaging.operation': 'publish',
        'messaging.destination.partition.id': '0',
        'messaging.kafka.message.offset': i,
        'messaging.header.event_id': [id],
      }),
    );
    const batch = span(
      'consumer',
      `${topic} process`,
      {
        'messaging.system': 'kafka',
        'messaging.destination.name': topic,
        'messaging.operation': 'process',
        'messaging.batch.message_count': 2,
        'messaging.kafka.consumer.group': 'billing',
      },
      {
        service: 'spring-billing',
        startUs: pubs[0]!.endUs + 1000,
        endUs: pubs[0]!.endUs + 9000,
        links: pubs.map((p) => ({ traceId: p.traceId, spanId: p.spanId })),
      },
    );
    await h.app.flows.ingest([...pubs, batch]);
    // Sent again (an exporter retry): still one delivery per record.
    await h.app.flows.ingest([batch]);
    for (const id of ids) {
      const view = (await h.app.inject({ method: 'GET', url: `/api/events/${id}` })).json<EventView>();
      expect(view.groups.map((g) => [g.group, g.state, g.processedCount])).toEqual([['billing', 'processed', 1]]);
    }
  });
});
