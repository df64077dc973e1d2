/**
 * Tracing end to end: real service processes (Node running the .ts sources as ESM) export
 * OTLP/HTTP JSON to an in-process receiver. Proves that the kafkajs instrumentation really
 * patches kafkajs in this setup, and that the contract's attributes are on the spans:
 * event id, group, correlation/causation, produced offset, outcome (processed, duplicate,
 * dead_lettered), and that a consumer's outgoing events continue its trace through the outbox.
 */
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kafkaModule } from '../src/lib/kafka.ts';
import { createTestEnv, getOrder, placeOrder, readTopic, waitFor, type TestEnv } from './helpers.ts';

interface OtlpValue {
  stringValue?: string;
  intValue?: string | number;
  boolValue?: boolean;
  doubleValue?: number;
}
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  startTimeUnixNano: string;
  attributes: { key: string; value: OtlpValue }[];
  links?: { traceId: string; spanId: string }[];
}
interface Span {
  service: string;
  name: string;
  kind: number;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  startTimeUnixNano: bigint;
  attrs: Record<string, string | number | boolean | undefined>;
  intAttrs: Set<string>;
}
const KIND_PRODUCER = 4;
const KIND_CONSUMER = 5;

const spans: Span[] = [];
const paths = new Set<string>();
let server: Server;
let t: TestEnv;

function plain(v: OtlpValue): string | number | boolean | undefined {
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.intValue !== undefined) return Number(v.intValue);
  if (v.boolValue !== undefined) return v.boolValue;
  return v.doubleValue;
}

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      paths.add(req.url ?? '');
      const payload = JSON.parse(body) as {
        resourceSpans: {
          resource: { attributes: { key: string; value: OtlpValue }[] };
          scopeSpans: { spans: OtlpSpan[] }[];
        }[];
      };
      for (const rs of payload.resourceSpans ?? []) {
        const service = String(plain(rs.resource.attributes.find((a) => a.key === 'service.name')?.value ?? {}));
        for (const ss of rs.scopeSpans) {
          for (const s of ss.spans) {
            spans.push({
              service,
              name: s.name,
              kind: s.kind,
              traceId: s.traceId,
              spanId: s.spanId,
              ...(s.parentSpanId ? { parentSpanId: s.parentSpanId } : {}),
              startTimeUnixNano: BigInt(s.startTimeUnixNano),
              attrs: Object.fromEntries(s.attributes.map((a) => [a.key, plain(a.value)])),
              intAttrs: new Set(s.attributes.filter((a) => a.value.intValue !== undefined).map((a) => a.key)),
            });
          }
        }
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  t = await createTestEnv('tracing', {
    DEMO_TRACING: 'on',
    OTEL_SDK_DISABLED: 'false',
    OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    OTEL_BSP_SCHEDULE_DELAY: '500',
  });
  await Promise.all([
    t.start('order'),
    t.start('orchestrator'),
    // Every inventory record fails its first attempt: each delivery shows a retried attempt.
    t.start('inventory', { env: { DEMO_FAIL_ATTEMPTS: '1', DEMO_RETRY_BASE_MS: '10' } }),
  ]);
}, 120_000);

afterAll(async () => {
  await t?.cleanup();
  await new Promise((r) => server?.close(r));
}, 60_000);

const find = (pred: (s: Span) => boolean): Span | undefined => spans.find(pred);

describe('tracing', () => {
  it('exports send and process spans with the contract attributes', async () => {
    const placed = await placeOrder(t.orderPort);
    const placedTopic = t.names.topic('order.placed');
    // Wait for the saga to reach the payment step (payment is not running in this suite).
    await waitFor('inventory reserved', () =>
      t
        .store('orchestrator')
        .prepare("SELECT 1 FROM sagas WHERE order_id = ? AND status = 'CHARGING_PAYMENT'")
        .get(placed.orderId),
    );
    expect((await getOrder(t.orderPort, placed.orderId)).status).toBe('PENDING');

    const send = await waitFor('producer span of order.placed', () =>
      find(
        (s) =>
          s.kind === KIND_PRODUCER &&
          s.name === `send ${placedTopic}` &&
          s.attrs['messaging.message.id'] === placed.eventId,
      ),
    );
    const record = (await readTopic(t.kafka, placedTopic)).find((r) => r.key === placed.orderId)!;
    expect(send.service).toBe('order');
    expect(send.attrs).toMatchObject({
      'messaging.system': 'kafka',
      'messaging.destination.name': placedTopic,
      'messaging.destination.partition.id': String(record.partition),
      'messaging.kafka.offset': Number(record.offset),
      'messaging.kafka.message.key': placed.orderId,
      'eventscope.event.type': 'order.placed',
      'eventscope.correlation.id': placed.orderId,
    });
    expect(send.intAttrs.has('messaging.kafka.offset')).toBe(true);
    expect(record.headers.traceparent).toContain(send.traceId);
    // The outbox's record timestamp (CreateTime) is the send span's start: one clock reading.
    expect(record.timestamp).toBe(String(send.startTimeUnixNano / 1_000_000n));

    const process = await waitFor('consumer span of order.placed', () =>
      find(
        (s) =>
          s.kind === KIND_CONSUMER &&
          s.name === `process ${placedTopic}` &&
          s.attrs['messaging.message.id'] === placed.eventId,
      ),
    );
    expect(process.service).toBe('orchestrator');
    expect(process.attrs).toMatchObject({
      'messaging.consumer.group.name': t.names.group('orchestrator'),
      'messaging.destination.partition.id': String(record.partition),
      'messaging.kafka.offset': Number(record.offset),
      'eventscope.outcome': 'processed',
      'eventscope.attempt': 1,
      'eventscope.correlation.id': placed.orderId,
      'eventscope.event.type': 'order.placed',
    });

    // The command the orchestrator sent (through its outbox) continues the consumer's trace.
    const reserveTopic = t.names.topic('inventory.reserve');
    const reserveSend = await waitFor('producer span of inventory.reserve', () =>
      find(
        (s) =>
          s.kind === KIND_PRODUCER &&
          s.name === `send ${reserveTopic}` &&
          s.attrs['eventscope.correlation.id'] === placed.orderId,
      ),
    );
    expect(reserveSend.service).toBe('orchestrator');
    expect(reserveSend.traceId).toBe(process.traceId);
    expect(reserveSend.parentSpanId).toBe(process.spanId);
    expect(reserveSend.attrs['eventscope.causation.id']).toBe(placed.eventId);
    expect(typeof reserveSend.attrs['messaging.kafka.offset']).toBe('number');
    expect(paths).toContain('/v1/traces');

    // The inventory consumer failed the first attempt: a `retried` span for attempt 1 under the
    // delivery span, which ends with the final outcome and attempt 2.
    const reserveDelivery = await waitFor('inventory delivery span', () =>
      find(
        (s) =>
          s.kind === KIND_CONSUMER &&
          s.name === `process ${reserveTopic}` &&
          s.attrs['messaging.message.id'] === reserveSend.attrs['messaging.message.id'] &&
          s.attrs['eventscope.outcome'] === 'processed',
      ),
    );
    expect(reserveDelivery.attrs['eventscope.attempt']).toBe(2);
    expect(reserveDelivery.attrs['messaging.consumer.group.name']).toBe(t.names.group('inventory'));
    const retried = find(
      (s) => s.attrs['eventscope.outcome'] === 'retried' && s.parentSpanId === reserveDelivery.spanId,
    );
    expect(retried?.attrs).toMatchObject({
      'eventscope.attempt': 1,
      'messaging.message.id': reserveSend.attrs['messaging.message.id'],
    });
    expect(retried?.kind).toBe(KIND_CONSUMER);
  });

  it('marks duplicates and dead letters on the consumer spans', async () => {
    const placed = await placeOrder(t.orderPort);
    const placedTopic = t.names.topic('order.placed');
    await waitFor('first delivery processed', () =>
      find(
        (s) =>
          s.kind === KIND_CONSUMER &&
          s.attrs['messaging.message.id'] === placed.eventId &&
          s.attrs['eventscope.outcome'] === 'processed',
      ),
    );
    const record = (await readTopic(t.kafka, placedTopic)).find((r) => r.key === placed.orderId)!;
    const producer = t.kafka.producer({ createPartitioner: kafkaModule().Partitioners.DefaultPartitioner });
    await producer.connect();
    await producer.send({
      topic: placedTopic,
      messages: [{ key: record.key, value: record.value, headers: record.headers }],
    });
    await producer.send({
      topic: placedTopic,
      messages: [
        {
          key: 'poison',
          value: Buffer.from('xx'),
          headers: { 'event-id': 'poison-trace-1', 'event-type': 'order.placed' },
        },
      ],
    });
    await producer.disconnect();
    const dup = await waitFor('duplicate span', () =>
      find(
        (s) =>
          s.kind === KIND_CONSUMER &&
          s.attrs['messaging.message.id'] === placed.eventId &&
          s.attrs['eventscope.outcome'] === 'duplicate',
      ),
    );
    expect(dup.attrs['messaging.consumer.group.name']).toBe(t.names.group('orchestrator'));
    const dead = await waitFor('dead-letter span', () =>
      find((s) => s.kind === KIND_CONSUMER && s.attrs['messaging.message.id'] === 'poison-trace-1'),
    );
    expect(dead.attrs).toMatchObject({
      'eventscope.outcome': 'dead_lettered',
      'eventscope.dlq.topic': t.names.dlq('orchestrator'),
      'eventscope.attempt': 1,
    });
  });
});
