/**
 * Data-loss risk from retention on the real broker: a topic with a one-minute retention and
 * small segments, whose first segment (records an hour old) the broker's retention check deletes. A group committed
 * below the new log start has lost records (risk `lost`, the count, the metric); a group at
 * the log start with lag is `at-risk`; a caught-up group is not at risk.
 */
import { beforeAll, expect, it } from 'vitest';
import type { GroupList } from '../src/lag/schemas.ts';
import { commitOffsets, produce, uniqueName, useKafka, waitFor, type TestApp } from './kafka-helpers.ts';

const PREFIX = uniqueName('retention');
const k = useKafka(PREFIX);
let t: TestApp;
let topic: string;
const lost = `${PREFIX}-lost`;
const atRisk = `${PREFIX}-atrisk`;
const caughtUp = `${PREFIX}-ok`;

beforeAll(async () => {
  k.groups.push(lost, atRisk, caughtUp);
  topic = await k.newTopic(1, [
    { name: 'retention.ms', value: '60000' },
    { name: 'segment.ms', value: '100' },
  ]);
  t = await k.app({ groupsInclude: `${PREFIX}-*`, lagTolerance: 0 });
});

it('a group committed below the log start lost records; one at the log start with lag is at risk', async () => {
  // Five records an hour old (retention by time reads record timestamps), committed up to 2.
  const hourAgo = Date.now() - 3_600_000;
  await produce(
    k.producer,
    topic,
    0,
    [0, 1, 2, 3, 4].map((i) => hourAgo + i),
  );
  await commitOffsets(lost, topic, [{ partition: 0, offset: '2' }]);
  // Ten current records roll the old segment (older than segment.ms); they stay in the active one.
  await new Promise((r) => setTimeout(r, 300));
  await produce(
    k.producer,
    topic,
    0,
    Array.from({ length: 10 }, () => Date.now()),
  );
  const low: number = await waitFor(
    'retention to delete the old segment (the broker checks every 10 s)',
    async () => {
      const [p] = await k.admin.fetchTopicOffsets(topic);
      return Number(p?.low) === 5 ? 5 : undefined;
    },
    45_000,
  );
  await commitOffsets(atRisk, topic, [{ partition: 0, offset: String(low) }]);
  await commitOffsets(caughtUp, topic, [{ partition: 0, offset: '15' }]);
  const result = await t.app.kafkaMonitor.pollOnce();
  expect(result.ok, JSON.stringify(result.errors)).toBe(true);
  const groups = t.app.kafkaMonitor.snapshot?.groups;

  const l = groups?.get(lost);
  expect(l?.retentionRisk).toBe('lost');
  expect(l?.recordsLostToRetention).toBe(low - 2);
  expect(l?.topics[0]).toMatchObject({ retentionRisk: 'lost', retentionMarginMessages: 2 - low });

  const r = groups?.get(atRisk);
  expect(r?.retentionRisk).toBe('at-risk');
  expect(r?.recordsLostToRetention).toBe(0);
  expect(r?.topics[0]?.retentionMarginMessages).toBe(0);

  const ok = groups?.get(caughtUp);
  expect(ok?.lag).toBe(0);
  expect(ok?.retentionRisk).toBe('none');
  expect(ok?.topics[0]?.retentionMarginMessages).toBeNull();

  const list = (await t.app.inject('/api/groups')).json<GroupList>();
  expect(list.groups.find((g) => g.group === lost)).toMatchObject({
    retentionRisk: 'lost',
    recordsLostToRetention: low - 2,
  });
  const metrics = (await t.app.inject('/metrics')).body;
  expect(metrics).toContain(
    `eventscope_consumergroup_records_lost_to_retention{cluster="default",group="${lost}",group_type="classic",topic="${topic}"} ${low - 2}`,
  );
  expect(metrics).toContain(
    `eventscope_consumergroup_retention_risk{cluster="default",group="${lost}",group_type="classic"} 2`,
  );
  expect(metrics).toContain(
    `eventscope_consumergroup_retention_risk{cluster="default",group="${atRisk}",group_type="classic"} 1`,
  );
  expect(metrics).toContain(
    `eventscope_consumergroup_retention_risk{cluster="default",group="${caughtUp}",group_type="classic"} 0`,
  );
});
