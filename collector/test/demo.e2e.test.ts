/**
 * Demo traffic end to end: the collector in-process (a real store file, the Kafka monitor
 * polling every second, the OTLP port listening) receives the spans of every demo service and
 * of the load generator, and what it reports is checked against the load generator's own
 * ground truth (its --json-out summary): saga outcomes and end-to-end latencies, poison
 * records dead-lettered, duplicates found, and every placed event found by its id.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LoadgenSaga, LoadgenSummary } from '@eventscope/demo-services';
import type { DlqDetail } from '../src/dlq/schemas.ts';
import type { Static } from 'typebox';
import type { AuditView, EventView, SagaView } from '../src/flows/schemas.ts';
import {
  cleanupPrefix,
  getJson,
  removeDir,
  runDemo,
  startCollector,
  tempDir,
  uniquePrefix,
  type Collector,
  type Demo,
} from './demo-helpers.ts';
import { waitFor } from './traces-helpers.ts';

const prefix = uniquePrefix('e2e');
const storeDir = tempDir('e2e-store');
let collector: Collector | undefined;
let demo: Demo | undefined;
let summary: LoadgenSummary;
let loadgenGroup: string;
/** Saga views by correlation id, as the collector reports them once everything has arrived. */
const sagas = new Map<string, SagaView>();
const lastSeen = new Map<string, SagaView>();

const terminal = (): LoadgenSaga[] => summary.sagas.filter((s) => s.outcome !== null);

/** The loadgen group's delivery of the saga's terminal event, in the collector's saga view. */
function loadgenDelivery(view: SagaView, s: LoadgenSaga): SagaView['hops'][number]['deliveries'][number] | undefined {
  const hop = view.hops.find((h) => h.eventId === s.terminalEventId && h.publishedMs !== null);
  return hop?.deliveries.find((d) => isLoadgen(d) && d.outcome === 'processed');
}

/** The saga's order.placed publish (its span can arrive after the terminal delivery's). */
function placedPublish(view: SagaView, s: LoadgenSaga): SagaView['hops'][number] | undefined {
  return view.hops.find((h) => h.eventId === s.placedEventId && h.publishedMs !== null);
}

/**
 * The load generator's deliveries. Its consumer is a plain kafkajs consumer traced by
 * @opentelemetry/instrumentation-kafkajs, which records no consumer group on process spans;
 * the collector then names the group after the service (service.name `loadgen`).
 */
const isLoadgen = (d: { group: string; service: string }): boolean =>
  d.group === loadgenGroup || (d.service === 'loadgen' && d.group === 'loadgen');

beforeAll(async () => {
  collector = await startCollector(prefix, storeDir);
  const summaryFile = path.join(storeDir, 'loadgen.json');
  demo = await runDemo(
    prefix,
    collector.otlpPort,
    [
      '--count',
      '60',
      '--rate',
      '10',
      '--decline-rate',
      '0.2',
      '--poison-rate',
      '0.15', // poison: P(none in 60 orders) = 0.85^60 < 1e-4
      '--duplicate-rate',
      '0.2',
      '--quiet',
    ],
    summaryFile,
  );
  const pending = demo.demo.summary;
  if (!pending) throw new Error('startDemo gave no summary promise');
  summary = await pending;
  loadgenGroup = `${prefix}loadgen-${summary.runId}`;
  const app = collector.app;
  // Spans arrive after the load generator has exited (batch span processors flush every few
  // seconds): wait, with a deadline, until every terminal saga has ended in the collector with
  // the loadgen's own delivery of its terminal event, and every poison record is dead-lettered.
  // The tests below then say what is missing or wrong, saga by saga.
  let missing: string[] = [];
  await waitFor(
    'the collector to assemble every saga the load generator saw end',
    async () => {
      missing = [];
      for (const s of terminal()) {
        if (sagas.has(s.orderId)) continue;
        const res = await getJson<SagaView>(app, `/api/sagas/${s.orderId}`);
        if (res.status !== 200) missing.push(`saga ${s.orderId}: ${res.status}`);
        else if (res.body.status === 'in_flight' || !loadgenDelivery(res.body, s) || !placedPublish(res.body, s)) {
          missing.push(
            `saga ${s.orderId}: ${res.body.status}, loadgen delivery ${!!loadgenDelivery(res.body, s)}, ` +
              `order.placed publish ${!!placedPublish(res.body, s)}`,
          );
          lastSeen.set(s.orderId, res.body);
        } else sagas.set(s.orderId, res.body);
      }
      for (const id of summary.poisonEventIds) {
        const res = await getJson<EventView>(app, `/api/events/${id}`);
        if (res.status !== 200 || !res.body.deadLettered) missing.push(`poison ${id}: ${res.status}`);
      }
      return missing.length === 0 ? true : undefined;
    },
    90_000,
  ).catch(() => console.error(`still missing after the wait:\n${missing.join('\n')}`));
  for (const [id, view] of lastSeen) if (!sagas.has(id)) sagas.set(id, view);
}, 240_000);

afterAll(async () => {
  await demo?.demo.stop();
  await collector?.close();
  await cleanupPrefix(prefix);
  removeDir(storeDir);
  if (demo) removeDir(demo.dataDir);
}, 120_000);

describe('the collector against the load generator on demo traffic', () => {
  it('ran a load with every kind of saga, poison record and duplicate', () => {
    expect(summary.placed).toBe(60);
    expect(terminal().length).toBe(summary.placed - summary.pending);
    expect(summary.completed).toBeGreaterThan(0);
    expect(summary.compensated).toBeGreaterThan(0);
    expect(summary.poisonEventIds.length).toBeGreaterThan(0);
    expect(summary.duplicateEventIds.length).toBeGreaterThan(0);
  });

  it('reports every terminal saga with the outcome the load generator saw', () => {
    const wrong = terminal()
      .map((s) => ({ orderId: s.orderId, loadgen: s.outcome, collector: sagas.get(s.orderId)?.status }))
      .filter((x) => x.loadgen !== x.collector);
    expect(wrong).toEqual([]);
    for (const s of terminal()) {
      expect(sagas.get(s.orderId)?.terminalEventType).toBe(s.terminalEventType?.replace(prefix, '') ?? null);
    }
  });

  it('lists every terminal saga as its detail shows it, and counts each once in the latency histogram', async () => {
    const app = (collector as Collector).app;
    const differ: unknown[] = [];
    for (const s of terminal()) {
      // Both read now: a later-arriving, earlier-starting terminal delivery moves the end in both.
      const detail = (await getJson<SagaView>(app, `/api/sagas/${s.orderId}`)).body;
      const res = await getJson<{
        items: { correlationId: string; sagaType: string | null; status: string; endToEndMs: number | null }[];
      }>(app, `/api/sagas?q=${encodeURIComponent(s.orderId)}&limit=5`);
      const item = res.body.items.find((i) => i.correlationId === s.orderId);
      const want = { sagaType: 'order', status: detail?.status, endToEndMs: detail?.endToEndMs };
      const got = { sagaType: item?.sagaType, status: item?.status, endToEndMs: item?.endToEndMs };
      if (JSON.stringify(want) !== JSON.stringify(got)) differ.push({ orderId: s.orderId, want, got });
    }
    expect(differ).toEqual([]);
    // Sagas whose terminal delivery arrived before their order.placed span were held back until
    // it came: every saga is counted once, as an order saga, whatever order its spans came in.
    // The store's rows are readable a moment before the ingest that wrote them has updated the
    // metrics (the writer thread answers first): drain the intake, then give the metrics a deadline.
    await app.intake.flush();
    const histogram = async (): Promise<RegExpExecArray[]> => {
      const metrics = (await app.inject('/metrics')).body;
      return [...metrics.matchAll(/^eventscope_saga_end_to_end_seconds_count\{([^}]*)\} (\d+)/gm)];
    };
    const sum = (counts: RegExpExecArray[]): number => counts.reduce((n, m) => n + Number(m[2]), 0);
    const counts = await waitFor(
      'every ended saga in the latency histogram',
      async () => {
        const c = await histogram();
        return sum(c) >= terminal().length ? c : undefined;
      },
      20_000,
    ).catch(() => histogram());
    expect(counts.map((m) => m[1]).filter((labels) => !(labels ?? '').includes('saga_type="order"'))).toEqual([]);
    expect(sum(counts)).toBe(terminal().length);
  });

  it("reports end-to-end latencies that agree with the load generator's own", async () => {
    const app = (collector as Collector).app;
    // The two measure between different instants. All are Date.now() readings (integer ms; the
    // SDK stamps a span's start with Date.now() too, sdk-trace SpanImpl):
    //  - collector: saga start S = its first publish (start of a producer span: the record
    //    handed to the client): normally the order service's send of order.placed (P), but a
    //    poison record the load generator sends with the order's correlation id can go out
    //    before the order service's outbox relay sends order.placed, and then it is first.
    //    End D = start of the first processed delivery of the terminal event, by any group.
    //  - load generator: from placedAt T = the order.placed record timestamp, which the outbox
    //    relay sets (CreateTime) just before it calls send, whose span then starts: T <= P, a
    //    few synchronous steps apart (0 ms, or 1 for a clock tick, unless the process is
    //    preempted). (Left to kafkajs, T was stamped when the produce request was encoded,
    //    inside the send span and up to ~100 ms after its start.) To H = when its consumer's
    //    eachMessage began, after the
    //    instrumentation started its process span at L. L <= H, and only a few synchronous
    //    steps apart (instrumentation-kafkajs eachMessage patch: extract context, start span,
    //    call the handler): 0 ms, or 1 for a clock tick, on a quiet machine. A GC pause or the
    //    process being preempted on a loaded 2-core machine adds more (10-30 ms seen for a few
    //    sagas while other tests ran).
    // So, per saga, by construction:
    //  (1) D <= L <= H: the collector's end is no later than the load generator's own handling,
    //      i.e. collector e2e <= loadgen latency + (T - S), +1 ms for a clock tick.
    //  (2) the load generator's delivery in the collector's saga view, from the first publish,
    //      minus its latency = (T - S) - (H - L) <= T - S.
    // And over the run, the design's "within 1 ms": that difference, |(L - S) - (H - T)|, is at
    // most (P - T) + (H - L), held to 1 ms at the median and 2 ms for 80% of the sagas (the rest
    // is the scheduling noise above, which no observer outside those processes can see).
    const poison = new Set(summary.poisonEventIds);
    // A re-published order.placed (the load generator's duplicates) has a second send span with
    // the same event id, sent after the load generator consumed the first: the relations of the
    // order.placed send (P) to its record timestamp hold for the first send only, so those sagas
    // are held to the relations that do not involve P.
    const republished = new Set(summary.duplicateEventIds);
    const bad: unknown[] = [];
    const sameClockDiffs: number[] = [];
    for (const s of terminal()) {
      const view = sagas.get(s.orderId) as SagaView;
      const placed = placedPublish(view, s);
      const P = placed?.publishedMs ?? NaN;
      const sendEnd = (await getJson<EventView>(app, `/api/events/${s.placedEventId}`)).body.publish?.endMs ?? NaN;
      const S = view.startMs;
      const T = s.placedAt ?? NaN;
      const H = s.handledAt ?? NaN;
      const L = loadgenDelivery(view, s)?.startMs ?? NaN;
      const e2e = view.endToEndMs ?? NaN;
      const latency = s.latencyMs ?? NaN;
      const row = { orderId: s.orderId, e2e, latency, S: S - T, P: P - T, L: L - T, H: H - T };
      const firstHop = view.hops.find((h) => h.publishedMs === S);
      const once = !republished.has(s.placedEventId ?? '');
      if (once && (!(S <= P) || (S < P && !poison.has(firstHop?.eventId ?? ''))))
        bad.push({ ...row, why: 'saga start' });
      else if (once && !(T <= P && P <= sendEnd)) {
        bad.push({ ...row, why: 'record timestamp after the send span started' });
      } else if (!(e2e <= latency + (T - S) + 1)) bad.push({ ...row, why: '(1) e2e > loadgen' });
      else if (!(L - S - latency <= T - S)) bad.push({ ...row, why: '(2) from first publish' });
      else if (!(H >= L)) bad.push({ ...row, why: 'loadgen handled before its span started' });
      // Same clock points, for the sagas that start with order.placed (S = P).
      if (once && S === P) sameClockDiffs.push(Math.abs(L - S - latency));
    }
    expect(bad).toEqual([]);
    expect(sameClockDiffs.length).toBeGreaterThan(terminal().length / 2);
    sameClockDiffs.sort((a, b) => a - b);
    const gaps = JSON.stringify(sameClockDiffs);
    expect(sameClockDiffs[Math.floor(sameClockDiffs.length / 2)], gaps).toBeLessThanOrEqual(1);
    expect(sameClockDiffs.filter((g) => g <= 2).length, gaps).toBeGreaterThanOrEqual(0.8 * sameClockDiffs.length);
  });

  it('finds every poison record dead-lettered to the inventory DLQ, with its record in the DLQ API', async () => {
    const app = (collector as Collector).app;
    const dlqTopic = `${prefix}inventory.dlq`;
    for (const id of summary.poisonEventIds) {
      const res = await getJson<EventView>(app, `/api/events/${id}`);
      expect(res.status).toBe(200);
      expect(res.body.deadLettered).toBe(true);
      const inventory = res.body.groups.find((g) => g.group === `${prefix}inventory`);
      expect(inventory?.state, JSON.stringify(res.body.groups)).toBe('dead_lettered');
      expect(inventory?.deliveries.some((d) => d.dlqTopic === dlqTopic)).toBe(true);
    }
    // The DLQ API keeps the latest records (20 by default): more than the poison records here.
    const dlq = await waitFor('the DLQ tail to hold every poison record', async () => {
      const res = await getJson<DlqDetail>(app, `/api/dlqs/${encodeURIComponent(dlqTopic)}`);
      if (res.status !== 200) return undefined;
      const ids = new Set(res.body.dlq.latest.map((r) => r.eventId));
      return summary.poisonEventIds.every((id) => ids.has(id)) ? res.body.dlq : undefined;
    });
    expect(dlq.depth).toBeGreaterThanOrEqual(summary.poisonEventIds.length);
    for (const r of dlq.latest.filter((x) => summary.poisonEventIds.includes(x.eventId ?? ''))) {
      expect(r.originalTopic).toBe(`${prefix}inventory.reserve`);
      expect(r.consumerGroup).toBe(`${prefix}inventory`);
      expect(r.errorClass).not.toBeNull();
    }
  });

  it('finds every duplicate publish as a duplicate delivery in each group that consumes order.placed', async () => {
    const app = (collector as Collector).app;
    const ids = [...new Set(summary.duplicateEventIds)];
    // Both consume order.placed: the orchestrator de-duplicates (outcome duplicate), the load
    // generator (which re-published the record) processes it twice.
    const isDuplicate = (view: EventView, group: (g: EventView['groups'][number]) => boolean): boolean =>
      view.groups.some((g) => group(g) && (g.duplicate || g.deliveries.some((d) => d.outcome === 'duplicate')));
    const orchestrator = (g: EventView['groups'][number]): boolean => g.group === `${prefix}orchestrator`;
    const loadgen = (g: EventView['groups'][number]): boolean => g.deliveries.some(isLoadgen);
    const views = new Map<string, EventView>();
    let missing: string[] = [];
    await waitFor('every duplicate with its duplicate deliveries', async () => {
      missing = [];
      for (const id of ids) {
        if (views.has(id)) continue;
        const res = await getJson<EventView>(app, `/api/events/${id}`);
        if (res.status === 200 && isDuplicate(res.body, orchestrator) && isDuplicate(res.body, loadgen)) {
          views.set(id, res.body);
        } else
          missing.push(
            `${id}: ${res.status} ${JSON.stringify(res.body.groups?.map((g) => [g.group, g.state, g.processedCount]))}`,
          );
      }
      return missing.length === 0 ? true : undefined;
    }).catch(() => undefined);
    expect(missing).toEqual([]);
    const audit = (await getJson<Static<typeof AuditView>>(app, '/api/audit?limit=1000')).body;
    const audited = new Set(audit.duplicates.map((d) => `${d.group} ${d.eventId}`));
    for (const id of ids) {
      const view = views.get(id) as EventView;
      expect(view.duplicate).toBe(true);
      expect(view.republishes.length).toBeGreaterThanOrEqual(1);
      expect(view.groups.find(orchestrator)?.deliveries.some((d) => d.outcome === 'duplicate')).toBe(true);
      // The load generator's second processed delivery is counted in the duplicates audit.
      const lg = view.groups.find(loadgen);
      expect(lg?.processedCount).toBeGreaterThanOrEqual(2);
      expect(audited.has(`${lg?.group} ${id}`)).toBe(true);
    }
  });

  it('finds every placed event by its id, with its saga', async () => {
    const app = (collector as Collector).app;
    const placed = summary.sagas.filter((s) => s.placedEventId !== null);
    expect(placed.length).toBe(summary.placed);
    for (const s of placed) {
      const res = await getJson<EventView>(app, `/api/events/${s.placedEventId}`);
      expect(res.status, s.placedEventId ?? '').toBe(200);
      expect(res.body.correlationId).toBe(s.orderId);
      expect(res.body.eventType).toBe('order.placed');
      expect(res.body.publish?.topic).toBe(`${prefix}order.placed`);
      expect(res.body.groups.some((g) => g.group === `${prefix}orchestrator` && g.state === 'processed')).toBe(true);
    }
  });
});
