/**
 * Garbage records never stop the collector's readers of Kafka records (eventscope issue #17):
 * the collector in-process with the tap on every demo topic and the DLQ monitor on the
 * demo's DLQs, the isolated demo exporting spans to it, and every kind of bad record (from
 * demo-services/test/garbage.ts: header values that are null, empty, binary, repeated, huge
 * or named `__proto__`; tombstones, null keys, values that are not Avro, ...) on every demo
 * topic. The tap reads past all of it and keeps mapping the orders placed afterwards, and the
 * DLQ and overview pages answer without a 5xx while the DLQs hold the garbage.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONSUMER_SERVICES, EVENT_TYPES, naming, type RunningDemo, startIsolatedDemo } from '@eventscope/demo-services';
import {
  createKafka,
  ensureTopics,
  getOrder,
  type KafkaJs,
  kafkaModule,
  placeOrder,
  produceGarbage,
  produceGarbageTo,
  produceNullHeaders,
  schemaIdOf,
} from '@eventscope/demo-services/testing';
import { TAP_GROUP } from '../src/tap/index.ts';
import {
  BROKERS,
  REGISTRY_URL,
  demoOn,
  demoSuitePlaces,
  startCollector,
  stopDemoSuite,
  type Collector,
} from './demo-helpers.ts';
import { waitFor } from './traces-helpers.ts';

const { prefix, storeDir, demoDir } = demoSuitePlaces('hostile');
const names = naming(prefix);
const demoTopics = EVENT_TYPES.map((t) => names.topic(t));
/** A DLQ that some other (hostile) service writes: raw garbage straight into a watched `*.dlq`. */
const foreignDlq = `${prefix}foreign.dlq`;
const lines: string[] = [];
let collector: Collector | undefined;
let demo: RunningDemo | undefined;
let kafka: KafkaJs.Kafka;
let admin: KafkaJs.Admin;

/** Records the tap counted on the demo's topics (its eventscope_tap_records_total). */
async function tapCount(): Promise<number> {
  const metric = await collector!.app.metrics.getSingleMetric('eventscope_tap_records_total')?.get();
  return (metric?.values ?? [])
    .filter((v) => demoTopics.includes(String(v.labels.topic)))
    .reduce((sum, v) => sum + v.value, 0);
}

async function recordsOnDemoTopics(): Promise<number> {
  let n = 0;
  for (const topic of demoTopics) {
    for (const p of await admin.fetchTopicOffsets(topic)) n += Number(p.high) - Number(p.low);
  }
  return n;
}

beforeAll(async () => {
  kafka = createKafka([BROKERS], `${prefix}hostile`);
  admin = kafka.admin();
  await admin.connect();
  // The topics exist (empty) before the tap joins, so it reads every record the test makes.
  await ensureTopics(kafka, [...names.allTopics(), foreignDlq], 3);
  collector = await startCollector(prefix, storeDir, 0, { tapTopics: demoTopics });
  const { AssignerProtocol } = kafkaModule();
  await waitFor('the tap to join with the demo topics', async () => {
    const [group] = (await admin.describeGroups([TAP_GROUP])).groups;
    if (group?.state !== 'Stable') return undefined;
    const assigned = new Set<string>();
    for (const m of group.members) {
      const a = AssignerProtocol.MemberAssignment.decode(m.memberAssignment);
      for (const t of Object.keys(a?.assignment ?? {})) assigned.add(t);
    }
    return demoTopics.every((t) => assigned.has(t)) ? true : undefined;
  });
  demo = await startIsolatedDemo({
    ...demoOn(prefix, demoDir, collector.otlpPort),
    withLoadgen: false,
    output: (line) => lines.push(line),
  });
}, 120_000);

afterAll(async () => {
  await admin?.disconnect();
  await stopDemoSuite(prefix, demo, collector, [storeDir, demoDir]);
}, 90_000);

describe('the collector on topics full of garbage', () => {
  it('taps past every garbage record, keeps mapping new events, and its DLQ and overview pages answer', async () => {
    const pids = demo!.services.map((s) => s.pid);
    const garbage = [
      ...(await produceGarbage(kafka, names, EVENT_TYPES, REGISTRY_URL)),
      ...(await produceNullHeaders(BROKERS, demoTopics)),
    ];
    const foreign = [
      ...(await produceGarbageTo(
        kafka,
        foreignDlq,
        'order.placed',
        await schemaIdOf(REGISTRY_URL, names.topic('order.placed')),
      )),
      ...(await produceNullHeaders(BROKERS, [foreignDlq])),
    ];
    const orders = await Promise.all(Array.from({ length: 3 }, () => placeOrder(demo!.orderPort)));
    for (const o of orders) {
      await waitFor(
        `order ${o.orderId} completed`,
        async () => ((await getOrder(demo!.orderPort, o.orderId)).status === 'COMPLETED' ? true : undefined),
        45_000,
      );
    }

    // The tap read every record on the demo topics, garbage included, and mapped the new orders.
    const total = await recordsOnDemoTopics();
    expect(total).toBeGreaterThan(garbage.length);
    await waitFor('the tap to read every record on the demo topics', async () =>
      (await tapCount()) >= total ? true : undefined,
    ).catch(async (error: unknown) => {
      throw new Error(`${String(error)} (tap counted ${await tapCount()} of ${total})`);
    });
    expect(collector!.app.tap.running).toBe(true);
    for (const o of orders) {
      const hops = await collector!.app.store.event(o.eventId);
      expect(hops.records.map((r) => r.topic)).toContain(names.topic('order.placed'));
    }

    // The DLQ monitor sees the garbage in every demo DLQ; its pages and the overview answer.
    const dlqTopics = CONSUMER_SERVICES.map((s) => names.dlq(s));
    await waitFor(
      'the DLQ monitor to count the garbage',
      async () => {
        const res = await collector!.app.inject('/api/dlqs');
        if (res.statusCode !== 200) throw new Error(`/api/dlqs: ${res.statusCode} ${res.body}`);
        const { dlqs } = res.json<{ dlqs: { topic: string; depth: number }[] }>();
        const depth = (t: string) => dlqs.find((d) => d.topic === t)?.depth ?? 0;
        return dlqTopics.every((t) => depth(t) > 0) && depth(foreignDlq) === foreign.length ? true : undefined;
      },
      30_000,
    );
    const urls = [
      '/api/dlqs',
      '/api/overview',
      ...[...dlqTopics, foreignDlq].flatMap((t) => [
        `/api/dlqs/${encodeURIComponent(t)}`,
        `/api/dlqs/${encodeURIComponent(t)}/history`,
      ]),
      '/api/sagas',
    ];
    for (const url of urls) {
      const res = await collector!.app.inject(url);
      expect(res.statusCode, `${url}: ${res.body.slice(0, 300)}`).toBe(200);
    }
    const detail = (await collector!.app.inject(`/api/dlqs/${encodeURIComponent(names.dlq('notification'))}`)).json<{
      dlq: { latest: { errorClass: string | null; originalTopic: string | null }[] };
    }>();
    expect(detail.dlq.latest.length).toBeGreaterThan(0);
    expect(detail.dlq.latest.every((r) => r.errorClass === 'DecodeError')).toBe(true);
    expect(detail.dlq.latest.every((r) => r.originalTopic === names.topic('notification.send'))).toBe(true);

    // The demo kept every process.
    expect(demo!.services.map((s) => s.pid)).toEqual(pids);
    expect(demo!.services.every((s) => s.running)).toBe(true);
  }, 90_000);

  // A DLQ record with a header without a value (kafkajs hands over null) made toDlqRecord call
  // toString on null, so the DLQ's latest records were never read (depth still showed). Runs
  // after the test above, which produced the records.
  it('lists the foreign DLQ records whose headers have no value (the Java producer wrote them last)', async () => {
    await waitFor(
      'the foreign DLQ records with null header values read',
      async () => {
        const res = await collector!.app.inject(`/api/dlqs/${encodeURIComponent(foreignDlq)}`);
        const { dlq } = res.json<{ dlq: { latest: { key: string | null }[] } }>();
        const keys = dlq.latest.map((r) => r.key);
        return keys.includes('null-header') && keys.includes('null-event-id') ? true : undefined;
      },
      10_000,
    );
  });
});
