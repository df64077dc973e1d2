/**
 * Hostile DLQ records on the real broker: headers named like object members, numeric headers
 * that are not integers, and a record larger than the bytes asked per partition, which used to
 * hide every record after it. Each test fails on the code before the fix.
 */
import { describe, expect, it } from 'vitest';
import type { DlqDetail, DlqList } from '../src/dlq/schemas.ts';
import { createTopicsLed, uniqueName, useBrokerApp } from './kafka-helpers.ts';

const t = useBrokerApp({ groupsInclude: 'dlqhostile-none-*', statusWindow: 5 });

async function dlqTopic(config: { name: string; value: string }[] = []): Promise<string> {
  const topic = `${uniqueName('dlqhostile')}.dlq`;
  await createTopicsLed(t.admin, {
    topics: [{ topic, numPartitions: 1, configEntries: config }],
  });
  t.topics.push(topic);
  return topic;
}

describe('DLQ records with hostile headers (real broker)', () => {
  it('an error class named constructor, attempts 1.5 and a __proto__ header keep every DLQ page up', async () => {
    const topic = await dlqTopic();
    await t.producer.send({
      topic,
      messages: [
        {
          value: '{"x":1}',
          headers: {
            'dlq-error-class': 'constructor',
            'dlq-attempts': '1.5',
            'dlq-original-partition': '-1',
            'dlq-original-offset': '1e3',
            ['__proto__']: 'polluted', // computed: an own key, not the literal's prototype
            toString: 'x',
          },
        },
        { value: 'plain', headers: { 'dlq-error-class': '__proto__', 'dlq-attempts': '2' } },
        { value: 'plain', headers: { 'dlq-error-class': 'hasOwnProperty' } },
      ],
    });
    await t.app.kafkaMonitor.pollOnce();

    const overview = await t.app.inject('/api/overview');
    expect(overview.statusCode, overview.body).toBe(200);
    const list = await t.app.inject('/api/dlqs');
    expect(list.statusCode, list.body).toBe(200);
    const entry = list.json<DlqList>().dlqs.find((d) => d.topic === topic);
    expect(entry?.errorClasses).toEqual(
      JSON.parse('{"constructor":1,"__proto__":1,"hasOwnProperty":1}') as Record<string, number>,
    );

    const detail = await t.app.inject(`/api/dlqs/${topic}`);
    expect(detail.statusCode, detail.body).toBe(200);
    const latest = detail.json<DlqDetail>().dlq.latest;
    const first = latest.find((r) => r.errorClass === 'constructor');
    expect(first).toMatchObject({ attempts: null, originalPartition: null, originalOffset: null });
    expect(first?.headerErrors).toEqual([
      "dlq-original-partition '-1' is not a non-negative integer",
      "dlq-original-offset '1e3' is not a non-negative integer",
      "dlq-attempts '1.5' is not a non-negative integer",
    ]);
    // The raw values stay visible; a header named __proto__ is a header, not a prototype.
    expect(Object.keys(first?.headers ?? {}).sort()).toEqual(
      [
        '__proto__',
        'dlq-attempts',
        'dlq-error-class',
        'dlq-original-offset',
        'dlq-original-partition',
        'toString',
      ].sort(),
    );
    expect(first?.headers['dlq-attempts']).toBe('1.5');
    expect(latest.find((r) => r.errorClass === '__proto__')?.attempts).toBe(2);
  });
});

describe('DLQ tail with a record larger than a fetch (real broker)', () => {
  it('shows a 600 KB record (truncated, with its size) and the records after it', async () => {
    const topic = await dlqTopic([{ name: 'max.message.bytes', value: String(2 * 1024 * 1024) }]);
    const big = 'x'.repeat(600 * 1024);
    // One send per record: each its own batch, as separate failures would arrive.
    for (const [i, value] of ['small-0', big, 'small-2', 'small-3'].entries()) {
      await t.producer.send({ topic, messages: [{ value, headers: { 'dlq-error-class': `E${i}` } }] });
    }
    await t.app.kafkaMonitor.pollOnce();
    const res = await t.app.inject(`/api/dlqs/${topic}`);
    expect(res.statusCode, res.body).toBe(200);
    const latest = res.json<DlqDetail>().dlq.latest;
    expect(latest.map((r) => r.offset).sort()).toEqual([0, 1, 2, 3]);
    const large = latest.find((r) => r.offset === 1);
    expect(large?.value).toMatchObject({ encoding: 'utf8', sizeBytes: 600 * 1024, truncated: true });
    expect((large?.value.data as string).length).toBe(64 * 1024);
    expect(latest.find((r) => r.offset === 3)?.value).toMatchObject({
      data: 'small-3',
      sizeBytes: 7,
      truncated: false,
    });
    const metrics = await t.app.inject('/metrics');
    expect(metrics.body).not.toMatch(
      new RegExp(`eventscope_dlq_tail_reads_incomplete_total\\{cluster="default",topic="${topic}"\\} [1-9]`),
    );
  });
});
