/**
 * Hostile input against the surfaces added for issue #18 (redrive, masking), on the real broker:
 * each test is named after what broke and fails on the code before its fix.
 */
import { describe, expect, it } from 'vitest';
import type { DlqDetail } from '../src/dlq/schemas.ts';
import type { Redrive } from '../src/api-types.ts';
import { Producer, type CompressionAlgorithmValue, type MessageToProduce } from '@platformatic/kafka';
import { brokers, createTopicsLed, uniqueName, useBrokerApp, waitFor } from './kafka-helpers.ts';
import { readAllRecords, headerText } from './redrive-helpers.ts';

const OPERATOR = 'operator-token-hostile-0123456789';
const t = useBrokerApp({
  groupsInclude: 'hostiletoday-none-*',
  dlqPattern: 'hostiletoday-*.dlq',
  tokens: [`ops:operator:${OPERATOR}`],
  maskFields: ['$.card.number'],
  maskHeaders: ['email', 'dlq-consumer-group'],
});
const as = { authorization: `Bearer ${OPERATOR}` };

async function newTopic(topic: string): Promise<string> {
  await createTopicsLed(t.admin, { topics: [{ topic, numPartitions: 1 }] });
  t.topics.push(topic);
  return topic;
}

/** Produces with the collector's own client (headers without values, ZSTD batches). */
async function produceRaw(messages: MessageToProduce[], compression?: CompressionAlgorithmValue): Promise<void> {
  const p = new Producer({ clientId: 'hostile-today', bootstrapBrokers: brokers });
  try {
    await p.send({ messages, ...(compression ? { compression } : {}) });
  } finally {
    await p.close();
  }
}

/** Redrives every record of the DLQ to its original topic and waits for the end. */
async function redriveAll(dlq: string): Promise<Redrive> {
  const res = await t.app.inject({
    method: 'POST',
    url: `/api/dlqs/${dlq}/redrives`,
    headers: as,
    payload: { select: { kind: 'all' }, target: { kind: 'original' }, ratePerSecond: 100 },
  });
  expect(res.statusCode, res.body).toBe(202);
  const id = res.json<{ redrive: Redrive }>().redrive.id;
  return waitFor(`redrive ${id} to end`, async () => {
    const got = (await t.app.inject({ url: `/api/redrives/${id}`, headers: as })).json<{ redrive: Redrive }>();
    return got.redrive.status === 'running' ? undefined : got.redrive;
  });
}

describe("today's surfaces under hostile records (real broker)", () => {
  it('a JSON value too large to show whole still hides its masked fields (was shown in clear)', async () => {
    const dlq = await newTopic(`${uniqueName('hostiletoday')}.dlq`);
    const secret = '4111111111111111';
    const value = JSON.stringify({ card: { number: secret }, pad: 'x'.repeat(80 * 1024) });
    await t.producer.send({ topic: dlq, messages: [{ value, headers: { 'dlq-error-class': 'Big' } }] });
    await t.app.kafkaMonitor.pollOnce();
    const res = await t.app.inject({ url: `/api/dlqs/${dlq}`, headers: as });
    expect(res.statusCode, res.body).toBe(200);
    const latest = res.json<DlqDetail>().dlq.latest;
    expect(latest).toHaveLength(1);
    expect(latest[0]?.value.truncated).toBe(true);
    expect(res.body.includes(secret), 'the secret in the masked view').toBe(false);
    expect(latest[0]?.value.data).toBe('***');
    // An operator's unmask still shows it.
    const unmasked = await t.app.inject({ url: `/api/dlqs/${dlq}?unmask=true`, headers: as });
    expect(unmasked.body.includes(secret), 'the secret in the unmasked view').toBe(true);
  });

  it('a JSON value that starts with a byte order mark hides its masked fields (was shown as text, in clear)', async () => {
    const dlq = await newTopic(`${uniqueName('hostiletoday')}.dlq`);
    const secret = '5500005555555559';
    const value = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(`{"card":{"number":"${secret}"}}`)]);
    await produceRaw([{ topic: dlq, value }]);
    await t.app.kafkaMonitor.pollOnce();
    const res = await t.app.inject({ url: `/api/dlqs/${dlq}`, headers: as });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json<DlqDetail>().dlq.latest[0]?.value).toMatchObject({
      encoding: 'json',
      data: { card: { number: '***' } },
    });
    expect(res.body.includes(secret)).toBe(false);
  });

  it('held: a record whose original topic is an internal topic fails alone; the records after it are sent', async () => {
    const base = uniqueName('hostiletoday');
    const dlq = await newTopic(`${base}.dlq`);
    const original = await newTopic(`${base}-orders`);
    const headers = (to: string, i: number) => ({
      'event-id': `evt-${i}-${base}`,
      'dlq-original-topic': to,
      'dlq-consumer-group': `${base}-svc`,
      'dlq-error-class': 'X',
    });
    await t.producer.send({
      topic: dlq,
      messages: [
        { value: 'a', headers: headers('__consumer_offsets', 0) },
        { value: 'b', headers: headers(original, 1) },
        { value: 'd', headers: headers(original, 3) },
      ],
    });
    const r = await redriveAll(dlq);
    expect(r).toMatchObject({ status: 'completed', selected: 3, sent: 2, failed: 1 });
    const onOriginal = await readAllRecords(original, t.app.kafka);
    expect(onOriginal.map((x) => headerText(x, 'event-id')).sort()).toEqual([`evt-1-${base}`, `evt-3-${base}`]);
  });

  it('a redriven record keeps a header without a value (was dropped), null key and value, non-UTF-8 bytes', async () => {
    const base = uniqueName('hostiletoday');
    const dlq = await newTopic(`${base}.dlq`);
    const original = await newTopic(`${base}-orders`);
    // kafkajs cannot write a header without a value: the collector's own client can.
    const headers = new Map<Buffer, Buffer>([
      [Buffer.from('dlq-original-topic'), Buffer.from(original)],
      [Buffer.from('flag'), null as unknown as Buffer],
      [Buffer.from('odd'), Buffer.from([0xff, 0xfe, 0])],
    ]);
    await produceRaw([{ topic: dlq, headers }]);
    const r = await redriveAll(dlq);
    expect(r).toMatchObject({ status: 'completed', selected: 1, sent: 1, failed: 0 });
    const [out] = await readAllRecords(original, t.app.kafka);
    expect(out?.key).toBeNull();
    expect(out?.value).toBeNull();
    expect(out?.headers.flag).toEqual([]);
    expect(out?.headers.odd).toEqual([Buffer.from([0xff, 0xfe, 0])]);
  });

  it('two redrives of the same records at once: the second is a 409 (both used to send every record)', async () => {
    const base = uniqueName('hostiletoday');
    const dlq = await newTopic(`${base}.dlq`);
    const original = await newTopic(`${base}-orders`);
    await t.producer.send({
      topic: dlq,
      messages: [0, 1, 2].map((i) => ({ value: `v${i}`, headers: { 'dlq-original-topic': original } })),
    });
    const body = { select: { kind: 'all' }, target: { kind: 'original' }, ratePerSecond: 1 };
    const post = () => t.app.inject({ method: 'POST', url: `/api/dlqs/${dlq}/redrives`, headers: as, payload: body });
    const answers = await Promise.all([post(), post()]);
    expect(answers.map((a) => a.statusCode).sort()).toEqual([202, 409]);
    const refused = answers.find((a) => a.statusCode === 409);
    expect(refused?.json()).toMatchObject({ error: 'CONFLICT' });
    const id = answers.find((a) => a.statusCode === 202)?.json<{ redrive: Redrive }>().redrive.id ?? '';
    const cancel = await t.app.inject({ method: 'POST', url: `/api/redrives/${id}/cancel`, headers: as });
    expect(cancel.json<{ redrive: Redrive }>().redrive.status).toBe('cancelled');
    // Once the first has ended, the same records may be redriven again, on purpose.
    const again = await post();
    expect(again.statusCode, again.body).toBe(202);
    const id2 = again.json<{ redrive: Redrive }>().redrive.id;
    await t.app.inject({ method: 'POST', url: `/api/redrives/${id2}/cancel`, headers: as });
  });

  it('a bad filter field is named in the 400 (the message named the offsets member: "records")', async () => {
    const filter = (extra: string) =>
      `{"select":{"kind":"filter",${extra}},"target":{"kind":"original"},"ratePerSecond":1,"dryRun":true}`;
    const cases: [string, RegExp][] = [
      [filter('"fromMs":1e400'), /^body\/select\/fromMs: /],
      [filter('"toMs":-1'), /^body\/select\/toMs: /],
      [filter(`"key":"${'k'.repeat(1001)}"`), /^body\/select\/key: /],
      [filter('"header":{"name":"","value":"x"}'), /^body\/select\/header\/name: /],
      ['{"select":{"kind":"all","x":1},"target":{"kind":"original"},"ratePerSecond":1}', /^body\/select\/x: /],
    ];
    for (const [payload, message] of cases) {
      const res = await t.app.inject({
        method: 'POST',
        url: '/api/dlqs/hostiletoday-any.dlq/redrives',
        headers: { ...as, 'content-type': 'application/json' },
        payload,
      });
      expect(res.statusCode, payload.slice(0, 80)).toBe(400);
      expect(res.json<{ error: string; message: string }>(), payload.slice(0, 80)).toMatchObject({
        error: 'BAD_REQUEST',
        message: expect.stringMatching(message) as unknown,
      });
    }
  });

  it('held: a ZSTD batch in a DLQ is counted by triage and redriven whole', async () => {
    const base = uniqueName('hostiletoday');
    const dlq = await newTopic(`${base}.dlq`);
    const original = await newTopic(`${base}-orders`);
    const headers = new Map<Buffer, Buffer>([
      [Buffer.from('dlq-original-topic'), Buffer.from(original)],
      [Buffer.from('dlq-error-class'), Buffer.from('constructor')],
      [Buffer.from('dlq-error-message'), Buffer.from([0xc3, 0x28, 0x20, 0x6e, 0x6f])],
    ]);
    await produceRaw(
      [0, 1, 2].map((i) => ({ topic: dlq, value: Buffer.from(`{"i":${i}}`), headers })),
      'zstd',
    );
    const r = await redriveAll(dlq);
    expect(r).toMatchObject({ status: 'completed', selected: 3, sent: 3, failed: 0 });
    expect((await readAllRecords(original, t.app.kafka)).map((x) => x.value?.toString())).toEqual([
      '{"i":0}',
      '{"i":1}',
      '{"i":2}',
    ]);
    await t.app.kafkaMonitor.pollOnce();
    const causes = await t.app.inject({ url: `/api/dlqs/${dlq}/causes`, headers: as });
    expect(causes.statusCode, causes.body).toBe(200);
    expect(causes.json<{ causes: { errorClass: string; count: number }[] }>().causes).toMatchObject([
      { errorClass: 'constructor', count: 3 },
    ]);
  });

  it("a redrive's filter on a masked header hides its value from the redrive views and the audit log (was shown)", async () => {
    const dlq = await newTopic(`${uniqueName('hostiletoday')}.dlq`);
    const secret = 'alice-9f3a@example.com';
    const select = { kind: 'filter', header: { name: 'Email', value: secret }, group: `${secret}-svc` };
    const post = (dryRun: boolean) =>
      t.app.inject({
        method: 'POST',
        url: `/api/dlqs/${dlq}/redrives`,
        headers: as,
        payload: { select, target: { kind: 'original' }, ratePerSecond: 1, dryRun },
      });
    expect((await post(true)).statusCode).toBe(200);
    const started = await post(false);
    expect(started.statusCode, started.body).toBe(202);
    const id = started.json<{ redrive: Redrive }>().redrive.id;
    for (const url of [
      `/api/redrives/${id}`,
      '/api/redrives',
      `/api/redrives/${id}/events`,
      '/api/audit-log?limit=100',
    ]) {
      const res = await t.app.inject({ url, headers: as });
      expect(res.statusCode, url).toBe(200);
      expect(res.body.includes(secret), url).toBe(false);
      if (url.endsWith(id)) {
        expect(res.json<{ redrive: Redrive }>().redrive.select).toEqual({
          kind: 'filter',
          header: { name: 'Email', value: '***' },
          group: '***',
        });
      }
    }
    expect(started.body.includes(secret)).toBe(false);
  });

  it("the overview's DLQ list masks the consumer groups read from a masked header (was shown)", async () => {
    const dlq = await newTopic(`${uniqueName('hostiletoday')}.dlq`);
    const group = `${uniqueName('hostiletoday')}-secret-group`;
    await t.producer.send({ topic: dlq, messages: [{ value: 'x', headers: { 'dlq-consumer-group': group } }] });
    await t.app.kafkaMonitor.pollOnce();
    const overview = await t.app.inject({ url: '/api/overview', headers: as });
    expect(overview.statusCode).toBe(200);
    const dlqs = overview.json<{ dlqs: { topic: string; groups: string[] }[] }>().dlqs;
    expect(dlqs.find((d) => d.topic === dlq)?.groups).toEqual(['***']);
    expect(overview.body.includes(group)).toBe(false);
  });
});
