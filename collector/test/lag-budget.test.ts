/**
 * The time lag budget (lagBudgetSeconds): a group that keeps pace (its lag shrinks between
 * polls, so the window rules say OK) but whose oldest unconsumed record is older than the
 * budget is WARN, on the partition, the topic and the group, and the budget is exported for
 * the lag alert. Regression for "a lagging group looks healthy" (issue #23, item 2).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { withinBudget } from '../src/lag/status.ts';
import { commitOffsets, produce, snapshotGroup, uniqueName, useKafka, type TestApp } from './kafka-helpers.ts';

const PREFIX = uniqueName('lagbudget');
const k = useKafka(PREFIX);
let topic: string;
let group: string;

beforeAll(async () => {
  topic = await k.newTopic(1);
  group = k.newGroup();
  // 40 records a minute old: whoever has not consumed them is a minute behind.
  const minuteAgo = Date.now() - 60_000;
  await produce(
    k.producer,
    topic,
    0,
    Array.from({ length: 40 }, (_, i) => minuteAgo + i),
  );
});

/** Two polls with the committed offset moving forward between them: lag shrinks, the trend is good. */
async function catchingUp(t: TestApp) {
  await commitOffsets(group, topic, [{ partition: 0, offset: '5' }]);
  await t.app.kafkaMonitor.pollOnce();
  await commitOffsets(group, topic, [{ partition: 0, offset: '10' }]);
  await t.app.kafkaMonitor.pollOnce();
  return snapshotGroup(t, group);
}

describe('lag budget', () => {
  it('withinBudget raises only OK, and only over the budget', () => {
    expect(withinBudget('OK', 11, 10)).toBe('WARN');
    expect(withinBudget('OK', 10, 10)).toBe('OK');
    expect(withinBudget('OK', null, 10)).toBe('OK');
    expect(withinBudget('OK', 1e9, undefined)).toBe('OK');
    expect(withinBudget('STALL', 1e9, 10)).toBe('STALL');
    expect(withinBudget('REWIND', 0, 10)).toBe('REWIND');
  });

  it('a group a minute behind is WARN under a 10 s budget although its lag shrinks', async () => {
    const t = await k.app({ groupsInclude: `${PREFIX}-*`, lagTolerance: 0, lagBudgetSeconds: 10 });
    const g = await catchingUp(t);
    expect(g.lag).toBe(30);
    expect(g.lagSeconds).toBeGreaterThan(55);
    expect(g.partitions[0]?.status).toBe('WARN');
    expect(g.topics[0]?.status).toBe('WARN');
    expect(g.status).toBe('WARN');
    const metrics = (await t.app.inject('/metrics')).body;
    expect(metrics).toMatch(/^eventscope_consumergroup_lag_budget_seconds 10$/m);
    expect(metrics).toContain(
      `eventscope_consumergroup_status{cluster="default",group="${group}",group_type="classic"} 1`,
    );
    const detail = (await t.app.inject(`/api/groups/${encodeURIComponent(group)}`)).json<{
      group: { status: string; lagBudgetSeconds: number | null };
    }>();
    expect(detail.group).toMatchObject({ status: 'WARN', lagBudgetSeconds: 10 });
    await t.app.close();
  });

  it('the same group is OK when the budget is larger than its time lag', async () => {
    const t = await k.app({ groupsInclude: `${PREFIX}-*`, lagTolerance: 0, lagBudgetSeconds: 600 });
    const g = await catchingUp(t);
    expect(g.lagSeconds).toBeGreaterThan(55);
    expect(g.status).toBe('OK');
    expect((await t.app.inject('/metrics')).body).toMatch(/^eventscope_consumergroup_lag_budget_seconds 600$/m);
    await t.app.close();
  });
});
