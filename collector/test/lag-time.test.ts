/**
 * Time lag from the (end offset, time) table when records are not read directly: a lower
 * bound (flagged) when the table does not reach back, interpolation when it does, and the
 * table surviving an app rebuild on the same data dir (restart).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../src/config.ts';
import type { Point } from '../src/lag/offset-times.ts';
import { commitOffsets, produce, uniqueName, useKafka, type TestApp } from './kafka-helpers.ts';

const PREFIX = uniqueName('lagtime');
const k = useKafka(PREFIX);
let topic: string;
let group: string;
const overrides: Partial<Config> = { groupsInclude: `${PREFIX}-*`, lagTolerance: 0 };

async function app(dataDir?: string): Promise<TestApp> {
  return k.app(overrides, dataDir);
}

function partition0(t: TestApp) {
  const p = t.app.kafkaMonitor.snapshot?.groups.get(group)?.partitions[0];
  if (!p) throw new Error('partition 0 of the group is not in the snapshot');
  return p;
}

beforeAll(async () => {
  topic = await k.newTopic(1);
  group = k.newGroup();
});

describe('time lag from the offset/time table', () => {
  let points: readonly Point[] = [];
  let dataDir = '';

  it('is a flagged lower bound when the record is older than the table reaches, interpolated inside it', async () => {
    const t = await app();
    dataDir = t.dataDir;
    const hourAgo = Date.now() - 3_600_000;
    await produce(k.producer, topic, 0, [hourAgo, hourAgo + 1, hourAgo + 2, hourAgo + 3, hourAgo + 4]);
    await commitOffsets(group, topic, [{ partition: 0, offset: 0 }]);

    await t.app.kafkaMonitor.pollOnce({ recordReads: false });
    let p = partition0(t);
    const [first] = t.app.kafkaMonitor.table.points(topic, 0);
    expect(first?.[0]).toBe(5);
    expect(p.lagSecondsSource).toBe('lower-bound');
    expect(p.lagSecondsIsLowerBound).toBe(true);
    // At least as old as the first sample: never an extrapolation towards the real hour.
    expect(p.lagSeconds).toBeCloseTo(((t.app.kafkaMonitor.snapshot?.time ?? 0) - (first?.[1] ?? 0)) / 1000, 3);
    expect(p.lagSeconds).toBeLessThan(60);
    const g = t.app.kafkaMonitor.snapshot?.groups.get(group);
    expect(g?.lagSecondsIsLowerBound).toBe(true);
    expect((await t.app.inject('/metrics')).body).toContain(
      `eventscope_consumergroup_lag_seconds_lower_bound{cluster="default",group="${group}",group_type="classic",topic="${topic}"} 1`,
    );

    // Ten more records, seen by the next poll; then the group moves to offset 10.
    await produce(
      k.producer,
      topic,
      0,
      Array.from({ length: 10 }, () => Date.now()),
    );
    await t.app.kafkaMonitor.pollOnce({ recordReads: false });
    await commitOffsets(group, topic, [{ partition: 0, offset: 10 }]);
    await t.app.kafkaMonitor.pollOnce({ recordReads: false });
    points = [...t.app.kafkaMonitor.table.points(topic, 0)].map((x) => [...x] as Point);
    const [a, b] = points;
    expect(a?.[0]).toBe(5);
    expect(b?.[0]).toBe(15);
    p = partition0(t);
    expect(p.lagSecondsSource).toBe('interpolated');
    expect(p.lagSecondsIsLowerBound).toBe(false);
    const produced = (a?.[1] ?? 0) + ((10 - 5) / (15 - 5)) * ((b?.[1] ?? 0) - (a?.[1] ?? 0));
    expect(p.lagSeconds).toBeCloseTo(((t.app.kafkaMonitor.snapshot?.time ?? 0) - produced) / 1000, 3);

    // Read directly, the same partition's time lag is the record's own timestamp (an hour ago).
    await t.app.kafkaMonitor.pollOnce();
    await commitOffsets(group, topic, [{ partition: 0, offset: 2 }]);
    await t.app.kafkaMonitor.pollOnce();
    p = partition0(t);
    expect(p.lagSecondsSource).toBe('record');
    expect(p.lagSeconds).toBeGreaterThan(3590);
    expect(p.lagSeconds).toBeLessThan(3700);
    await commitOffsets(group, topic, [{ partition: 0, offset: 10 }]);
    await t.app.close();
  });

  it('restart: the persisted table survives an app rebuild on the same data dir', async () => {
    expect(points.length).toBeGreaterThanOrEqual(2);
    const restarted = await app(dataDir);
    // Loaded before any poll.
    expect(restarted.app.kafkaMonitor.table.points(topic, 0).slice(0, 2)).toEqual(points.slice(0, 2));
    await restarted.app.kafkaMonitor.pollOnce({ recordReads: false });
    const p = partition0(restarted);
    expect(p.committedOffset).toBe(10);
    expect(p.lagSecondsSource).toBe('interpolated');

    // A collector without the table (new data dir) can only give a lower bound.
    const fresh = await app();
    await fresh.app.kafkaMonitor.pollOnce({ recordReads: false });
    expect(partition0(fresh).lagSecondsSource).toBe('lower-bound');
    expect(partition0(fresh).lagSeconds ?? Infinity).toBeLessThan(p.lagSeconds ?? 0);
  });
});
