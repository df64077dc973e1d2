/** lib/kafka.ts against the real broker: services that start together race to create the same topics. */
import { afterAll, describe, expect, it } from 'vitest';
import { createKafka, ensureTopics } from '../src/lib/kafka.ts';
import { BROKERS, uniquePrefix } from './helpers.ts';

const prefix = uniquePrefix('topics');
const topics = Array.from({ length: 8 }, (_, i) => `${prefix}race-${i}`);
const kafka = createKafka(BROKERS.split(','), `${prefix}test`);

afterAll(async () => {
  const admin = kafka.admin();
  await admin.connect();
  await admin.deleteTopics({ topics }).catch(() => undefined);
  await admin.disconnect();
}, 60_000);

describe('ensureTopics', () => {
  it('succeeds for every one of five services creating the same topics at once', async () => {
    // Each "service" asks for an overlapping, differently ordered subset, as the demo's do.
    const results = await Promise.allSettled(
      Array.from({ length: 5 }, (_, n) => {
        const mine = [...topics.slice(n), ...topics.slice(0, n)].slice(0, 6 + (n % 3));
        return ensureTopics(createKafka(BROKERS.split(','), `${prefix}svc-${n}`), mine, 2);
      }),
    );
    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
    const admin = kafka.admin();
    await admin.connect();
    try {
      const { topics: meta } = await admin.fetchTopicMetadata({ topics });
      expect(meta.map((t) => t.name).sort()).toEqual([...topics].sort());
      for (const t of meta) expect(t.partitions, t.name).toHaveLength(2);
    } finally {
      await admin.disconnect();
    }
  }, 90_000);
});
