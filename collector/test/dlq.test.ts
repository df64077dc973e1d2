/**
 * DLQ monitoring against the real broker and registry: depth, records added per interval and
 * since a mark, the latest records' `dlq-*` headers, Avro values decoded through the registry.
 */
import { COMPATIBILITY, SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import { describe, expect, it } from 'vitest';
import type { DlqDetail, DlqHistory, DlqList, DlqMarkResponse } from '../src/dlq/schemas.ts';
import { decodeValue } from '../src/dlq/service.ts';
import { buildTestApp, createTopicsLed, uniqueName, useBrokerApp } from './kafka-helpers.ts';

const registryUrl = process.env.SCHEMA_REGISTRY_URL;
if (!registryUrl) throw new Error('SCHEMA_REGISTRY_URL is not set; run through npm test or the vitest global setup');
const t = useBrokerApp({ groupsInclude: 'dlqtest-none-*', statusWindow: 5 });

const schema = {
  type: 'record',
  name: 'PaymentRequested',
  namespace: 'dev.eventscope.test',
  fields: [
    { name: 'orderId', type: 'string' },
    { name: 'amountCents', type: 'long' },
  ],
};

function dlqHeaders(i: number, errorClass: string): Record<string, string> {
  return {
    'event-id': `evt-${i}`,
    'event-type': 'payment.requested',
    'correlation-id': `order-${i}`,
    'dlq-original-topic': 'payments',
    'dlq-original-partition': String(i % 3),
    'dlq-original-offset': String(100 + i),
    'dlq-consumer-group': 'payment-service',
    'dlq-error-class': errorClass,
    'dlq-error-message': `failed record ${i}`,
    'dlq-attempts': '3',
    'dlq-first-failure-time': new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString(),
    'dlq-last-failure-time': new Date(Date.UTC(2026, 0, 1, 0, 1, i)).toISOString(),
  };
}

/** A new DLQ topic of `partitions` partitions, deleted after the suite. */
async function newDlq(partitions: number): Promise<string> {
  const topic = `${uniqueName('dlqtest')}.dlq`;
  await createTopicsLed(t.admin, { topics: [{ topic, numPartitions: partitions }] });
  t.topics.push(topic);
  return topic;
}

describe('DLQ monitor (real broker and registry)', () => {
  it('reports depth, growth, records since a mark, and the latest records with their headers', async () => {
    const topic = await newDlq(2);
    const base = Date.now() - 60_000;
    await t.producer.send({
      topic,
      messages: [0, 1, 2].map((i) => ({
        partition: i % 2,
        key: `order-${i}`,
        value: JSON.stringify({ orderId: `order-${i}` }),
        timestamp: String(base + i * 1000),
        headers: dlqHeaders(i, i === 2 ? 'TransientError' : 'DecodeError'),
      })),
    });
    await t.app.kafkaMonitor.pollOnce();
    let list = (await t.app.inject('/api/dlqs')).json<DlqList>();
    let entry = list.dlqs.find((d) => d.topic === topic);
    expect(entry).toMatchObject({ depth: 3, partitions: 2, addedLastInterval: null, addedTotal: 0, mark: null });

    await t.producer.send({
      topic,
      messages: [3, 4].map((i) => ({
        partition: 0,
        value: Buffer.from([0xff, 0xfe, 0x00, 0x01]),
        timestamp: String(base + i * 1000),
        headers: dlqHeaders(i, 'DecodeError'),
      })),
    });
    await t.app.kafkaMonitor.pollOnce();
    list = (await t.app.inject('/api/dlqs')).json<DlqList>();
    entry = list.dlqs.find((d) => d.topic === topic);
    expect(entry).toMatchObject({ depth: 5, addedLastInterval: 2, addedTotal: 2 });
    expect(entry?.growthPerSecond).toBeGreaterThan(0);
    expect(entry?.groups).toEqual(['payment-service']);
    expect(entry?.errorClasses).toEqual({ DecodeError: 4, TransientError: 1 });

    const mark = await t.app.inject({ method: 'POST', url: `/api/dlqs/${topic}/mark` });
    expect(mark.statusCode).toBe(200);
    expect(mark.json<DlqMarkResponse>()).toMatchObject({
      topic,
      addedSinceMark: 0,
      mark: { endOffsets: { 0: 4, 1: 1 } },
    });

    await t.producer.send({
      topic,
      messages: [{ partition: 1, value: 'later', timestamp: String(base + 10_000), headers: dlqHeaders(5, 'Boom') }],
    });
    await t.app.kafkaMonitor.pollOnce();
    const detail = (await t.app.inject(`/api/dlqs/${topic}`)).json<DlqDetail>();
    expect(detail.dlq).toMatchObject({ depth: 6, addedSinceMark: 1, addedTotal: 3 });
    expect(detail.dlq.latest.map((r) => r.headers['event-id'])).toEqual([
      'evt-5',
      'evt-4',
      'evt-3',
      'evt-2',
      'evt-1',
      'evt-0',
    ]);
    const newest = detail.dlq.latest[0];
    expect(newest).toMatchObject({
      partition: 1,
      offset: 1,
      timestamp: base + 10_000,
      originalTopic: 'payments',
      originalPartition: 2,
      originalOffset: 105,
      consumerGroup: 'payment-service',
      errorClass: 'Boom',
      errorMessage: 'failed record 5',
      attempts: 3,
      firstFailureTime: '2026-01-01T00:00:05.000Z',
      lastFailureTime: '2026-01-01T00:01:05.000Z',
      eventId: 'evt-5',
      correlationId: 'order-5',
      value: { encoding: 'utf8', data: 'later' },
    });
    expect(detail.dlq.latest.find((r) => r.eventId === 'evt-3')?.value).toMatchObject({
      encoding: 'base64',
      data: Buffer.from([0xff, 0xfe, 0x00, 0x01]).toString('base64'),
    });
    expect(detail.dlq.latest.find((r) => r.eventId === 'evt-0')?.value).toMatchObject({
      encoding: 'json',
      data: { orderId: 'order-0' },
    });

    const metrics = (await t.app.inject('/metrics')).body;
    expect(metrics).toContain(`eventscope_dlq_depth_records{cluster="default",topic="${topic}"} 6`);
    expect(metrics).toContain(`eventscope_dlq_records_added_total{cluster="default",topic="${topic}"} 3`);
    expect(metrics).toContain(`eventscope_dlq_records_since_mark{cluster="default",topic="${topic}"} 1`);
  });

  it('the mark survives an app rebuild on the same data dir', async () => {
    const topic = await newDlq(1);
    await t.producer.send({ topic, messages: [{ value: 'a', headers: dlqHeaders(1, 'X') }] });
    await t.app.kafkaMonitor.pollOnce();
    expect((await t.app.inject({ method: 'POST', url: `/api/dlqs/${topic}/mark` })).statusCode).toBe(200);
    await t.producer.send({ topic, messages: [{ value: 'b', headers: dlqHeaders(2, 'X') }] });
    const again = await buildTestApp({ groupsInclude: 'dlqtest-none-*' }, t.dataDir);
    try {
      await again.app.kafkaMonitor.pollOnce();
      const d = (await again.app.inject(`/api/dlqs/${topic}`)).json<DlqDetail>();
      expect(d.dlq.addedSinceMark).toBe(1);
    } finally {
      await again.close();
    }
  });

  it('keeps the depth at each poll as a history, oldest first, filtered by since', async () => {
    const topic = await newDlq(2);
    await t.app.kafkaMonitor.pollOnce();
    await t.producer.send({
      topic,
      messages: [0, 1, 2].map((i) => ({ partition: i % 2, value: `r${i}`, headers: dlqHeaders(i, 'DecodeError') })),
    });
    await t.app.kafkaMonitor.pollOnce();
    await t.producer.send({ topic, messages: [{ partition: 1, value: 'r3', headers: dlqHeaders(3, 'DecodeError') }] });
    await t.app.kafkaMonitor.pollOnce();

    const res = await t.app.inject(`/api/dlqs/${topic}/history`);
    expect(res.statusCode).toBe(200);
    const h = res.json<DlqHistory>();
    expect(h.topic).toBe(topic);
    expect(h.capacity).toBeGreaterThanOrEqual(60);
    expect(h.samples.map((s) => [s.depth, s.added])).toEqual([
      [0, null],
      [3, 3],
      [4, 1],
    ]);
    expect(h.samples.map((s) => s.endOffsetSum)).toEqual([0, 3, 4]);
    const times = h.samples.map((s) => s.time);
    expect([...times].sort((a, b) => a - b)).toEqual(times);
    expect(h.snapshotTime).toBe(times[2]);

    const since = (await t.app.inject(`/api/dlqs/${topic}/history?since=${times[1]}`)).json<DlqHistory>();
    expect(since.samples.map((s) => s.depth)).toEqual([3, 4]);

    const unknown = await t.app.inject('/api/dlqs/nope-not-here.dlq/history');
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json()).toMatchObject({ error: 'NOT_FOUND' });
    const badSince = await t.app.inject(`/api/dlqs/${topic}/history?since=yesterday`);
    expect(badSince.statusCode).toBe(400);
    expect(badSince.json()).toMatchObject({ error: 'BAD_REQUEST' });
  });

  it('answers 404 for unknown DLQs and 400 for invalid topic names', async () => {
    await t.app.kafkaMonitor.pollOnce();
    const unknown = await t.app.inject('/api/dlqs/nope-not-here.dlq');
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json()).toMatchObject({ error: 'NOT_FOUND' });
    const notDlq = await t.app.inject({ method: 'POST', url: '/api/dlqs/orders/mark' });
    expect(notDlq.statusCode).toBe(404);
    expect(notDlq.json<{ message: string }>().message).toContain('DLQ pattern');
    const bad = await t.app.inject('/api/dlqs/bad%20name!');
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ error: 'BAD_REQUEST' });
  });

  it('decodes Avro values (Confluent wire format) through the schema registry', async () => {
    const registry = new SchemaRegistry({ host: registryUrl ?? '' });
    const subject = `${uniqueName('dlqtest')}-value`;
    const { id } = await registry.register(
      { type: SchemaType.AVRO, schema: JSON.stringify(schema) },
      { subject, compatibility: COMPATIBILITY.BACKWARD },
    );
    const encoded = await registry.encode(id, { orderId: 'o-9', amountCents: 1999 });
    const decoded = await decodeValue(encoded, { decode: (b) => registry.decode(b) });
    const avro = {
      encoding: 'avro',
      schemaId: id,
      data: { orderId: 'o-9', amountCents: 1999 },
      decodeError: null,
      sizeBytes: encoded.length,
      truncated: false,
    };
    expect(decoded).toEqual(avro);
    // Without a registry the bytes are shown as base64, with the schema id.
    expect(await decodeValue(encoded, undefined)).toMatchObject({ encoding: 'base64', schemaId: id });

    // Through the app: a DLQ record with an Avro value.
    const topic = await newDlq(1);
    await t.producer.send({ topic, messages: [{ value: encoded, headers: dlqHeaders(7, 'DecodeError') }] });
    await t.app.kafkaMonitor.pollOnce();
    const d = (await t.app.inject(`/api/dlqs/${topic}`)).json<DlqDetail>();
    expect(d.dlq.latest[0]?.value).toEqual(avro);
  });
});
