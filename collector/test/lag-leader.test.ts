/**
 * The Kafka monitor's election (lag/leader.ts, `monitorElection: kafka`): of two collector
 * processes on one PostgreSQL store exactly one polls Kafka (`eventscope_kafka_monitor_leader` 1, and only it has poll
 * durations); after `kill -9` of that one the other polls within two poll intervals. A follower
 * answers the lag API from the leader's snapshot shared through the store (SQLite's SnapshotStore).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { KafkaLease, type MonitorLease } from '../src/lag/leader.ts';
import { decodeSnapshot, encodeSnapshot, shareSnapshots } from '../src/lag/shared-snapshot.ts';
import { PostgresSnapshotStore } from '../src/store/postgres-snapshots.ts';
import type { SnapshotStore } from '../src/store/snapshot-types.ts';
import { SqliteSnapshotStore } from '../src/store/sqlite-snapshots.ts';
import { spawnCollector, type CollectorProcess } from './collector-process.ts';
import {
  buildTestApp,
  commitOffsets,
  connectAdmin,
  createTopicsLed,
  removeDir,
  uniqueName,
  waitFor,
} from './kafka-helpers.ts';
import { tempDir } from './harness.ts';
import { createTestDatabase } from './postgres-helpers.ts';

const POLL_MS = 5000;
const procs: CollectorProcess[] = [];
afterAll(async () => {
  for (const p of procs) await p.stop();
}, 60_000);

/** Polls this collector has finished (its histogram's count). */
const polls = (p: CollectorProcess): Promise<number> => p.metric('eventscope_kafka_poll_duration_seconds_count');
const leads = async (p: CollectorProcess): Promise<boolean> =>
  (await p.metric('eventscope_kafka_monitor_leader')) === 1;

describe('monitor election through a Kafka group', () => {
  it('one of two collectors on one PostgreSQL polls; the other answers lag, and takes over within two poll intervals of its kill -9', async () => {
    const lease = uniqueName('eventscope-lease');
    const db = await createTestDatabase();
    const env = {
      EVENTSCOPE_STORE: 'postgres',
      EVENTSCOPE_POSTGRES_URL: db.url,
      EVENTSCOPE_MONITOR_ELECTION: 'kafka',
      EVENTSCOPE_MONITOR_LEASE_TOPIC: lease,
      EVENTSCOPE_POLL_INTERVAL_MS: String(POLL_MS),
      EVENTSCOPE_RECORD_READS_PER_CYCLE: '0',
      // Polls of the shared broker stay small: no group is monitored.
      EVENTSCOPE_GROUPS_INCLUDE: `${lease}-none`,
    };
    const admin = await connectAdmin();
    try {
      const both = await Promise.all([spawnCollector(env), spawnCollector(env)]);
      procs.push(...both);
      // Both in the group, one of them leading and polling.
      const [leader, follower] = await waitFor(
        'one leader among the two, with a finished poll',
        async () => {
          const d = (await admin.describeGroups([lease])).groups[0];
          if (d?.state !== 'Stable' || d.members.length !== 2) return undefined;
          const l = await Promise.all(both.map(leads));
          if (l.filter(Boolean).length !== 1) return undefined;
          const [a, b] = both;
          if (!a || !b) return undefined;
          const pair = l[0] ? ([a, b] as const) : ([b, a] as const);
          return (await polls(pair[0])) >= 1 ? pair : undefined;
        },
        60_000,
      );
      // The follower does not poll: over one of the leader's cycles its count stays. (It may have
      // polled once while it was alone in the group, before the other joined.)
      const leaderPolls = await polls(leader);
      const followerPolls = await polls(follower);
      await waitFor('another poll of the leader', async () => (await polls(leader)) > leaderPolls, 30_000);
      expect(await polls(follower)).toBe(followerPolls);
      expect(await leads(follower)).toBe(false);
      // A follower is ready (another collector polls) and answers the API.
      const ready = await fetch(`${follower.url}/readyz`);
      expect(ready.status, await ready.text()).toBe(200);
      // ... with the leader's snapshot, read through the store.
      await waitFor(
        "the follower answering /api/groups from the leader's poll",
        async () => {
          // The same snapshot time as the leader's last poll (after the follower's own, if it had one).
          const [f, l] = await Promise.all(
            [follower, leader].map(
              async (p) =>
                ((await (await fetch(`${p.url}/api/groups`)).json()) as { snapshotTime: number | null }).snapshotTime,
            ),
          );
          return f !== null && f === l;
        },
        4 * POLL_MS,
      );

      await leader.kill9();
      const killedAt = Date.now();
      await waitFor(
        'the follower leading and polling',
        async () => (await leads(follower)) && (await polls(follower)) > followerPolls,
        4 * POLL_MS,
      );
      const failoverMs = Date.now() - killedAt;
      expect(failoverMs).toBeLessThanOrEqual(2 * POLL_MS);
    } finally {
      await admin.deleteTopics({ topics: [lease] }).catch(() => undefined);
      await admin.deleteGroups([lease]).catch(() => undefined);
      await admin.disconnect();
      for (const p of procs.splice(0)) await p.stop();
      await db.drop();
    }
  }, 180_000);
});

describe('KafkaLease', () => {
  it('keeps trying to join while Kafka cannot be reached, and stops when told', async () => {
    const warnings: string[] = [];
    const lease = new KafkaLease({
      client: { clientId: 'eventscope-lease-test', bootstrapBrokers: ['127.0.0.1:1'] },
      topic: uniqueName('eventscope-lease'),
      sessionTimeoutMs: 6000,
      log: (level, message) => {
        if (level === 'warn') warnings.push(message);
      },
    });
    let gaveUp = false;
    const started = lease.start().then(() => (gaveUp = true));
    await waitFor('a failed attempt to join', () => warnings.length >= 1, 60_000);
    expect(warnings[0]).toMatch(/cannot join the monitor election; retrying/);
    // Still trying: start() resolves only once joined or stopped.
    expect(gaveUp).toBe(false);
    expect(lease.leading).toBe(false);
    await lease.stop();
    await started;
    expect(gaveUp).toBe(true);
    expect(lease.leading).toBe(false);
  }, 90_000);
});

/** A lease that is what it is told (the election itself is tested above). */
const fixedLease = (leading: boolean): MonitorLease => ({
  leading,
  onChange: () => undefined,
  start: () => Promise.resolve(),
  stop: () => Promise.resolve(),
});

describe('lag snapshots shared through the store', () => {
  it('round-trips a snapshot, Maps and data-named keys included', () => {
    const groups = new Map([['__proto__', { group: '__proto__', lag: 3 }]]);
    const s = { time: 1, durationMs: 2, groups, topics: new Map(), errors: {}, missingGroupTypes: [] };
    const back = decodeSnapshot(encodeSnapshot(s as never));
    expect(back.groups).toBeInstanceOf(Map);
    expect(back.groups.get('__proto__')).toEqual({ group: '__proto__', lag: 3 });
    expect(Object.getPrototypeOf(back)).toBe(Object.prototype);
  });

  /** Each SnapshotStore, on a place of its own; `drop` removes it. */
  const stores: [string, () => Promise<{ store: SnapshotStore & { close(): unknown }; drop: () => Promise<void> }>][] =
    [
      [
        'SQLite',
        () => {
          const dir = tempDir('snapshots');
          const store = new SqliteSnapshotStore(`${dir}/shared.sqlite`);
          return Promise.resolve({ store, drop: () => Promise.resolve(removeDir(dir)) });
        },
      ],
      [
        'PostgreSQL',
        async () => {
          const db = await createTestDatabase();
          return { store: new PostgresSnapshotStore(db.url), drop: () => db.drop() };
        },
      ],
    ];

  it.each(stores)("a follower answers /api/groups from the leader's last poll (%s)", async (_name, make) => {
    const { store, drop } = await make();
    // One group of its own, at offset 0 of a topic with a record: a small poll of the shared broker.
    const topic = uniqueName('shared-snapshot');
    const group = `${topic}-g`;
    const admin = await connectAdmin();
    await createTopicsLed(admin, { topics: [{ topic, numPartitions: 1 }] });
    await commitOffsets(group, topic, [{ partition: 0, offset: '0' }]);
    const overrides = { groupsInclude: group };
    const [leader, follower] = await Promise.all([buildTestApp(overrides), buildTestApp(overrides)]);
    const log = () => undefined;
    const unshare = [
      shareSnapshots(leader.app.kafkaMonitor, fixedLease(true), store, { intervalMs: 100, log }),
      shareSnapshots(follower.app.kafkaMonitor, fixedLease(false), store, { intervalMs: 100, log }),
    ];
    try {
      const polled = await leader.app.kafkaMonitor.pollOnce();
      expect(polled.ok).toBe(true);
      const time = polled.snapshot?.time;
      await waitFor('the follower to adopt the snapshot', () => follower.app.kafkaMonitor.snapshot?.time === time);
      expect([...(follower.app.kafkaMonitor.snapshot?.groups.keys() ?? [])]).toEqual([group]);
      const [a, b] = await Promise.all(
        [leader, follower].map(async (t) => (await t.app.inject({ url: '/api/groups' })).json<unknown>()),
      );
      expect(b).toEqual(a);
      expect((b as { snapshotTime: number | null }).snapshotTime).toBe(time);
      expect((await store.readSnapshot('lag'))?.timeMs).toBe(time);
    } finally {
      for (const stop of unshare) stop();
      await store.close();
      await drop();
      await Promise.all([leader.close(), follower.close()]);
      for (const d of [leader.dataDir, follower.dataDir]) removeDir(d);
      await admin.deleteGroups([group]).catch(() => undefined);
      await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
      await admin.disconnect();
    }
  });
});
