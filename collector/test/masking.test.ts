/**
 * Masking of payload fields and headers (maskFields, maskHeaders): the paths, the masked copies,
 * the config check; on the real broker and registry, DLQ records (JSON, Avro, text, no headers)
 * and DLQ cause samples as a viewer and an operator see them, `?unmask=true` for the operator
 * only with its audit rows, and the collector's log holding none of the masked values.
 */
import { COMPATIBILITY, SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditLog } from '../src/auth/index.ts';
import { loadConfig } from '../src/config.ts';
import type { DlqDetail } from '../src/dlq/schemas.ts';
import { DlqTriage, type DlqCauses } from '../src/dlq/triage/index.ts';
import { registerTriageMetrics } from '../src/dlq/triage/metrics.ts';
import { MASK, Masking, parseFieldPath } from '../src/masking/index.ts';
import { dlqHeaders, dlqRecordView, newDlqTopic } from './dlq-helpers.ts';
import { BROKERS, REGISTRY_URL, removeDir, startApp, type TestApp } from './harness.ts';
import { uniqueName, useBrokerApp } from './kafka-helpers.ts';

describe('field paths and masked copies', () => {
  it('parses the JSON-path subset and names the syntax when a path is wrong', () => {
    expect(parseFieldPath('$.card.number')).toEqual([
      { kind: 'key', name: 'card' },
      { kind: 'key', name: 'number' },
    ]);
    expect(parseFieldPath("$.items[*].email['odd key'][2]")).toEqual([
      { kind: 'key', name: 'items' },
      { kind: 'any' },
      { kind: 'key', name: 'email' },
      { kind: 'key', name: 'odd key' },
      { kind: 'index', index: 2 },
    ]);
    for (const bad of ['card.number', '$', '$.a..b', '$.a[x]', "$['unclosed", '$.a b']) {
      expect(parseFieldPath(bad), bad).toEqual(expect.stringContaining('$.card.number'));
    }
    expect(() => loadConfig({ EVENTSCOPE_MASK_FIELDS: '$.ok,card.number' }, {})).toThrow(
      /maskFields.*card\.number.*must start with \$/,
    );
    expect(() => loadConfig({ EVENTSCOPE_MASK_HEADERS: 'bad name' }, {})).toThrow(/maskHeaders.*printable ASCII/);
  });

  it('masks what the paths name, in copies; data keys like __proto__ and constructor stay data', () => {
    const m = new Masking(
      ['$.card.number', '$.items[*].sku', '$.items[1].price', '$.__proto__.secret', '$.constructor'],
      [],
    );
    const data = JSON.parse(
      '{"card":{"number":"4111","cvc":1},"items":[{"sku":"a","price":1},{"sku":"b","price":2}],"__proto__":{"secret":"s","keep":1},"constructor":"c","other":null}',
    ) as unknown;
    const before = JSON.stringify(data);
    const masked = m.value(data);
    expect(JSON.parse(JSON.stringify(masked))).toEqual(
      JSON.parse(
        '{"card":{"number":"***","cvc":1},"items":[{"sku":"***","price":1},{"sku":"***","price":"***"}],"__proto__":{"secret":"***","keep":1},"constructor":"***","other":null}',
      ),
    );
    expect(JSON.stringify(data)).toBe(before); // the kept record is untouched
    expect(({} as Record<string, unknown>).secret).toBeUndefined();
    // Paths that name nothing there change nothing: other shapes, arrays where a key is asked.
    for (const other of [null, 'text', 42, ['4111'], { card: '4111' }, { card: [{ number: 1 }] }]) {
      expect(m.value(other)).toEqual(other);
    }
  });

  it('masks headers in any case, the fields read from them, and header errors quoting them', async () => {
    const m = new Masking([], ['X-Customer-Email', 'dlq-error-message', 'dlq-attempts']);
    const r = await dlqRecordView(
      {
        'x-customer-email': 'jane@example.com',
        'dlq-error-message': 'card 4111 declined',
        'dlq-attempts': 'secret-7',
        'dlq-error-class': 'Declined',
      },
      { value: '{"a":1}' },
    );
    const v = m.dlqRecord(r);
    expect(v.headers).toEqual({
      'x-customer-email': MASK,
      'dlq-error-message': MASK,
      'dlq-attempts': MASK,
      'dlq-error-class': 'Declined',
    });
    expect(v).toMatchObject({ errorMessage: MASK, attempts: null, errorClass: 'Declined', value: { data: { a: 1 } } });
    expect(JSON.stringify(v)).not.toMatch(/jane|4111|secret-7/);
    expect(r.headers['x-customer-email']).toBe('jane@example.com'); // a copy
  });

  it('masks what causes, DLQ summaries and cause metrics take from masked dlq-* headers', async () => {
    const m = new Masking([], ['dlq-error-class', 'dlq-consumer-group', 'dlq-original-topic', 'dlq-error-message']);
    const triage = new DlqTriage({ maxCauses: 10 });
    const secret = dlqHeaders({
      errorClass: 'SecretClass',
      message: 'secret reason 7',
      topic: 'secret-topic',
      group: 'secret-group',
    });
    triage.ingest('m.dlq', [await dlqRecordView(secret)]);
    const masked = triage.causes('m.dlq', m, false);
    expect(masked.causes[0]).toMatchObject({ errorClass: MASK, template: MASK, topics: [MASK], groups: [MASK] });
    expect(masked.causes[0]?.sample.message).toBe(MASK);
    expect(JSON.stringify(masked)).not.toMatch(/secret/i);
    expect(triage.causes('m.dlq', m, true).causes[0]).toMatchObject({
      errorClass: 'SecretClass',
      template: 'secret reason <num>',
      groups: ['secret-group'],
    });
    const summary = m.dlqSummary({ groups: ['secret-group'], errorClasses: { SecretClass: 2, Other: 1 } });
    expect(summary).toEqual({ groups: [MASK], errorClasses: { [MASK]: 3 } });
    const registry = new Registry();
    registerTriageMetrics(registry, new Map([['default', { name: 'default', triage }]]), m);
    const text = await registry.metrics();
    expect(text).toContain('error_class="***"');
    expect(text).not.toMatch(/secret/i);
  });
});

const VIEWER = 'viewer-token-0123456789abcdef';
const OPERATOR = 'operator-token-0123456789abcdef';
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
/** Secrets in the records: none may reach a masked view or the log. */
const SECRET = { card: '4111111111111111', email: 'jane.secret@example.com', avroCard: '5500005555555559' };

/** A payment with a nested card, as Avro (one line: the registry takes the schema as JSON text). */
const AVRO_SCHEMA =
  '{"type":"record","name":"MaskedPayment","namespace":"dev.eventscope.masktest","fields":[{"name":"orderId","type":"string"},{"name":"card","type":{"type":"record","name":"Card","fields":[{"name":"number","type":"string"}]}}]}';

const t = useBrokerApp({ groupsInclude: 'masktest-none-*', dlqPattern: 'masktest-*.dlq' });

describe('masked DLQ views on the real broker', () => {
  const lines: string[] = [];
  let h: TestApp;
  let topic: string;
  let avroSchemaId: number;

  beforeAll(async () => {
    h = await startApp({
      env: { KAFKA_BROKERS: BROKERS, SCHEMA_REGISTRY_URL: REGISTRY_URL },
      overrides: {
        dlqPattern: 'masktest-*.dlq',
        groupsInclude: 'masktest-none-*',
        tokens: [`viewer:viewer:${VIEWER}`, `ops:operator:${OPERATOR}`],
        maskFields: ['$.card.number', '$.customer.email'],
        maskHeaders: ['X-Customer-Email', 'dlq-error-message'],
      },
      logger: { level: 'trace', stream: { write: (line: string) => void lines.push(line) } },
    });
    topic = await newDlqTopic(t, 'masktest');
    const registry = new SchemaRegistry({ host: REGISTRY_URL });
    avroSchemaId = (
      await registry.register(
        { type: SchemaType.AVRO, schema: AVRO_SCHEMA },
        { subject: `${uniqueName('masktest')}-value`, compatibility: COMPATIBILITY.BACKWARD },
      )
    ).id;
    const avro = await registry.encode(avroSchemaId, { orderId: 'o-2', card: { number: SECRET.avroCard } });
    const failure = { errorClass: 'Declined', message: `card ${SECRET.card} declined` };
    await t.producer.send({
      topic,
      messages: [
        {
          value: JSON.stringify({ orderId: 'o-1', card: { number: SECRET.card }, customer: { email: SECRET.email } }),
          headers: dlqHeaders(failure, { 'x-customer-email': SECRET.email }),
        },
        { value: avro, headers: dlqHeaders(failure) },
        // Not decoded (plain text): shown as it is, a path means nothing in it.
        { value: 'card=plain-text-card', headers: dlqHeaders(failure) },
        { value: null },
      ],
    });
    await h.app.kafkaMonitor.pollOnce();
  });

  afterAll(async () => {
    await h.close();
    removeDir(h.dataDir);
  });

  const get = (url: string, token?: string) => h.app.inject({ url, headers: token ? bearer(token) : {} });
  const auditRows = async () =>
    (await get('/api/audit-log?limit=100', VIEWER)).json<AuditLog>().entries.filter((e) => e.action === 'unmask');

  it('shows a viewer masked payload fields, headers, header fields and cause samples', async () => {
    const res = await get(`/api/dlqs/${topic}`, VIEWER);
    expect(res.statusCode, res.body).toBe(200);
    for (const s of Object.values(SECRET)) expect(res.body).not.toContain(s);
    const latest = res.json<DlqDetail>().dlq.latest;
    expect(latest).toHaveLength(4);
    const json = latest.find((r) => r.value.encoding === 'json');
    expect(json?.value.data).toEqual({ orderId: 'o-1', card: { number: MASK }, customer: { email: MASK } });
    expect(json?.headers).toMatchObject({
      'x-customer-email': MASK,
      'dlq-error-message': MASK,
      'dlq-error-class': 'Declined',
    });
    expect(json).toMatchObject({ errorMessage: MASK, errorClass: 'Declined', originalTopic: 'orders' });
    const avro = latest.find((r) => r.value.encoding === 'avro');
    expect(avro?.value).toMatchObject({ schemaId: avroSchemaId, data: { orderId: 'o-2', card: { number: MASK } } });
    expect(latest.find((r) => r.value.encoding === 'utf8')?.value.data).toBe('card=plain-text-card');
    expect(latest.find((r) => r.value.encoding === 'null')).toMatchObject({ headers: {}, errorMessage: null });

    const causes = await get(`/api/dlqs/${topic}/causes`, VIEWER);
    expect(causes.statusCode).toBe(200);
    const declined = causes.json<DlqCauses>().causes.find((c) => c.errorClass === 'Declined');
    expect(declined).toMatchObject({ count: 3, template: MASK, sample: { message: MASK } });
    expect(causes.body).not.toContain(SECRET.card);
  });

  it('refuses unmask to a viewer (403) and to nobody (401), and audits the refusal', async () => {
    const viewer = await get(`/api/dlqs/${topic}?unmask=true`, VIEWER);
    expect(viewer.statusCode).toBe(403);
    expect(viewer.json()).toMatchObject({ error: 'FORBIDDEN' });
    expect(viewer.body).not.toContain(SECRET.card);
    expect((await get(`/api/dlq-causes?unmask=true`, VIEWER)).statusCode).toBe(403);
    expect((await get(`/api/dlqs/${topic}?unmask=true`)).statusCode).toBe(401);
    expect((await get(`/api/dlqs/${topic}?unmask=maybe`, OPERATOR)).statusCode).toBe(400);
    expect(await auditRows()).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          subject: 'viewer',
          role: 'viewer',
          target: `dlq=${topic}`,
          result: 'refused: forbidden',
        }),
        expect.objectContaining({ subject: 'viewer', target: 'dlq=*', result: 'refused: forbidden' }),
      ]),
    );
  });

  it('shows an operator who asks everything in clear, one audit row per use', async () => {
    const before = (await auditRows()).filter((e) => e.result === 'ok').length;
    const masked = await get(`/api/dlqs/${topic}`, OPERATOR);
    expect(masked.body).not.toContain(SECRET.card); // the operator sees masked values unless asking
    const res = await get(`/api/dlqs/${topic}?unmask=true`, OPERATOR);
    expect(res.statusCode).toBe(200);
    const json = res.json<DlqDetail>().dlq.latest.find((r) => r.value.encoding === 'json');
    expect(json?.value.data).toMatchObject({ card: { number: SECRET.card }, customer: { email: SECRET.email } });
    expect(json?.headers['x-customer-email']).toBe(SECRET.email);
    expect(res.body).toContain(SECRET.avroCard);
    const causes = (await get(`/api/dlqs/${topic}/causes?unmask=true`, OPERATOR)).json<DlqCauses>();
    expect(causes.causes.find((c) => c.errorClass === 'Declined')).toMatchObject({
      template: 'card <num> declined',
      sample: { message: `card ${SECRET.card} declined` },
    });
    const ok = (await auditRows()).filter((e) => e.result === 'ok');
    expect(ok.length - before).toBe(2);
    expect(ok[0]).toMatchObject({ subject: 'ops', role: 'operator', target: `dlq=${topic}` });
    expect(ok[0]?.detail).toMatch(/^GET \/api\/dlqs\/:topic(\/causes)?$/);
  });

  it('logs none of the masked values (requests, unmask uses and polls included)', () => {
    const log = lines.join('\n');
    expect(log).toContain(topic); // the capture works: request lines name the DLQ
    for (const s of Object.values(SECRET)) expect(log).not.toContain(s);
  });

  it('shows values as they are on a collector without maskFields and maskHeaders', async () => {
    await t.app.kafkaMonitor.pollOnce();
    const plain = await t.app.inject(`/api/dlqs/${topic}`);
    expect(plain.body).toContain(SECRET.card);
  });
});
