/**
 * DLQ triage: fingerprints of realistic error messages (the demo's, Java stack traces' first
 * lines), the bounded cause table, and records on the real broker grouped by cause through the
 * API and /metrics: counts, first/last seen, topics, groups, samples, trends.
 */
import { describe, expect, it } from 'vitest';
import { DLQ_HEADER } from '@eventscope/contract';
import type { DlqRecord } from '../src/dlq/service.ts';
import {
  causeOf,
  DlqTriage,
  messageTemplate,
  TREND_BUCKETS,
  type DlqCause,
  type DlqCauses,
} from '../src/dlq/triage/index.ts';
import { Masking } from '../src/masking/index.ts';
import { dlqHeaders, dlqRecordView, newDlqTopic } from './dlq-helpers.ts';
import { useBrokerApp } from './kafka-helpers.ts';

describe('cause fingerprints', () => {
  it.each([
    ['injected failure of attempt 3 (DEMO_FAIL_ATTEMPTS)', 'injected failure of attempt <num> (DEMO_FAIL_ATTEMPTS)'],
    [
      'cannot decode value with schema 42: Invalid int32 at offset 17',
      'cannot decode value with schema <num>: Invalid int32 at offset <num>',
    ],
    ['unknown schema id 1007', 'unknown schema id <num>'],
    [
      'registry lookup of schema 7 failed: connect ECONNREFUSED 10.0.3.4:8081',
      'registry lookup of schema <num> failed: connect ECONNREFUSED <ip>',
    ],
    [
      'Order 0191e0a2-7c1b-7d3e-9f00-1234567890ab not found at 2026-01-01T00:00:01.123Z',
      'Order <uuid> not found at <time>',
    ],
    ['customer \'jane@example.com\' has no "gold" tier', 'customer \'<str>\' has no "<str>" tier'],
    [
      'stock for sold-out-sku-12 is 0 < 3, order ord_81 cust-9f3a2b',
      'stock for sold-out-sku-<num> is <num> < <num>, order ord_<num> cust-<id>',
    ],
    [
      'timed out after 250ms, span 4bf92f3577b34da6, flags 0x1F, amount -12.50EUR',
      'timed out after <num>, span <hex>, flags <hex>, amount <num>',
    ],
    ['mail to jane@example.com via https://mx.example.com/a?b=1 failed', 'mail to <email> via <url> failed'],
    ['first line 12\n\tat com.acme.Foo.bar(Foo.java:42)\n\tat x', 'first line <num>'],
    ['  spaces \t and\u0000odd\u0001bytes\uFFFD 7 ', 'spaces and?odd?bytes? <num>'],
  ])('%j -> %j', (message, template) => {
    expect(messageTemplate(message)).toBe(template);
  });

  it('groups messages that differ only in ids and numbers; the class and the words tell causes apart', () => {
    const a = causeOf('DecodeError', 'unknown schema id 12');
    expect(causeOf('DecodeError', 'unknown schema id 987654').fingerprint).toBe(a.fingerprint);
    expect(causeOf('TransientError', 'unknown schema id 12').fingerprint).not.toBe(a.fingerprint);
    expect(causeOf('DecodeError', 'unknown subject 12').fingerprint).not.toBe(a.fingerprint);
    // Stable across processes and releases: dashboards and alerts keep a fingerprint.
    expect(a).toEqual({ errorClass: 'DecodeError', template: 'unknown schema id <num>', fingerprint: a.fingerprint });
    expect(a.fingerprint).toMatch(/^[0-9a-f]{16}$/);
    expect(causeOf('DecodeError', 'unknown schema id 12')).toEqual(a);
  });

  it("reads a Java stack trace's first line: the class from it when no header names one", () => {
    const trace =
      'org.apache.kafka.common.errors.SerializationException: Error deserializing key/value for partition orders-3 at offset 12345\n' +
      '\tat org.apache.kafka.clients.consumer.internals.CompletedFetch.parseRecord(CompletedFetch.java:331)';
    const fromHeader = causeOf('org.apache.kafka.common.errors.SerializationException', trace);
    expect(fromHeader).toMatchObject({
      errorClass: 'org.apache.kafka.common.errors.SerializationException',
      template: 'Error deserializing key/value for partition orders-<num> at offset <num>',
    });
    expect(causeOf(null, trace.replace('orders-3', 'orders-7'))).toEqual(fromHeader);
    // A simple class name in the header with the full name in the message: the header's class stays.
    expect(causeOf('SerializationException', trace).errorClass).toBe('SerializationException');
    expect(causeOf(null, 'java.lang.NullPointerException')).toMatchObject({
      errorClass: 'java.lang.NullPointerException',
      template: '',
    });
    // A message that merely contains a colon is not a class.
    expect(causeOf(null, 'payment failed: card declined')).toMatchObject({ errorClass: 'unknown' });
  });

  it('keeps keys bounded: a huge message and a huge class', () => {
    const c = causeOf('X'.repeat(10_000), `${'word '.repeat(100_000)}1`);
    expect(c.errorClass.length).toBeLessThanOrEqual(200);
    expect(c.template.length).toBeLessThanOrEqual(300);
  });
});

/** A DLQ record view with a class and message header. */
const record = (partition: number, offset: number, o: { errorClass?: string; timestamp?: number } = {}) =>
  dlqRecordView(
    { [DLQ_HEADER.errorClass]: o.errorClass ?? 'E', [DLQ_HEADER.errorMessage]: `failed ${offset}` },
    { partition, offset, timestamp: o.timestamp },
  );

describe('the cause table', () => {
  const none = new Masking([], []);

  it('counts each record once, caps distinct causes and counts the rest as untracked', async () => {
    const triage = new DlqTriage({ maxCauses: 2 });
    const recs = await Promise.all([
      record(0, 1),
      record(0, 2),
      record(1, 1, { errorClass: 'F' }),
      record(1, 2, { errorClass: 'G' }),
    ]);
    triage.ingest('a.dlq', recs);
    triage.ingest('a.dlq', recs.slice(1)); // the same tail read again
    const view = triage.causes('a.dlq', none, false);
    expect(view.causes.map((c) => [c.errorClass, c.count])).toEqual([
      ['E', 2],
      ['F', 1],
    ]);
    expect(view.untracked).toBe(1);
  });

  it('forgets a DLQ that is gone and starts again when its offsets go back (recreated)', async () => {
    const triage = new DlqTriage({ maxCauses: 10 });
    const state = (endOffsetSum: number, latest: DlqRecord[]) =>
      ({ topic: 'b.dlq', endOffsetSum, latest }) as unknown as Parameters<DlqTriage['observe']>[0][number];
    triage.observe([state(3, await Promise.all([record(0, 0), record(0, 1), record(0, 2)]))]);
    expect(triage.causes('b.dlq', none, false).causes[0]?.count).toBe(3);
    triage.observe([state(1, [await record(0, 0)])]);
    expect(triage.causes('b.dlq', none, false).causes[0]?.count).toBe(1);
    triage.observe([]);
    expect(triage.causes(undefined, none, false).causes).toEqual([]);
    expect(triage.dlqs()).toEqual([]);
  });

  it('puts records in trend buckets, oldest first; old ones only in the count; future ones at now', async () => {
    const triage = new DlqTriage({ maxCauses: 10 });
    const now = Date.UTC(2026, 5, 1, 12, 0, 0);
    const recs = await Promise.all(
      [now - 1000, now - 11 * 60_000, now - 24 * 3600_000, Date.UTC(2500, 0, 1), -1].map((timestamp, i) =>
        record(0, i + 1, { timestamp }),
      ),
    );
    triage.ingest('c.dlq', recs, now);
    const [c] = triage.causes('c.dlq', none, false, now).causes;
    expect(c?.count).toBe(5);
    expect(c?.trend).toHaveLength(TREND_BUCKETS);
    expect(c?.trend.slice(-4)).toEqual([1, 0, 1, 2]);
    expect(c?.trend.reduce((s, n) => s + n, 0)).toBe(4);
    expect(c?.firstSeenMs).toBe(now - 24 * 3600_000);
    expect(c?.lastSeenMs).toBe(now);
    expect(c?.sample).toMatchObject({ topic: 'c.dlq', partition: 0, offset: '5' });
  });
});

const t = useBrokerApp({ groupsInclude: 'triagetest-none-*', dlqPattern: 'triagetest-*.dlq', dlqLatestRecords: 50 });

describe('DLQ causes on the real broker', () => {
  const causesOf = async (url: string): Promise<DlqCauses> => {
    const res = await t.app.inject(url);
    expect(res.statusCode, res.body).toBe(200);
    return res.json<DlqCauses>();
  };
  const byClass = (view: DlqCauses, cls: string): DlqCause | undefined => view.causes.find((c) => c.errorClass === cls);

  it('groups records by cause with counts, times, topics, groups, samples and trends; counts each once', async () => {
    const topic = await newDlqTopic(t, 'triagetest', 2, true);
    const other = await newDlqTopic(t, 'triagetest', 1);
    const decode = (id: number, group = 'payment-service') =>
      dlqHeaders({ errorClass: 'DecodeError', message: `unknown schema id ${id}`, topic: 'payments', group });
    const started = Date.now();
    await t.producer.send({
      topic,
      messages: [
        { partition: 0, value: 'a', headers: decode(11) },
        { partition: 1, value: 'b', headers: decode(12) },
        { partition: 1, value: 'c', headers: decode(13, 'refund-service') },
        ...[1, 2].map((n) => ({
          partition: 0,
          value: 'd',
          headers: dlqHeaders({
            errorClass: 'TransientError',
            message: `injected failure of attempt ${n} (DEMO_FAIL_ATTEMPTS)`,
            topic: 'inventory',
            group: 'inventory-service',
          }),
        })),
        // A producer clock in the year 2500: seen at read time, not in the future.
        {
          partition: 0,
          value: 'e',
          timestamp: String(Date.UTC(2500, 0, 1)),
          headers: dlqHeaders({
            errorClass: 'TransientError',
            message: 'injected failure of attempt 9 (DEMO_FAIL_ATTEMPTS)',
          }),
        },
        { partition: 1, value: 'f', headers: dlqHeaders({ errorClass: 'constructor', message: "order 'o-1' failed" }) },
        { partition: 1, value: 'g', headers: dlqHeaders({ errorClass: '__proto__', message: 'toString 1' }) },
        {
          partition: 0,
          value: 'h',
          headers: dlqHeaders({
            message:
              'java.lang.IllegalStateException: Order 0191e0a2-7c1b-7d3e-9f00-1234567890ab not found\n\tat com.acme.Saga.step(Saga.java:88)',
          }),
        },
        // Odd bytes in the class header; and a record with no headers at all.
        { partition: 1, value: 'i', headers: { 'dlq-error-class': Buffer.from([0xff, 0xfe, 0x41]) } },
        { partition: 0, value: 'j' },
      ],
    });
    await t.producer.send({ topic: other, messages: [{ value: 'k', headers: decode(99, 'audit-service') }] });
    await t.app.kafkaMonitor.pollOnce();

    const view = await causesOf(`/api/dlqs/${topic}/causes`);
    expect(view.untracked).toBe(0);
    expect(view.causes.reduce((s, c) => s + c.count, 0)).toBe(11);
    const dec = byClass(view, 'DecodeError');
    expect(dec).toMatchObject({
      template: 'unknown schema id <num>',
      count: 3,
      dlqs: [topic],
      topics: ['payments'],
      groups: ['payment-service', 'refund-service'],
      bucketMs: 300_000,
    });
    // Most records first; between equal counts, the latest seen first (the year-2500 record counts as now).
    expect(view.causes.map((c) => c.errorClass).slice(0, 2)).toEqual(['TransientError', 'DecodeError']);
    expect(view.causes.map((c) => c.count)).toEqual(view.causes.map((c) => c.count).sort((a, b) => b - a));
    expect(dec?.sample.topic).toBe(topic);
    expect(dec?.sample.offset).toMatch(/^\d+$/);
    expect(dec?.sample.message).toMatch(/^unknown schema id 1[123]$/);
    const transient = byClass(view, 'TransientError');
    expect(transient).toMatchObject({ count: 3, template: 'injected failure of attempt <num> (DEMO_FAIL_ATTEMPTS)' });
    expect(transient?.lastSeenMs).toBeLessThanOrEqual(Date.now());
    expect(transient?.firstSeenMs).toBeGreaterThanOrEqual(started - 60_000);
    expect(transient?.groups).toEqual(['inventory-service', 'payment-service']);
    expect(byClass(view, 'constructor')).toMatchObject({ count: 1, template: "order '<str>' failed" });
    expect(byClass(view, '__proto__')).toMatchObject({ count: 1, template: 'toString <num>' });
    expect(byClass(view, 'java.lang.IllegalStateException')).toMatchObject({
      count: 1,
      template: 'Order <uuid> not found',
    });
    expect(byClass(view, '\uFFFD\uFFFDA')).toMatchObject({ count: 1, topics: [], groups: [] });
    expect(byClass(view, 'unknown')).toMatchObject({ count: 1, template: '', sample: { message: '' } });
    for (const c of view.causes) {
      expect(c.trend).toHaveLength(TREND_BUCKETS);
      expect(
        c.trend.reduce((s, n) => s + n, 0),
        c.errorClass,
      ).toBe(c.count);
    }

    // Polls without new records count nothing again; new records add to their cause.
    await t.app.kafkaMonitor.pollOnce();
    expect(byClass(await causesOf(`/api/dlqs/${topic}/causes`), 'DecodeError')?.count).toBe(3);
    await t.producer.send({ topic, messages: [{ partition: 1, value: 'l', headers: decode(14) }] });
    await t.app.kafkaMonitor.pollOnce();
    expect(byClass(await causesOf(`/api/dlqs/${topic}/causes`), 'DecodeError')?.count).toBe(4);

    // Across DLQs: one cause, merged by fingerprint.
    const all = await causesOf('/api/dlq-causes');
    const merged = all.causes.find((c) => c.fingerprint === dec?.fingerprint);
    expect(merged).toMatchObject({ count: 5, dlqs: [topic, other].sort() });
    expect(merged?.groups).toEqual(['audit-service', 'payment-service', 'refund-service']);

    const metrics = (await t.app.inject('/metrics')).body;
    expect(metrics).toContain(`eventscope_dlq_causes{cluster="default",topic="${topic}"} 7`);
    expect(metrics).toContain(
      `eventscope_dlq_cause_records_total{cluster="default",topic="${topic}",fingerprint="${dec?.fingerprint}",error_class="DecodeError"} 4`,
    );
    const firstSeen = new RegExp(
      `eventscope_dlq_cause_first_seen_timestamp_seconds\\{cluster="default",topic="${topic.replaceAll('.', '\\.')}",fingerprint="${dec?.fingerprint}",error_class="DecodeError"\\} ([0-9.e+]+)`,
    ).exec(metrics);
    expect(Number(firstSeen?.[1]) * 1000).toBeCloseTo(dec?.firstSeenMs ?? 0, -1);
    expect(metrics).toContain(`error_class="__proto__"`);
  });

  it('answers 404 for a DLQ not in the snapshot and 400 for a bad topic name', async () => {
    await t.app.kafkaMonitor.pollOnce();
    const missing = await t.app.inject('/api/dlqs/triagetest-nope.dlq/causes');
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toMatchObject({ error: 'NOT_FOUND' });
    const bad = await t.app.inject('/api/dlqs/bad%20name!/causes');
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ error: 'BAD_REQUEST' });
  });
});
