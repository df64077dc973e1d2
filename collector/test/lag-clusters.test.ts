/**
 * Several Kafka clusters in one collector: the shared 4.x broker as the primary cluster (named
 * `main`), the 3.9 broker `npm test` starts beside it (`compat`; a lone run starts its own), and
 * a third cluster nobody listens on (`gone`). Each live cluster has a topic and a group with lag
 * of its own: the API answers per cluster (`?cluster=`), figures equal to Kafka's consumer-groups
 * tool on the same broker; /metrics has both `cluster` labels; /api/clusters and /readyz report
 * the cluster that is away while the others keep being polled. A DLQ of the same name on both
 * live clusters (one record on `main`, two on `compat`) is two DLQs, each answered per cluster.
 */
import { ensureKafka, freePort, type KafkaHandle } from '@eventscope/devstack';
import { Kafka, logLevel, type Admin, type Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClusterList, GroupDetail, GroupList, TopicList } from '../src/lag/schemas.ts';
import type { Overview } from '../src/api/schemas.ts';
import type { DlqDetail, DlqHistory, DlqList, DlqMarkResponse } from '../src/dlq/schemas.ts';
import type { DlqCauses } from '../src/dlq/triage/schemas.ts';
import type { RedriveDryRunResponse, RedrivesResponse } from '../src/api-types.ts';
import type { AuditLog } from '../src/auth/schemas.ts';
import { dlqHeaders } from './dlq-helpers.ts';
import { BROKERS, removeDir, startApp, waitFor, type TestApp } from './harness.ts';
import { commitOffsets, createTopicsLed, kafkaToolDescribe, produce, uniqueName } from './kafka-helpers.ts';

const PREFIX = uniqueName('clusters');
/** A DLQ of this name on both live clusters: one record on `main`, two on `compat`. */
const DLQ = `${PREFIX}.dlq`;
const DLQ_RECORDS = new Map([
  ['main', 1],
  ['compat', 2],
]);

interface Side {
  name: string;
  brokers: string;
  admin: Admin;
  producer: Producer;
  topic: string;
  group: string;
  /** Lag in messages the group has on its topic. */
  lag: number;
}

/** The cluster's DLQ (`DLQ`), with records of an error class naming the cluster. */
async function prepareDlq(s: Side): Promise<void> {
  await createTopicsLed(s.admin, { topics: [{ topic: DLQ, numPartitions: 1 }] });
  const count = DLQ_RECORDS.get(s.name) ?? 0;
  const headers = dlqHeaders({ errorClass: `${s.name}Error`, message: `failed on ${s.name}`, topic: s.topic });
  await produce(
    s.producer,
    DLQ,
    0,
    Array.from({ length: count }, () => Date.now()),
    headers,
  );
}

let compat: KafkaHandle | undefined;
let t: TestApp | undefined;
let gonePort: number;
let compatBrokers = '';
const sides: Side[] = [];

/**
 * A topic of two partitions with `records` records and an (empty) group committed at `commits`
 * on the cluster at `brokers`.
 */
async function prepare(name: string, brokers: string, records: [number, number], commits: [number, number]) {
  const kafka = new Kafka({ clientId: 'clusters-test', brokers: [brokers], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  const side: Side = {
    name,
    brokers,
    admin,
    producer,
    topic: `${PREFIX}-${name}-t`,
    group: `${PREFIX}-${name}-g`,
    lag: records[0] - commits[0] + records[1] - commits[1],
  };
  sides.push(side);
  await createTopicsLed(admin, { topics: [{ topic: side.topic, numPartitions: 2 }] });
  const now = Date.now();
  for (const partition of [0, 1] as const) {
    await produce(
      producer,
      side.topic,
      partition,
      Array.from({ length: records[partition] }, (_, i) => now - 10_000 + i),
    );
  }
  await commitOffsets(
    side.group,
    side.topic,
    [
      { partition: 0, offset: commits[0] },
      { partition: 1, offset: commits[1] },
    ],
    [brokers],
  );
}

const side = (name: string): Side => {
  const s = sides.find((x) => x.name === name);
  if (!s) throw new Error(`no side ${name}`);
  return s;
};

async function get<T>(url: string): Promise<{ status: number; body: T }> {
  if (!t) throw new Error('no app');
  const res = await t.app.inject(url);
  return { status: res.statusCode, body: res.json<T>() };
}

beforeAll(async () => {
  compatBrokers = process.env.ES_COMPAT_KAFKA_BROKERS ?? '';
  if (!compatBrokers) {
    // A lone `npx vitest`: a 3.9 broker of this file's own, stopped after it.
    const port = await freePort();
    compat = await ensureKafka({
      version: '3.9.1',
      port,
      controllerPort: await freePort(),
      fresh: true,
      instance: 'clusters-test',
    });
    compatBrokers = compat.brokers;
  }
  const primary = BROKERS.split(',')[0] ?? '127.0.0.1:9092';
  await prepare('main', primary, [6, 4], [2, 1]);
  await prepare('compat', compatBrokers.split(',')[0] ?? '', [5, 9], [1, 2]);
  for (const s of sides) await prepareDlq(s);
  // Nobody listens there: the cluster that is away.
  gonePort = await freePort();
  t = await startApp({
    overrides: {
      kafkaClusterName: 'main',
      kafkaClusters: [
        { name: 'compat', brokers: compatBrokers.split(',') },
        { name: 'gone', brokers: [`127.0.0.1:${gonePort}`] },
      ],
      groupsInclude: `${PREFIX}-*`,
      pollIntervalMs: 500,
      pollDeadlineMs: 10_000,
    },
    background: true,
  });
}, 300_000);

afterAll(async () => {
  await t?.close();
  if (t) removeDir(t.dataDir);
  for (const s of sides) {
    await s.admin.deleteGroups([s.group]).catch(() => undefined);
    await s.admin.deleteTopics({ topics: [s.topic, DLQ] }).catch(() => undefined);
    await s.producer.disconnect();
    await s.admin.disconnect();
  }
  await compat?.stop();
});

describe('several clusters in one collector (two real brokers)', () => {
  it.each(['main', 'compat'])(
    "GET /api/groups?cluster=%s lists only that cluster's group, figures as Kafka's tool shows them",
    async (name) => {
      const s = side(name);
      const list = await waitFor(
        `the ${name} cluster's group in its snapshot`,
        async () => {
          const res = await get<GroupList>(`/api/groups?cluster=${name}`);
          return res.body.groups.length > 0 ? res : undefined;
        },
        60_000,
      );
      expect(list.status).toBe(200);
      expect(list.body.cluster).toBe(name);
      expect(list.body.groups.map((g) => [g.cluster, g.group, g.lag])).toEqual([[name, s.group, s.lag]]);

      const detail = await get<GroupDetail>(`/api/groups/${encodeURIComponent(s.group)}?cluster=${name}`);
      expect(detail.status).toBe(200);
      expect(detail.body.cluster).toBe(name);
      expect(detail.body.group.cluster).toBe(name);
      const rows = (await kafkaToolDescribe(s.group, s.brokers)).filter((r) => r.currentOffset !== null);
      expect(rows.length).toBe(2);
      expect(
        detail.body.group.partitions.map((p) => [p.topic, p.partition, p.committedOffset, p.endOffset, p.lag]).sort(),
      ).toEqual(rows.map((r) => [r.topic, r.partition, r.currentOffset, r.logEndOffset, r.lag]).sort());

      // The other cluster's group is not this cluster's.
      const other = side(name === 'main' ? 'compat' : 'main');
      expect((await get(`/api/groups/${encodeURIComponent(other.group)}?cluster=${name}`)).status).toBe(404);

      const topics = await get<TopicList>(`/api/topics?cluster=${name}`);
      expect(topics.body.cluster).toBe(name);
      const names = topics.body.topics.map((x) => x.topic);
      expect(names).toContain(s.topic);
      expect(names).not.toContain(other.topic);
      expect(new Set(topics.body.topics.map((x) => x.cluster))).toEqual(new Set([name]));

      const overview = await get<Overview>(`/api/overview?cluster=${name}`);
      expect(overview.status).toBe(200);
      expect(overview.body.cluster).toBe(name);
      expect(overview.body.worstGroups.map((g) => [g.cluster, g.group])).toEqual([[name, s.group]]);
    },
  );

  it('answers about the primary cluster without ?cluster=', async () => {
    const main = side('main');
    await waitFor('the primary snapshot', async () => (await get<GroupList>('/api/groups')).body.groups.length > 0);
    const list = await get<GroupList>('/api/groups');
    expect(list.body.cluster).toBe('main');
    expect(list.body.groups.map((g) => g.group)).toEqual([main.group]);
    expect((await get<Overview>('/api/overview')).body.cluster).toBe('main');
    expect((await get<TopicList>('/api/topics')).body.cluster).toBe('main');
  });

  it('labels every lag series with its cluster in /metrics', async () => {
    const [main, other] = [side('main'), side('compat')];
    const metrics = await waitFor(
      'both clusters in /metrics',
      async () => {
        const body = (await t?.app.inject('/metrics'))?.body ?? '';
        return body.includes('cluster="main"') && body.includes('cluster="compat"') ? body : undefined;
      },
      60_000,
    );
    for (const s of [main, other]) {
      expect(metrics).toContain(
        `eventscope_consumergroup_lag_messages{cluster="${s.name}",group="${s.group}",group_type="classic",topic="${s.topic}"} ${s.lag}`,
      );
      expect(metrics).toContain(
        `eventscope_consumergroup_status{cluster="${s.name}",group="${s.group}",group_type="classic"} `,
      );
      expect(metrics).toContain(`eventscope_kafka_poll_success{cluster="${s.name}"} 1`);
      expect(metrics).toContain(`eventscope_kafka_monitored_groups{cluster="${s.name}"} 1`);
    }
    // No series of one cluster's group under the other's name.
    expect(metrics).not.toContain(`{cluster="compat",group="${main.group}"`);
    expect(metrics).not.toContain(`{cluster="main",group="${other.group}"`);
  });

  it('refuses an unknown or hostile cluster name with 404 CLUSTER_NOT_FOUND', async () => {
    const main = side('main');
    const names = [
      'nope',
      '__proto__',
      'constructor',
      'toString',
      'hasOwnProperty',
      '%5F%5Fproto%5F%5F',
      '%2e%2e',
      '..%2Fcompat',
      'MAIN',
    ];
    const reads = [
      '/api/groups',
      `/api/groups/${main.group}`,
      '/api/topics',
      '/api/overview',
      '/api/dlqs',
      `/api/dlqs/${DLQ}`,
      `/api/dlqs/${DLQ}/history`,
      `/api/dlqs/${DLQ}/causes`,
      '/api/dlq-causes',
      '/api/redrives',
    ];
    const dryRun = { select: { kind: 'all' }, target: { kind: 'original' }, ratePerSecond: 1, dryRun: true };
    for (const raw of names) {
      const answers = [
        ...(await Promise.all(
          reads.map(async (path) => [path, await t?.app.inject(`${path}?cluster=${raw}`)] as const),
        )),
        ['mark', await t?.app.inject({ method: 'POST', url: `/api/dlqs/${DLQ}/mark?cluster=${raw}` })] as const,
        [
          'redrive',
          await t?.app.inject({ method: 'POST', url: `/api/dlqs/${DLQ}/redrives?cluster=${raw}`, payload: dryRun }),
        ] as const,
      ];
      for (const [path, res] of answers) {
        const body = res?.json<{ error: string; message: string }>();
        expect([path, raw, res?.statusCode, body?.error]).toEqual([path, raw, 404, 'CLUSTER_NOT_FOUND']);
        expect(body?.message).toContain('known clusters: main, compat, gone');
      }
    }
  });

  it("answers about each cluster's DLQ of the same name with ?cluster=, the primary's without", async () => {
    const listed = async (name: string) =>
      (await get<DlqList>(`/api/dlqs?cluster=${name}`)).body.dlqs.find((d) => d.topic === DLQ);
    for (const name of ['main', 'compat']) {
      const depth = DLQ_RECORDS.get(name);
      await waitFor(
        `the DLQ of ${name} with its records read`,
        async () => {
          const d = await listed(name);
          return d?.depth === depth && d?.errorClasses[`${name}Error`] === depth;
        },
        60_000,
      );
      const list = await get<DlqList>(`/api/dlqs?cluster=${name}`);
      expect(list.body.cluster).toBe(name);
      expect(list.body.dlqs.find((d) => d.topic === DLQ)).toMatchObject({ depth, groups: ['payment-service'] });

      const detail = await get<DlqDetail>(`/api/dlqs/${DLQ}?cluster=${name}`);
      expect([detail.status, detail.body.cluster]).toEqual([200, name]);
      expect(detail.body.dlq.latest.map((r) => [r.errorClass, r.errorMessage, r.originalTopic])).toEqual(
        Array.from({ length: depth ?? 0 }, () => [`${name}Error`, `failed on ${name}`, side(name).topic]),
      );
      const history = await get<DlqHistory>(`/api/dlqs/${DLQ}/history?cluster=${name}`);
      expect([history.status, history.body.cluster, history.body.samples.at(-1)?.depth]).toEqual([200, name, depth]);

      for (const path of [`/api/dlqs/${DLQ}/causes`, '/api/dlq-causes']) {
        const causes = await get<DlqCauses>(`${path}?cluster=${name}`);
        expect([path, causes.status, causes.body.cluster]).toEqual([path, 200, name]);
        const mine = causes.body.causes.filter((c) => c.dlqs.includes(DLQ));
        expect(mine.map((c) => [c.errorClass, c.count])).toEqual([[`${name}Error`, depth]]);
      }

      const overview = await get<Overview>(`/api/overview?cluster=${name}`);
      expect(overview.body.dlqs.find((d) => d.topic === DLQ)?.depth).toBe(depth);
    }

    // Without ?cluster=: the primary's, as before.
    const primary = await get<DlqList>('/api/dlqs');
    expect(primary.body.cluster).toBe('main');
    expect(primary.body.dlqs.find((d) => d.topic === DLQ)?.depth).toBe(DLQ_RECORDS.get('main'));
    expect((await get<DlqDetail>(`/api/dlqs/${DLQ}`)).body.dlq.latest.map((r) => r.errorClass)).toEqual(['mainError']);
    expect((await get<DlqCauses>(`/api/dlqs/${DLQ}/causes`)).body.cluster).toBe('main');
    // The cluster that is away has no DLQs (and no snapshot), not another cluster's.
    expect((await get<DlqList>('/api/dlqs?cluster=gone')).body).toEqual({
      cluster: 'gone',
      snapshotTime: null,
      dlqs: [],
    });
    expect((await get(`/api/dlqs/${DLQ}?cluster=gone`)).status).toBe(404);

    const metrics = (await t?.app.inject('/metrics'))?.body ?? '';
    for (const [name, depth] of DLQ_RECORDS) {
      expect(metrics).toContain(`eventscope_dlq_depth_records{cluster="${name}",topic="${DLQ}"} ${depth}`);
      expect(metrics).toMatch(
        new RegExp(
          `eventscope_dlq_cause_records_total\\{cluster="${name}",topic="${DLQ.replaceAll('.', '\\.')}",fingerprint="[0-9a-f]+",error_class="${name}Error"\\} ${depth}`,
        ),
      );
    }
  });

  it("marks and dry-runs a redrive of the other cluster's DLQ on that cluster only", async () => {
    const app = t?.app;
    if (!app) throw new Error('no app');
    await waitFor(
      'the DLQ of compat',
      async () => (await get<DlqList>('/api/dlqs?cluster=compat')).body.dlqs.some((d) => d.topic === DLQ),
      60_000,
    );
    const mark = await app.inject({ method: 'POST', url: `/api/dlqs/${DLQ}/mark?cluster=compat` });
    expect(mark.statusCode).toBe(200);
    expect(mark.json<DlqMarkResponse>()).toMatchObject({
      cluster: 'compat',
      topic: DLQ,
      mark: { endOffsets: { 0: 2 } },
    });
    // The primary's DLQ of the same name keeps no mark.
    expect((await get<DlqList>('/api/dlqs')).body.dlqs.find((d) => d.topic === DLQ)?.mark).toBeNull();
    // The audit log names the cluster of the mark, and of a read in clear.
    expect((await get(`/api/dlqs/${DLQ}?cluster=compat&unmask=true`)).status).toBe(200);
    const audit = await get<AuditLog>('/api/audit-log');
    const targets = audit.body.entries.map((e) => [e.action, e.target]);
    expect(targets).toContainEqual(['POST /api/dlqs/:topic/mark', `topic=${DLQ} cluster=compat`]);
    expect(targets).toContainEqual(['unmask', `dlq=compat/${DLQ}`]);

    const dryRun = { select: { kind: 'all' }, target: { kind: 'original' }, ratePerSecond: 10, dryRun: true };
    for (const [name, count] of DLQ_RECORDS) {
      const res = await app.inject({
        method: 'POST',
        url: `/api/dlqs/${DLQ}/redrives?cluster=${name}`,
        payload: dryRun,
      });
      expect(res.statusCode).toBe(200);
      const body = res.json<RedriveDryRunResponse>();
      expect([body.cluster, body.count, body.sample.map((r) => r.errorClass)]).toEqual([
        name,
        count,
        Array.from({ length: count }, () => `${name}Error`),
      ]);
      const redrives = await get<RedrivesResponse>(`/api/redrives?cluster=${name}`);
      expect([redrives.status, redrives.body.redrives]).toEqual([200, []]);
    }
  });

  it('reports the cluster that is away in /api/clusters and /readyz; the others keep being polled', async () => {
    // Found away once its client gave up connecting (the reason, e.g. ECONNREFUSED, is kept for /readyz).
    const problem = await waitFor(
      'the cluster that is away to fail a poll',
      () => t?.app.clusters.get('gone')?.adapter.problem,
      60_000,
    );
    const gone = (await get<ClusterList>('/api/clusters')).body;
    expect(gone.clusters.map((c) => [c.name, c.primary, c.brokers])).toEqual([
      ['main', true, [BROKERS.split(',')[0]]],
      ['compat', false, [side('compat').brokers]],
      ['gone', false, [`127.0.0.1:${gonePort}`]],
    ]);
    for (const name of ['main', 'compat']) {
      const c = gone.clusters.find((x) => x.name === name);
      expect(c).toMatchObject({ connected: true, leading: true, groups: 1 });
      expect(c?.problem).toBeUndefined();
      expect(Date.parse(c?.polledAt ?? '')).toBeGreaterThan(Date.now() - 60_000);
    }
    const away = gone.clusters.find((x) => x.name === 'gone');
    expect(away).toMatchObject({ connected: false, groups: 0, problem });
    expect(away?.polledAt).toBeUndefined();

    const ready = await get<{ status: string; checks: Record<string, string> }>('/readyz');
    expect(ready.status).toBe(503);
    expect(ready.body.checks).toMatchObject({
      kafka: 'ok',
      'kafka:compat': 'ok',
      'kafka-poll': 'ok',
      'kafka-poll:compat': 'ok',
    });
    expect(ready.body.checks['kafka:gone']).toBe(
      `not connected to the Kafka cluster gone at 127.0.0.1:${gonePort}: ${problem}`,
    );
    expect(ready.body.checks['kafka-poll:gone']).toContain('gone');

    // The live clusters go on: each takes a newer snapshot after the other one was found away.
    for (const name of ['main', 'compat']) {
      const k = t?.app.clusters.get(name);
      const before = k?.monitor.snapshot?.time ?? 0;
      await waitFor(`a newer snapshot of ${name}`, () => (k?.monitor.snapshot?.time ?? 0) > before, 30_000);
    }
    const metrics = (await t?.app.inject('/metrics'))?.body ?? '';
    expect(metrics).toContain('eventscope_kafka_poll_success{cluster="gone"} 0');
  });

  it('elects the poller of each cluster on that cluster (monitorElection: kafka)', async () => {
    // Outside groupsInclude (and inside the default groupsExclude): the lease group is not monitored.
    const leaseTopic = uniqueName('eventscope-clusters-lease');
    const e = await startApp({
      overrides: {
        kafkaClusterName: 'main',
        kafkaClusters: [{ name: 'compat', brokers: compatBrokers.split(',') }],
        groupsInclude: `${PREFIX}-*`,
        monitorElection: 'kafka',
        monitorLeaseTopic: leaseTopic,
        pollIntervalMs: 500,
      },
      background: true,
    });
    try {
      await waitFor(
        'this collector to lead both clusters',
        async () => {
          const res = await e.app.inject('/api/clusters');
          return res.json<ClusterList>().clusters.every((c) => c.leading && c.groups === 1);
        },
        90_000,
      );
      const metrics = (await e.app.inject('/metrics')).body;
      expect(metrics).toContain('eventscope_kafka_monitor_leader{cluster="main"} 1');
      expect(metrics).toContain('eventscope_kafka_monitor_leader{cluster="compat"} 1');
      // The lease is a group on each cluster itself.
      for (const s of sides) {
        const { groups } = await s.admin.listGroups();
        expect(groups.map((g) => g.groupId)).toContain(leaseTopic);
      }
    } finally {
      await e.close();
      removeDir(e.dataDir);
      for (const s of sides) {
        await s.admin.deleteGroups([leaseTopic]).catch(() => undefined);
        await s.admin.deleteTopics({ topics: [leaseTopic] }).catch(() => undefined);
      }
    }
  });
});
