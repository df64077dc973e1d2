/**
 * The Kafka monitor's election (lag/leader.ts, `monitorElection: kafka`): of two collector
 * processes exactly one polls Kafka (`eventscope_kafka_monitor_leader` 1, and only it has poll
 * durations); after `kill -9` of that one the other polls within two poll intervals.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { spawnCollector, type CollectorProcess } from './collector-process.ts';
import { connectAdmin, uniqueName, waitFor } from './kafka-helpers.ts';

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
  it('one of two collectors polls; the other takes over within two poll intervals of its kill -9', async () => {
    const lease = uniqueName('eventscope-lease');
    const env = {
      EVENTSCOPE_MONITOR_ELECTION: 'kafka',
      EVENTSCOPE_MONITOR_LEASE_TOPIC: lease,
      EVENTSCOPE_POLL_INTERVAL_MS: String(POLL_MS),
      EVENTSCOPE_RECORD_READS_PER_CYCLE: '0',
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
      // The follower does not poll: over two of the leader's cycles its count stays. (It may have
      // polled once while it was alone in the group, before the other joined.)
      const leaderPolls = await polls(leader);
      const followerPolls = await polls(follower);
      await waitFor('two more polls of the leader', async () => (await polls(leader)) >= leaderPolls + 2, 30_000);
      expect(await polls(follower)).toBe(followerPolls);
      expect(await leads(follower)).toBe(false);
      // A follower is ready (another collector polls) and answers the API.
      expect((await fetch(`${follower.url}/readyz`)).status).toBe(200);

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
    }
  }, 180_000);
});
