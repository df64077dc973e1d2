/**
 * The flows and the loss audit on every Kafka cluster, on two real brokers: the shared 4.x broker
 * as the primary (`main`) and the 3.9 broker `npm test` starts beside it (`compat`; a lone run
 * starts its own). A topic of the same name on both, read by a group of the same name committed at
 * different offsets on each, plus a group only `compat` has: the event answer and the saga view
 * have a row per (cluster, group), each with its own cluster's position; deliveries count on the
 * cluster the rule of docs/clusters.md names; the loss audit judges a group on its own cluster.
 */
import { ensureKafka, freePort, type KafkaHandle } from '@eventscope/devstack';
import { Kafka, logLevel, type Admin, type Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditResponse, FlowMapResponse } from '../src/api-types.ts';
import type { EventView, SagaView } from '../src/flows/schemas.ts';
import { BROKERS, removeDir, startApp, waitFor, type TestApp } from './harness.ts';
import { commitOffsets, createTopicsLed, produce, uniqueName } from './kafka-helpers.ts';
import { attr, hex, kafkaSpan, postSpans, serviceSpans } from './traces-helpers.ts';

const PREFIX = uniqueName('flowclusters');
/** On both clusters, 10 records each. */
const TOPIC = `${PREFIX}-orders`;
/** On `compat` only, 6 records: the loss audit's. */
const AUDIT_TOPIC = `${PREFIX}-audit`;
/** Same name on both clusters: committed at 3 on `main`, 7 on `compat`. */
const SHARED = `${PREFIX}-shared`;
/** On `compat` only, committed at 2. */
const ONLY_COMPAT = `${PREFIX}-compat-only`;
/** On `compat` only, on AUDIT_TOPIC, committed at 4. */
const AUDITED = `${PREFIX}-audited`;
const COMMITTED = new Map([
  ['main', 3],
  ['compat', 7],
]);

interface Side {
  name: string;
  brokers: string;
  admin: Admin;
  producer: Producer;
}

let compat: KafkaHandle | undefined;
let t: TestApp | undefined;
const sides: Side[] = [];
/** The event id at each offset of TOPIC (one publish span each, so the store knows every record). */
const eventAt: string[] = [];
const auditEventAt: string[] = [];
const corr = `saga-${hex(6)}`;

async function connect(name: string, brokers: string): Promise<Side> {
  const kafka = new Kafka({ clientId: 'flows-clusters-test', brokers: [brokers], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  const side = { name, brokers, admin, producer };
  sides.push(side);
  return side;
}

async function records(s: Side, topic: string, count: number): Promise<void> {
  await createTopicsLed(s.admin, { topics: [{ topic, numPartitions: 1 }] });
  const now = Date.now();
  await produce(
    s.producer,
    topic,
    0,
    Array.from({ length: count }, (_, i) => now - 10_000 + i),
  );
}

/** Polls every cluster until each snapshot has the groups it should. */
async function pollAll(): Promise<void> {
  const app = t?.app;
  if (!app) throw new Error('no app');
  await waitFor(
    'both clusters polled with their groups',
    async () => {
      for (const k of app.clusters.values()) await k.monitor.pollOnce();
      const main = app.cluster('main').offsets;
      const other = app.cluster('compat').offsets;
      return (
        main.committedOffset(SHARED, TOPIC, 0) === COMMITTED.get('main') &&
        other.committedOffset(SHARED, TOPIC, 0) === COMMITTED.get('compat') &&
        other.committedOffset(ONLY_COMPAT, TOPIC, 0) === 2 &&
        other.committedOffset(AUDITED, AUDIT_TOPIC, 0) === 4
      );
    },
    60_000,
  );
}

async function get<T>(url: string): Promise<{ status: number; body: T }> {
  if (!t) throw new Error('no app');
  const res = await t.app.inject(url);
  return { status: res.statusCode, body: res.json<T>() };
}

const T0 = Date.now() - 60_000;

/** A delivery span (each with its own span id: a second one of the same event is a duplicate). */
const delivery = (group: string, topic: string, eventId: string, offset: number) =>
  kafkaSpan({ kind: 'consumer', topic, eventId, offset, group, startMs: T0 + 100, outcome: 'processed' });

beforeAll(async () => {
  let compatBrokers = process.env.ES_COMPAT_KAFKA_BROKERS ?? '';
  if (!compatBrokers) {
    // A lone `npx vitest`: a 3.9 broker of this file's own, stopped after it.
    compat = await ensureKafka({
      version: '3.9.1',
      port: await freePort(),
      controllerPort: await freePort(),
      fresh: true,
      instance: 'flows-clusters-test',
    });
    compatBrokers = compat.brokers;
  }
  const main = await connect('main', BROKERS.split(',')[0] ?? '127.0.0.1:9092');
  const other = await connect('compat', compatBrokers.split(',')[0] ?? '');
  for (const s of [main, other]) {
    await records(s, TOPIC, 10);
    await commitOffsets(SHARED, TOPIC, [{ partition: 0, offset: COMMITTED.get(s.name) ?? 0 }], [s.brokers]);
  }
  await commitOffsets(ONLY_COMPAT, TOPIC, [{ partition: 0, offset: 2 }], [other.brokers]);
  await records(other, AUDIT_TOPIC, 6);
  await commitOffsets(AUDITED, AUDIT_TOPIC, [{ partition: 0, offset: 4 }], [other.brokers]);

  t = await startApp({
    overrides: {
      kafkaClusterName: 'main',
      kafkaClusters: [{ name: 'compat', brokers: compatBrokers.split(',') }],
      groupsInclude: `${PREFIX}-*`,
    },
  });
  await pollAll();

  // One publish span per record (the store learns every record's offset), a saga of the one at 8.
  const publishes = [];
  for (let offset = 0; offset < 10; offset++) {
    eventAt[offset] = `ev-${hex(8)}`;
    publishes.push(
      kafkaSpan({
        kind: 'producer',
        topic: TOPIC,
        eventId: eventAt[offset] ?? '',
        offset,
        startMs: T0 + offset,
        type: 'order.placed',
        corr: offset === 8 ? corr : undefined,
      }),
    );
  }
  for (let offset = 0; offset < 6; offset++) {
    auditEventAt[offset] = `au-${hex(8)}`;
    publishes.push(
      kafkaSpan({ kind: 'producer', topic: AUDIT_TOPIC, eventId: auditEventAt[offset] ?? '', offset, startMs: T0 }),
    );
  }
  // Deliveries of the event at 5: by the shared group (on both clusters: counted on the primary)
  // and by the group only `compat` has. The audited group processed its topic's first record only.
  await postSpans(t.app, [
    serviceSpans('orders', publishes),
    serviceSpans('billing', [
      delivery(SHARED, TOPIC, eventAt[5] ?? '', 5),
      delivery(ONLY_COMPAT, TOPIC, eventAt[5] ?? '', 5),
      delivery(AUDITED, AUDIT_TOPIC, auditEventAt[0] ?? '', 0),
    ]),
  ]);
}, 300_000);

afterAll(async () => {
  await t?.close();
  if (t) removeDir(t.dataDir);
  for (const s of sides) {
    const groups = s.name === 'main' ? [SHARED] : [SHARED, ONLY_COMPAT, AUDITED];
    await s.admin.deleteGroups(groups).catch(() => undefined);
    await s.admin.deleteTopics({ topics: s.name === 'main' ? [TOPIC] : [TOPIC, AUDIT_TOPIC] }).catch(() => undefined);
    await s.producer.disconnect();
    await s.admin.disconnect();
  }
  await compat?.stop();
});

type Row = [cluster: string, group: string, state: string, position: number | null, committed: number | null];
const rows = (v: EventView): Row[] =>
  v.groups.map((g) => [g.cluster, g.group, g.state, g.pending?.position ?? null, g.pending?.committedOffset ?? null]);

describe('flows on every Kafka cluster (two real brokers)', () => {
  it("GET /api/events/:id: the same group on two clusters is two rows, each with its own cluster's position", async () => {
    const res = await get<EventView>(`/api/events/${eventAt[8]}`);
    expect(res.status).toBe(200);
    // The event sits at offset 8: the shared group is 8 - 3 = 5 records from it on `main`, 8 - 7 = 1 on `compat`.
    expect(rows(res.body)).toEqual([
      ['compat', ONLY_COMPAT, 'pending', 6, 2],
      ['main', SHARED, 'pending', 5, 3],
      ['compat', SHARED, 'pending', 1, 7],
    ]);
    expect(res.body.groups.map((g) => g.pending?.cluster)).toEqual(['compat', 'main', 'compat']);
    const oldest = Math.min(...[...(t?.app.clusters.values() ?? [])].map((k) => k.offsets.snapshotTime() ?? Infinity));
    expect(res.body.offsetsSnapshotMs).toBe(oldest);
  });

  it('counts a delivery on the cluster the rule names: the one group only `compat` has there, the shared one on the primary', async () => {
    const res = await get<EventView>(`/api/events/${eventAt[5]}`);
    expect(res.status).toBe(200);
    // At offset 5: `compat`'s shared group committed past it (7) with no delivery of its own.
    expect(rows(res.body)).toEqual([
      ['compat', ONLY_COMPAT, 'processed', null, null],
      ['main', SHARED, 'processed', null, null],
      ['compat', SHARED, 'passed_without_delivery', null, null],
    ]);
    expect(res.body.groups.map((g) => g.deliveries.length)).toEqual([1, 1, 0]);
  });

  it("GET /api/sagas/:id: each pending hop names its cluster and that cluster's position", async () => {
    const res = await get<SagaView>(`/api/sagas/${encodeURIComponent(corr)}`);
    expect(res.status).toBe(200);
    const hop = res.body.hops.find((h) => h.eventId === eventAt[8]);
    expect(
      hop?.pending
        .map((p) => [p.cluster, p.group, p.position, p.committedOffset])
        .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))),
    ).toEqual([
      ['compat', ONLY_COMPAT, 6, 2],
      ['compat', SHARED, 1, 7],
      ['main', SHARED, 5, 3],
    ]);
    expect(res.body.pendingCount).toBe(3);
  });

  it('a delivery with hostile names (group `__proto__`, server.address `__proto__`) counts on the primary', async () => {
    if (!t) throw new Error('no app');
    const span = kafkaSpan({
      kind: 'consumer',
      topic: TOPIC,
      eventId: eventAt[9] ?? '',
      offset: 9,
      group: '__proto__',
      startMs: T0 + 200,
      outcome: 'processed',
    });
    span.attributes.push(attr('server.address', '__proto__'), attr('server.port', 'constructor'));
    await postSpans(t.app, [serviceSpans('constructor', [span])]);
    const res = await get<EventView>(`/api/events/${eventAt[9]}`);
    expect(res.status).toBe(200);
    expect(rows(res.body)).toEqual([
      ['main', '__proto__', 'processed', null, null],
      ['compat', ONLY_COMPAT, 'pending', 7, 2],
      ['main', SHARED, 'pending', 6, 3],
      ['compat', SHARED, 'pending', 2, 7],
    ]);
  });
});

describe('the loss audit on every Kafka cluster (two real brokers)', () => {
  it("judges each group on its own cluster's committed offsets", async () => {
    if (!t) throw new Error('no app');
    await pollAll();
    const result = await t.app.flows.audit({ graceMs: 0 });
    // The audited group is on `compat` only, committed at 4, its first delivery at 0: records 1 to 3
    // passed without one. Judged on the primary's offsets (it has no such group) it had none.
    expect(
      result.found
        .filter((f) => f.group === AUDITED)
        .map((f) => [f.topic, f.offset, f.class])
        .sort(),
    ).toEqual([
      [AUDIT_TOPIC, 1, 'unknown'],
      [AUDIT_TOPIC, 2, 'unknown'],
      [AUDIT_TOPIC, 3, 'unknown'],
    ]);
    // The shared group is judged on the primary (committed at 3, below its first delivery at 5), the
    // group only `compat` has on `compat` (committed at 2): nothing passed without a delivery.
    expect(result.found.filter((f) => f.group !== AUDITED)).toEqual([]);
    const audit = await get<{ findings: { group: string; offset: number }[] }>('/api/audit');
    expect(
      audit.body.findings
        .filter((f) => f.group === AUDITED)
        .map((f) => f.offset)
        .sort(),
    ).toEqual([1, 2, 3]);
  });

  it('names the cluster on findings, loss and telemetry-gap rows, duplicates and flow map edges', async () => {
    if (!t) throw new Error('no app');
    const app = t.app;
    const compatSide = sides.find((s) => s.name === 'compat');
    if (!compatSide) throw new Error('no compat cluster');
    // The audited group, still without members, moved from 4 to 6: an offset reset over 4 and 5 (loss).
    await commitOffsets(AUDITED, AUDIT_TOPIC, [{ partition: 0, offset: 6 }], [compatSide.brokers]);
    await waitFor(
      '`compat` polled with the audited group at 6',
      async () => {
        for (const k of app.clusters.values()) await k.monitor.pollOnce();
        return app.cluster('compat').offsets.committedOffset(AUDITED, AUDIT_TOPIC, 0) === 6;
      },
      60_000,
    );
    // Record 1's delivery comes late (processed, its span was late: a telemetry gap). Duplicates:
    // the group only `compat` has, the shared one (the primary's by the rule), and hostile names.
    await postSpans(app, [
      serviceSpans('billing', [
        delivery(AUDITED, AUDIT_TOPIC, auditEventAt[1] ?? '', 1),
        delivery(ONLY_COMPAT, TOPIC, eventAt[5] ?? '', 5),
        delivery(SHARED, TOPIC, eventAt[5] ?? '', 5),
      ]),
      serviceSpans('constructor', [
        delivery('__proto__', TOPIC, eventAt[9] ?? '', 9),
        delivery('constructor', TOPIC, eventAt[6] ?? '', 6),
        delivery('constructor', TOPIC, eventAt[6] ?? '', 6),
      ]),
    ]);
    const byJson = <T>(rows: T[]): T[] => rows.sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
    let audit: AuditResponse | undefined;
    await waitFor(
      'the reset decided as loss and the late span as a telemetry gap',
      async () => {
        await app.flows.audit({ graceMs: 0 });
        audit = (await get<AuditResponse>('/api/audit')).body;
        const decided = audit.findings.filter((f) => f.group === AUDITED && f.decidedMs !== null);
        return decided.length >= 3;
      },
      60_000,
    );
    if (!audit) throw new Error('no audit answer');
    const findings = audit.findings.filter((f) => f.group === AUDITED);
    expect(byJson(findings.map((f) => [f.cluster, f.offset, f.class]))).toEqual([
      ['compat', 1, 'telemetry-missing'],
      ['compat', 2, 'unknown'],
      ['compat', 3, 'unknown'],
      ['compat', 4, 'skipped'],
      ['compat', 5, 'skipped'],
    ]);
    expect(byJson(audit.unaccounted.map((f) => [f.cluster, f.group, f.offset]))).toEqual([
      ['compat', AUDITED, 4],
      ['compat', AUDITED, 5],
    ]);
    expect(audit.counts.loss).toEqual([{ cluster: 'compat', group: AUDITED, topic: AUDIT_TOPIC, count: 2 }]);
    expect(audit.counts.telemetryGaps).toEqual([{ cluster: 'compat', group: AUDITED, service: 'billing', count: 1 }]);
    expect(byJson(audit.duplicates.map((d) => [d.cluster, d.group, d.eventId, d.count]))).toEqual(
      byJson([
        ['compat', ONLY_COMPAT, eventAt[5], 2],
        ['main', SHARED, eventAt[5], 2],
        ['main', '__proto__', eventAt[9], 2],
        ['main', 'constructor', eventAt[6], 2],
      ]),
    );

    const map = await get<FlowMapResponse>('/api/flows?rangeSeconds=3600');
    expect(map.status).toBe(200);
    const ours = map.body.edges.filter((e) => e.from === `topic:${TOPIC}` || e.from === `topic:${AUDIT_TOPIC}`);
    expect(byJson(ours.map((e) => [e.from, e.to, e.group, e.cluster]))).toEqual(
      byJson([
        [`topic:${TOPIC}`, 'service:billing', SHARED, 'main'],
        [`topic:${TOPIC}`, 'service:billing', ONLY_COMPAT, 'compat'],
        [`topic:${AUDIT_TOPIC}`, 'service:billing', AUDITED, 'compat'],
        [`topic:${TOPIC}`, 'service:constructor', '__proto__', 'main'],
        [`topic:${TOPIC}`, 'service:constructor', 'constructor', 'main'],
      ]),
    );
    // Publish edges name no group, so no cluster.
    const publishes = map.body.edges.filter((e) => e.from === 'service:orders');
    expect(publishes.map((e) => [e.to, e.group, e.cluster]).sort()).toEqual([
      [`topic:${AUDIT_TOPIC}`, null, null],
      [`topic:${TOPIC}`, null, null],
    ]);
  });
});
