/**
 * DLQ redrive against the real broker: dry run, redrive by offsets, filter and all to the
 * original topic and to `<group>.retry`, the records' headers, the rate limit (measured), progress
 * over SSE, cancel, roles, the audit log, the outcome from the flows store, hostile input.
 */
import { DLQ_REDRIVE_HEADER, retryTopicOf } from '@eventscope/contract';
import { describe, expect, it } from 'vitest';
import type { AuditLog } from '../src/auth/schemas.ts';
import type { DlqDetail } from '../src/dlq/schemas.ts';
import type { Redrive, RedriveDryRunResponse as RedriveDryRun, RedriveRequest } from '../src/api-types.ts';
import type { KafkaRecord } from '../src/kafka/index.ts';
import { join } from 'node:path';
import { RedriveEngine } from '../src/dlq/redrive/engine.ts';
import { toDlqRecord } from '../src/dlq/service.ts';
import { KafkaWriter } from '../src/kafka/producer.ts';
import { SqliteRedriveStore } from '../src/store/sqlite-redrive.ts';
import { tempDir } from './harness.ts';
import { createTopicsLed, removeDir, uniqueName, useBrokerApp, waitFor } from './kafka-helpers.ts';
import { readAllRecords, headerText } from './redrive-helpers.ts';
import { kafkaSpan, postSpans, serviceSpans } from './traces-helpers.ts';

const OPERATOR = 'operator-token-0123456789';
const VIEWER = 'viewer-token-0123456789ab';
const t = useBrokerApp({
  groupsInclude: 'redrivetest-none-*',
  dlqPattern: 'redrivetest-*.dlq',
  tokens: [`ops:operator:${OPERATOR}`, `alice:viewer:${VIEWER}`],
  maskFields: ['$.i'],
});
const as = (token: string) => ({ authorization: `Bearer ${token}` });

async function newTopic(name: string, partitions: number): Promise<string> {
  await createTopicsLed(t.admin, { topics: [{ topic: name, numPartitions: partitions }] });
  t.topics.push(name);
  return name;
}

/** A DLQ of `group` for records that failed on `original`, both new; returns their names. */
async function newDlq(
  partitions = 1,
  originalPartitions = 3,
): Promise<{ dlq: string; original: string; group: string }> {
  const base = uniqueName('redrivetest');
  const group = `${base}-svc`;
  const dlq = await newTopic(`${group}.dlq`, partitions);
  const original = await newTopic(`${base}-orders`, originalPartitions);
  t.topics.push(retryTopicOf(group));
  return { dlq, original, group };
}

function dlqHeaders(i: number, original: string, group: string, errorClass = 'DecodeError'): Record<string, string> {
  return {
    'event-id': `evt-${i}-${original}`,
    'event-type': 'order.placed',
    'dlq-original-topic': original,
    'dlq-original-partition': '0',
    'dlq-original-offset': String(i),
    'dlq-consumer-group': group,
    'dlq-error-class': errorClass,
    'dlq-error-message': `failed ${i}`,
    'dlq-attempts': '3',
  };
}

async function seed(dlq: string, original: string, group: string, n: number, errorClass?: string): Promise<void> {
  await t.producer.send({
    topic: dlq,
    messages: Array.from({ length: n }, (_, i) => ({
      partition: 0,
      key: `k-${i}`,
      value: JSON.stringify({ i }),
      headers: dlqHeaders(i, original, group, errorClass),
    })),
  });
}

const post = (dlq: string, body: RedriveRequest | Record<string, unknown>, token = OPERATOR) =>
  t.app.inject({ method: 'POST', url: `/api/dlqs/${dlq}/redrives`, headers: as(token), payload: body });

async function start(dlq: string, body: RedriveRequest): Promise<Redrive> {
  const res = await post(dlq, body);
  expect(res.statusCode, res.body).toBe(202);
  return res.json<{ redrive: Redrive }>().redrive;
}

const getRedrive = async (id: string): Promise<Redrive> =>
  (await t.app.inject({ url: `/api/redrives/${id}`, headers: as(VIEWER) })).json<{ redrive: Redrive }>().redrive;

const ended = (id: string): Promise<Redrive> =>
  waitFor(`redrive ${id} to end`, async () => {
    const r = await getRedrive(id);
    return r.status === 'running' ? undefined : r;
  });

const readAll = (topic: string): Promise<KafkaRecord[]> => readAllRecords(topic, t.app.kafka);
const h = headerText;

describe('DLQ redrive (real broker)', () => {
  it('dry run: counts and samples the filtered records, nothing produced', async () => {
    const { dlq, original, group } = await newDlq();
    await seed(dlq, original, group, 12);
    await seed(dlq, original, group, 2, 'TransientError');
    const res = await post(dlq, {
      select: { kind: 'filter', errorClass: 'DecodeError', originalTopic: original, group },
      target: { kind: 'original' },
      ratePerSecond: 100,
      dryRun: true,
    });
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json<RedriveDryRun>();
    expect(body.count).toBe(12);
    expect(body.sample).toHaveLength(10);
    expect(body.sample[0]).toMatchObject({ errorClass: 'DecodeError', originalTopic: original, redrives: [] });
    // Masked like every record view (maskFields $.i).
    expect(body.sample[0]?.value.data).toEqual({ i: '***' });
    expect(await readAll(original)).toHaveLength(0);
  });

  it('redrives by offsets to the original topic: key, value and headers kept, dlq-redrive-* added, marked in the DLQ', async () => {
    const { dlq, original, group } = await newDlq();
    await seed(dlq, original, group, 5);
    const r = await start(dlq, {
      select: {
        kind: 'offsets',
        records: [
          { partition: 0, offset: '1' },
          { partition: 0, offset: '3' },
        ],
      },
      target: { kind: 'original' },
      ratePerSecond: 100,
    });
    expect(r).toMatchObject({ status: 'running', selected: 2, createdBy: 'ops', dlqTopic: dlq });
    const done = await ended(r.id);
    expect(done).toMatchObject({ status: 'completed', sent: 2, failed: 0 });
    const got = await readAll(original);
    expect(got.map((x) => x.key?.toString()).sort()).toEqual(['k-1', 'k-3']);
    const one = got.find((x) => x.key?.toString() === 'k-1');
    expect(one?.value?.toString()).toBe(JSON.stringify({ i: 1 }));
    expect(h(one!, 'event-id')).toBe(`evt-1-${original}`);
    expect(h(one!, 'dlq-error-class')).toBe('DecodeError');
    expect(h(one!, DLQ_REDRIVE_HEADER.redriveId)).toBe(r.id);
    expect(h(one!, DLQ_REDRIVE_HEADER.redriveBy)).toBe('ops');
    expect(h(one!, DLQ_REDRIVE_HEADER.redriveCount)).toBe('1');
    expect(h(one!, DLQ_REDRIVE_HEADER.source)).toBe(`${dlq}/0/1`);
    expect(Math.abs(Number(h(one!, DLQ_REDRIVE_HEADER.redriveAt)) - Date.now())).toBeLessThan(120_000);

    await t.app.kafkaMonitor.pollOnce();
    const detail = (await t.app.inject({ url: `/api/dlqs/${dlq}`, headers: as(VIEWER) })).json<DlqDetail>();
    const marked = detail.dlq.latest.filter((x) => x.redrives.length > 0).map((x) => x.offset);
    expect(marked.sort()).toEqual([1, 3]);
    expect(detail.dlq.latest.find((x) => x.offset === 1)?.redrives[0]?.id).toBe(r.id);
  });

  it("redrives by filter to the group's retry topic, created with the original's partitions; the count goes up", async () => {
    const { dlq, original, group } = await newDlq(1, 3);
    await seed(dlq, original, group, 3, 'TransientError');
    // Redriven once before: its count header says so.
    await t.producer.send({
      topic: dlq,
      messages: [
        {
          key: 'again',
          value: 'x',
          headers: { ...dlqHeaders(9, original, group, 'TransientError'), [DLQ_REDRIVE_HEADER.redriveCount]: '2' },
        },
      ],
    });
    await seed(dlq, original, group, 2, 'DecodeError');
    const r = await start(dlq, {
      select: { kind: 'filter', errorClass: 'TransientError' },
      target: { kind: 'group-retry' },
      ratePerSecond: 1000,
    });
    expect((await ended(r.id)).sent).toBe(4);
    const meta = await t.admin.fetchTopicMetadata({ topics: [retryTopicOf(group)] });
    expect(meta.topics[0]?.partitions).toHaveLength(3);
    const got = await readAll(retryTopicOf(group));
    expect(got).toHaveLength(4);
    expect(got.every((x) => h(x, 'dlq-error-class') === 'TransientError')).toBe(true);
    expect(
      h(
        got.find((x) => x.key?.toString() === 'again')!,
        DLQ_REDRIVE_HEADER.redriveCount,
      ),
    ).toBe('3');
    expect(await readAll(original)).toHaveLength(0);
  });

  it('holds the rate limit (measured on the target), streams progress over SSE, audits start and end', async () => {
    const { dlq, original, group } = await newDlq();
    const n = 150;
    const rate = 50;
    await seed(dlq, original, group, n);
    const startedMs = Date.now();
    const r = await start(dlq, { select: { kind: 'all' }, target: { kind: 'original' }, ratePerSecond: rate });
    // The stream ends with the redrive: inject resolves then.
    const sse = await t.app.inject({ url: `/api/redrives/${r.id}/events`, headers: as(VIEWER) });
    expect(sse.headers['content-type']).toContain('text/event-stream');
    const events = sse.body
      .split('\n\n')
      .filter((e) => e.startsWith('event: progress'))
      .map((e) => JSON.parse(e.split('\ndata: ')[1] ?? 'null') as Redrive);
    expect(events.length).toBeGreaterThan(1);
    expect(events.at(-1)).toMatchObject({ status: 'completed', sent: n });
    const got = await readAll(original);
    expect(got).toHaveLength(n);
    const counted = await t.app.metrics.getSingleMetric('eventscope_dlq_redrive_records_total')?.get();
    expect(counted?.values.find((v) => v.labels.topic === dlq && v.labels.result === 'sent')?.value).toBe(n);
    const last = Math.max(...got.map((x) => Number(h(x, DLQ_REDRIVE_HEADER.redriveAt))));
    // Over the whole redrive, from before it started: its token bucket starts empty, so n records
    // take at least n / rate seconds, whatever the machine does. Measured from the first record
    // instead, a first batch that came late (a stall the bucket then caught up, by design up to a
    // quarter second) read as 52.6/s on a loaded CI machine. The 1% is Date.now()'s milliseconds.
    // Slower only when the machine cannot keep up (each batch of 5 is a synced ledger write and a
    // produce; under a load of 25 on 2 cores that took longer than its 100 ms share: 37/s
    // measured): the limit +-5% on a machine that keeps up is figure 8 (bench/src/redrive.ts).
    const achieved = n / ((last - startedMs) / 1000);
    expect(achieved).toBeLessThan(rate * 1.01);
    expect(achieved).toBeGreaterThan(rate * 0.5);

    const audit = await waitFor('the end row', async () => {
      const log = (await t.app.inject({ url: '/api/audit-log', headers: as(OPERATOR) })).json<AuditLog>();
      const rows = log.entries.filter((e) => e.detail?.includes(r.id));
      return rows.some((e) => e.action === 'dlq.redrive.end') ? rows : undefined;
    });
    expect(audit.find((e) => e.action === 'dlq.redrive')).toMatchObject({
      subject: 'ops',
      target: dlq,
      result: 'started',
    });
    expect(audit.find((e) => e.action === 'dlq.redrive.end')).toMatchObject({ result: 'completed' });
  });

  it('cancels: what was sent stays sent, nothing after', async () => {
    const { dlq, original, group } = await newDlq();
    await seed(dlq, original, group, 40);
    const r = await start(dlq, { select: { kind: 'all' }, target: { kind: 'original' }, ratePerSecond: 10 });
    await waitFor('a few records sent', async () => ((await getRedrive(r.id)).sent >= 3 ? true : undefined));
    const res = await t.app.inject({ method: 'POST', url: `/api/redrives/${r.id}/cancel`, headers: as(OPERATOR) });
    expect(res.statusCode, res.body).toBe(200);
    const cancelled = res.json<{ redrive: Redrive }>().redrive;
    expect(cancelled.status).toBe('cancelled');
    expect(cancelled.sent).toBeLessThan(40);
    expect(await readAll(original)).toHaveLength(cancelled.sent);
    const list = (await t.app.inject({ url: '/api/redrives', headers: as(VIEWER) })).json<{ redrives: Redrive[] }>();
    expect(list.redrives[0]?.id).toBe(r.id);
  });

  it('counts what became of each redriven event: processed, dead-lettered again, pending', async () => {
    const { dlq, original, group } = await newDlq();
    await seed(dlq, original, group, 4);
    const r = await ended(
      (await start(dlq, { select: { kind: 'all' }, target: { kind: 'original' }, ratePerSecond: 100 })).id,
    );
    const now = Date.now();
    const span = (i: number, outcome: string) =>
      kafkaSpan({
        kind: 'consumer',
        topic: original,
        eventId: `evt-${i}-${original}`,
        startMs: now + i,
        group,
        outcome,
      });
    await postSpans(
      t.app,
      [serviceSpans(group, [span(0, 'processed'), span(1, 'processed'), span(2, 'dead_lettered')])],
      as(OPERATOR),
    );
    // A delivery by another group does not decide the failed group's fate.
    await postSpans(
      t.app,
      [
        serviceSpans('other', [
          kafkaSpan({
            kind: 'consumer',
            topic: original,
            eventId: `evt-3-${original}`,
            startMs: now,
            group: 'other',
            outcome: 'processed',
          }),
        ]),
      ],
      as(OPERATOR),
    );
    expect((await getRedrive(r.id)).outcome).toEqual({ processed: 2, deadLetteredAgain: 1, pending: 1 });
  });

  it('tries again when Kafka fails under a running redrive, and sends each record once', async () => {
    const { dlq, original, group } = await newDlq();
    await seed(dlq, original, group, 6);
    // The app's engine with a reader whose fetches fail for a while once the redrive has started.
    let failing = false;
    const reader = t.app.kafka;
    const flaky = {
      listTopics: () => reader.listTopics(),
      topicOffsets: (topics: readonly string[]) => reader.topicOffsets(topics),
      readRecords: (...args: Parameters<typeof reader.readRecords>) =>
        failing ? Promise.reject(new Error('broker away')) : reader.readRecords(...args),
    };
    const dir = tempDir('redrive-flaky');
    const store = new SqliteRedriveStore(join(dir, 'redrive.sqlite'));
    const writer = new KafkaWriter(t.app.kafkaClientOptions('redrive-flaky-test'));
    const engine = new RedriveEngine({
      cluster: t.app.config.kafkaClusterName,
      reader: flaky,
      writer,
      store,
      flows: t.app.store,
      isDlq: () => true,
      toDlqRecord: (r) => toDlqRecord(r, undefined),
      log: { warn: () => undefined, error: () => undefined },
    });
    try {
      const started = await engine.start(
        dlq,
        { select: { kind: 'all' }, target: { kind: 'original' }, ratePerSecond: 100 },
        'test',
      );
      failing = true;
      setTimeout(() => (failing = false), 1500);
      const done = await waitFor('the redrive to end', async () => {
        const r = await engine.get(started.id);
        return r?.status === 'running' ? undefined : r;
      });
      expect(done).toMatchObject({ status: 'completed', sent: 6, failed: 0 });
      const ids = (await readAll(original)).map((r) => h(r, 'event-id'));
      expect(new Set(ids).size).toBe(6);
      expect(ids).toHaveLength(6);
    } finally {
      await engine.close();
      await writer.close();
      await store.close();
      removeDir(dir);
    }
  });

  it('is for operators: a viewer gets 403, nobody 401, and the refusal is audited', async () => {
    const { dlq } = await newDlq();
    const body = { select: { kind: 'all' }, target: { kind: 'original' }, ratePerSecond: 10 };
    expect((await post(dlq, body, VIEWER)).statusCode).toBe(403);
    const anon = await t.app.inject({ method: 'POST', url: `/api/dlqs/${dlq}/redrives`, payload: body });
    expect(anon.statusCode).toBe(401);
    const cancel = await t.app.inject({ method: 'POST', url: '/api/redrives/nope/cancel', headers: as(VIEWER) });
    expect(cancel.statusCode).toBe(403);
    const log = (await t.app.inject({ url: '/api/audit-log', headers: as(OPERATOR) })).json<AuditLog>();
    const refused = log.entries.filter(
      (e) => e.action === 'POST /api/dlqs/:topic/redrives' && e.target === `topic=${dlq}`,
    );
    expect(refused.map((e) => [e.subject, e.result]).sort()).toEqual([
      ['alice', 'refused: forbidden'],
      ['anonymous', 'refused: unauthorized'],
    ]);
  });

  it('refuses hostile input with 4xx: unknown topics, huge offsets, bad filters; headerless records fail, counted', async () => {
    const { dlq, original, group } = await newDlq();
    await seed(dlq, original, group, 2, '__proto__');
    await t.producer.send({ topic: dlq, messages: [{ key: null, value: 'no headers' }] });
    const all = { select: { kind: 'all' }, target: { kind: 'original' }, ratePerSecond: 10 } as const;
    expect((await post(`redrivetest-missing-${Date.now()}.dlq`, all)).statusCode).toBe(404);
    expect((await post(original, all)).json()).toMatchObject({ error: 'NOT_FOUND' });
    for (const offset of ['9999999999999999999', '3', '-1', '1e3']) {
      const res = await post(dlq, { ...all, select: { kind: 'offsets', records: [{ partition: 0, offset }] } });
      expect(res.statusCode, offset).toBe(400);
    }
    expect(
      (await post(dlq, { ...all, select: { kind: 'offsets', records: [{ partition: 7, offset: '0' }] } })).statusCode,
    ).toBe(400);
    expect((await post(dlq, { ...all, ratePerSecond: 0 })).statusCode).toBe(400);
    expect((await post(dlq, { ...all, select: { kind: 'filter', constructor: 'x' } })).statusCode).toBe(400);
    const proto = await post(dlq, {
      ...all,
      dryRun: true,
      select: { kind: 'filter', errorClass: '__proto__', header: { name: 'constructor', value: '' } },
    });
    expect(proto.json<RedriveDryRun>().count).toBe(0);
    const byClass = await post(dlq, { ...all, dryRun: true, select: { kind: 'filter', errorClass: '__proto__' } });
    expect(byClass.json<RedriveDryRun>().count).toBe(2);
    const r = await ended((await start(dlq, { ...all, ratePerSecond: 100 })).id);
    expect(r).toMatchObject({ status: 'completed', selected: 3, sent: 2, failed: 1 });
    const unknown = await t.app.inject({ url: '/api/redrives/does-not-exist', headers: as(VIEWER) });
    expect(unknown.statusCode).toBe(404);
  });
});
