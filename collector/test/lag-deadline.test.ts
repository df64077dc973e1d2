/**
 * The per-cycle poll deadline: a cycle whose admin requests hang (as they can while topics
 * are being deleted) is abandoned at the deadline, counted as a `deadline` poll error, keeps
 * the previous snapshot, publishes nothing when its requests finally return, and the next
 * cycle runs normally. The broker is real; the test only holds one admin call back.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Admin, Producer } from 'kafkajs';
import {
  buildTestApp,
  commitOffsets,
  connectAdmin,
  connectProducer,
  consumeAndLeave,
  createTopicsLed,
  produce,
  removeDir,
  type TestApp,
  uniqueName,
} from './kafka-helpers.ts';
import { metricValue } from './traces-helpers.ts';

const PREFIX = uniqueName('deadline');
const topic = `${PREFIX}-t`;
const group = `${PREFIX}-g`;
let admin: Admin;
let producer: Producer;
let t: TestApp;

beforeAll(async () => {
  admin = await connectAdmin();
  producer = await connectProducer();
  await createTopicsLed(admin, { topics: [{ topic, numPartitions: 1 }] });
  const now = Date.now();
  await produce(producer, topic, 0, [now - 3000, now - 2000, now - 1000, now - 500, now - 100]);
  await consumeAndLeave(admin, group, topic, 2);
  t = await buildTestApp({ groupsInclude: `${PREFIX}-*`, groupsExclude: 'eventscope-*', pollDeadlineMs: 3000 });
});

afterAll(async () => {
  await t?.close();
  removeDir(t?.dataDir ?? '');
  await admin.deleteGroups([group]).catch(() => undefined);
  await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
  await producer.disconnect();
  await admin.disconnect();
});

describe('Kafka poll deadline', () => {
  it('abandons a cycle hanging past pollDeadlineMs, keeps the previous snapshot, and polls normally after', async () => {
    const monitor = t.app.kafkaMonitor;
    const first = await monitor.pollOnce();
    expect(first.ok).toBe(true);
    const before = monitor.snapshot;
    expect(before?.groups.get(group)?.lag).toBe(3);

    // Hold DescribeGroups back until released: the cycle hangs like one behind a stuck request.
    const kafka = t.app.kafka;
    const real = kafka.describeGroups.bind(kafka);
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let held: Promise<unknown> | undefined;
    kafka.describeGroups = (ids) => {
      const p = gate.then(() => real(ids));
      held = p;
      return p;
    };
    try {
      const started = Date.now();
      const abandoned = await monitor.pollOnce();
      expect(abandoned.ok).toBe(false);
      expect(abandoned.errors).toEqual({ deadline: 1 });
      expect(Date.now() - started).toBeGreaterThanOrEqual(2990);
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(monitor.snapshot).toBe(before);
      expect(monitor.lastCycleOk).toBe(false);
      expect(await metricValue(t.app, 'eventscope_kafka_poll_errors_total', { stage: 'deadline' })).toBe(1);
      expect(await metricValue(t.app, 'eventscope_kafka_poll_success')).toBe(0);
      // The API still answers from the previous snapshot.
      const res = await t.app.inject({ method: 'GET', url: `/api/groups/${encodeURIComponent(group)}` });
      expect(res.statusCode).toBe(200);
      const body = res.json<{ snapshotTime: number; group: { lag: number } }>();
      expect(body.group.lag).toBe(3);
      expect(body.snapshotTime).toBe(before?.time);

      // More records; then the held request returns: the abandoned cycle must publish nothing.
      const now = Date.now();
      await produce(producer, topic, 0, [now, now]);
      release();
      await held;
      for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
      expect(monitor.snapshot).toBe(before);
      expect(await metricValue(t.app, 'eventscope_kafka_poll_errors_total', { stage: 'deadline' })).toBe(1);
    } finally {
      kafka.describeGroups = real;
    }

    // The next cycle starts normally and sees the new records.
    const next = await monitor.pollOnce();
    expect(next.ok).toBe(true);
    expect(next.errors).toEqual({});
    expect(monitor.snapshot).not.toBe(before);
    expect(monitor.snapshot?.groups.get(group)?.lag).toBe(5);
    expect(await metricValue(t.app, 'eventscope_kafka_poll_success')).toBe(1);
    expect(await metricValue(t.app, 'eventscope_kafka_poll_errors_total', { stage: 'deadline' })).toBe(1);
  });

  it('stop() does not wait for a cycle hanging on Kafka: shutdown drops it and it publishes nothing', async () => {
    // Regression: stop() awaited the cycle in flight, up to pollDeadlineMs (30 s by default), so a
    // collector's close (a restart, a deploy) hung while a request to Kafka did.
    const app = await buildTestApp({
      groupsInclude: `${PREFIX}-*`,
      groupsExclude: 'eventscope-*',
      pollDeadlineMs: 30_000,
    });
    try {
      const monitor = app.app.kafkaMonitor;
      expect((await monitor.pollOnce()).ok).toBe(true);
      const before = monitor.snapshot;
      const kafka = app.app.kafka;
      const real = kafka.describeGroups.bind(kafka);
      let release: () => void = () => undefined;
      const gate = new Promise<void>((resolve) => {
        release = resolve;
      });
      let entered: () => void = () => undefined;
      const hanging = new Promise<void>((resolve) => {
        entered = resolve;
      });
      kafka.describeGroups = (ids) => {
        entered();
        return gate.then(() => real(ids));
      };
      const inFlight = monitor.pollOnce();
      await hanging;
      const started = Date.now();
      await monitor.stop();
      expect(Date.now() - started).toBeLessThan(2_000);
      const dropped = await inFlight;
      expect(dropped.ok).toBe(false);
      expect(dropped.errors).toEqual({});
      release();
      for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
      expect(monitor.snapshot).toBe(before);
      kafka.describeGroups = real;
    } finally {
      await app.close();
      removeDir(app.dataDir);
    }
  });

  it('a snapshot kept through abandoned cycles still shows its own status window', async () => {
    // Regression (issue #15): a status window is a ring with one sample to spare, and a snapshot's
    // rows read their window from it when asked. Two cycles that push and are then abandoned (hung
    // in their record reads, after the windows) would overwrite what the kept snapshot shows,
    // unless its rows copy their ring first.
    const ring = `${PREFIX}-ring`;
    await commitOffsets(ring, topic, [{ partition: 0, offset: '1' }]);
    const app = await buildTestApp({
      groupsInclude: ring,
      groupsExclude: 'eventscope-*',
      pollDeadlineMs: 2000,
      statusWindow: 2,
    });
    const kafka = app.app.kafka;
    const real = kafka.readRecords.bind(kafka);
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    try {
      const monitor = app.app.kafkaMonitor;
      expect((await monitor.pollOnce()).ok).toBe(true);
      expect((await monitor.pollOnce()).ok).toBe(true);
      const kept = monitor.snapshot;
      let reads = 0;
      kafka.readRecords = (requests, options) => {
        reads++;
        return gate.then(() => real(requests, options));
      };
      for (const offset of ['2', '3']) {
        await commitOffsets(ring, topic, [{ partition: 0, offset }]);
        expect((await monitor.pollOnce()).errors).toEqual({ deadline: 1 });
      }
      // Both cycles got past their windows (each read a record for its new committed offset).
      expect(reads).toBe(2);
      expect(monitor.snapshot).toBe(kept);
      expect(kept?.groups.get(ring)?.partitions[0]?.samples.map((x) => x.offset)).toEqual([1, 1]);
    } finally {
      release();
      kafka.readRecords = real;
      await app.close();
      removeDir(app.dataDir);
      await admin.deleteGroups([ring]).catch(() => undefined);
    }
  });
});
