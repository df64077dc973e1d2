/**
 * A DLQ redrive end to end (issue #18, Tests): the real demo on the real broker, its load
 * generator making poison orders (their reserve fails in the inventory group until the fix is
 * deployed), the collector in-process with auth on. The fix goes in (a file the inventory
 * service checks, no restart), then the operator redrives the poison records to the inventory
 * group's retry topic through the API. Checked against the load generator's ground truth: every
 * saga completes, the redrive's outcome says "N processed, 0 back in the DLQ", and no group but
 * inventory sees any record twice (the flows API; the retry topic holds one copy per record).
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { DLQ_REDRIVE_HEADER } from '@eventscope/contract';
import {
  isolatedDemoEnv,
  loadConfig,
  naming,
  startIsolatedDemo,
  type LoadgenSummary,
  type RunningDemo,
} from '@eventscope/demo-services';
import { createKafka, getOrder, readTopic } from '@eventscope/demo-services/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Redrive, RedriveDryRunResponse as RedriveDryRun, RedriveRequest } from '../src/api-types.ts';
import type { DlqDetail } from '../src/dlq/schemas.ts';
import type { EventView, SagaView } from '../src/flows/schemas.ts';
import { BROKERS, demoOn, demoSuitePlaces, startCollector, stopDemoSuite, type Collector } from './demo-helpers.ts';
import { waitFor } from './harness.ts';

const { prefix, storeDir, demoDir } = demoSuitePlaces('redrive');
const names = naming(prefix);
const dlqTopic = names.dlq('inventory');
const inventoryGroup = names.group('inventory');
const token = (): string => randomBytes(16).toString('hex');
const OPERATOR = token();
const VIEWER = token();
const INGEST = token();
/** 20 orders, every 5th a poison order: 4 records in inventory.dlq, one per poison order. */
const ORDERS = 20;
const POISON_EVERY = 5;
const POISONED = ORDERS / POISON_EVERY;

let collector: Collector | undefined;
let demo: RunningDemo | undefined;
let summary: Promise<LoadgenSummary>;

const demoOptions = {
  ...demoOn(prefix, demoDir, 0),
  // The poison sagas wait for the redrive instead of timing out; spans need the ingest token.
  env: { DEMO_STEP_TIMEOUT_MS: '600000', OTEL_EXPORTER_OTLP_HEADERS: `authorization=Bearer%20${INGEST}` },
};

async function api<T>(
  method: 'GET' | 'POST',
  url: string,
  bearer: string,
  body?: RedriveRequest,
): Promise<{ status: number; body: T }> {
  const res = await collector!.app.inject({
    method,
    url,
    headers: { authorization: `Bearer ${bearer}` },
    ...(body !== undefined ? { payload: body } : {}),
  });
  return { status: res.statusCode, body: res.json<T>() };
}

const dlqUrl = `/api/dlqs/${encodeURIComponent(dlqTopic)}`;

beforeAll(async () => {
  collector = await startCollector(prefix, storeDir, 0, {
    tokens: [`ops:operator:${OPERATOR}`, `ann:viewer:${VIEWER}`],
    ingestToken: INGEST,
  });
  const summaryFile = path.join(storeDir, 'loadgen.json');
  demo = await startIsolatedDemo({
    ...demoOptions,
    otlpEndpoint: `http://127.0.0.1:${collector.otlpPort}`,
    // The load generator waits (drain) until every saga ended: the poison ones end after the redrive.
    loadgenArgs: [
      ...['--count', `${ORDERS}`, '--rate', '10', '--poison-order-every', `${POISON_EVERY}`],
      ...['--drain-timeout', '300', '--quiet'],
    ],
    summaryFile,
    output: () => undefined,
  });
  summary = demo.summary!;
  summary.catch(() => undefined);
}, 180_000);

afterAll(async () => {
  await stopDemoSuite(prefix, demo, collector, [storeDir, demoDir]);
}, 120_000);

describe('redrive of poison records to the failed group retry topic', () => {
  it('fixed, redriven: the sagas complete, once, and the outcome matches the ground truth', async () => {
    // The poison reserves reach inventory.dlq; their orders wait.
    const dead = await waitFor(
      'the poison records in inventory.dlq',
      async () => {
        const { status, body } = await api<DlqDetail>('GET', dlqUrl, VIEWER);
        // The latest records are read on the poll after the depth's: wait for both.
        if (status !== 200 || body.dlq.depth !== POISONED || body.dlq.latest.length !== POISONED)
          throw new Error(`${status}: ${JSON.stringify(body)}`);
        return body.dlq.latest;
      },
      120_000,
    );
    expect(dead.map((r) => [r.consumerGroup, r.errorClass, r.originalTopic])).toEqual(
      Array.from({ length: POISONED }, () => [inventoryGroup, 'PoisonError', names.topic('inventory.reserve')]),
    );
    const poisonOrders = dead.map((r) => r.key ?? '').sort();
    for (const id of poisonOrders) expect((await getOrder(demo!.orderPort, id)).status).toBe('PENDING');

    const request: RedriveRequest = {
      select: { kind: 'filter', errorClass: 'PoisonError', group: inventoryGroup },
      target: { kind: 'group-retry' },
      ratePerSecond: 50,
    };
    const redrivesUrl = `${dlqUrl}/redrives`;
    // A dry run first: the count and a sample, nothing sent.
    const dry = await api<RedriveDryRun>('POST', redrivesUrl, OPERATOR, { ...request, dryRun: true });
    expect(dry.status).toBe(200);
    expect(dry.body.count).toBe(POISONED);
    expect(dry.body.sample.map((r) => r.key ?? '').sort()).toEqual(poisonOrders);
    // Only the operator role redrives.
    expect((await api('POST', redrivesUrl, VIEWER, request)).status).toBe(403);

    // The fix is deployed (the inventory service checks the file per record), then the redrive.
    writeFileSync(loadConfig(isolatedDemoEnv(demoOptions)).poisonFixFile, '');
    const started = await api<{ redrive: Redrive }>('POST', redrivesUrl, OPERATOR, request);
    expect(started.status, JSON.stringify(started.body)).toBe(202);
    const id = started.body.redrive.id;
    const done = await waitFor(
      'the redrive completed with every record processed',
      async () => {
        const { body } = await api<{ redrive: Redrive }>('GET', `/api/redrives/${id}`, VIEWER);
        const r = body.redrive;
        return r.status !== 'running' && r.outcome.pending === 0 ? r : undefined;
      },
      120_000,
    );
    expect(done).toMatchObject({
      status: 'completed',
      dlqTopic,
      selected: POISONED,
      sent: POISONED,
      failed: 0,
      error: null,
      outcome: { processed: POISONED, deadLetteredAgain: 0, pending: 0 },
    });

    // The load generator's ground truth: every order completed, the poison ones among them.
    const truth = await summary;
    expect(truth).toMatchObject({ placed: ORDERS, completed: ORDERS, pending: 0, httpErrors: 0 });
    expect([...truth.poisonOrderIds].sort()).toEqual(poisonOrders);
    const outcomes = new Map(truth.sagas.map((s) => [s.orderId, s.outcome]));
    for (const orderId of poisonOrders) expect(outcomes.get(orderId)).toBe('completed');

    // The redriven copies went to inventory.retry only, one per record, with the redrive headers.
    const kafka = createKafka([BROKERS], `${prefix}redrive-test`);
    const retried = await readTopic(kafka, names.retry('inventory'));
    expect(retried.map((r) => r.key ?? '').sort()).toEqual(poisonOrders);
    for (const r of retried) expect(r.headers[DLQ_REDRIVE_HEADER.redriveId]).toBe(id);

    // Per event of each poison saga, as the collector saw the deliveries: the inventory group
    // handled the redriven reserve once (dead-lettered, then processed from its retry topic);
    // no group processed any event twice, no other group saw an event more than once.
    const redrivenIds = new Set(retried.map((r) => r.headers['event-id']));
    for (const orderId of poisonOrders) {
      await waitFor(
        `saga ${orderId} complete in the collector, every event delivered once per group`,
        async () => {
          const saga = await api<SagaView>('GET', `/api/sagas/${orderId}`, VIEWER);
          if (saga.status !== 200 || saga.body.status !== 'completed') return undefined;
          const eventIds = new Set(saga.body.hops.flatMap((h) => (h.eventId === null ? [] : [h.eventId])));
          for (const eventId of eventIds) {
            const { body } = await api<EventView>('GET', `/api/events/${eventId}`, VIEWER);
            // A group's view is per topic: the retry topic's deliveries are a view of their own.
            const byGroup = new Map<string, string[]>();
            for (const g of body.groups) {
              expect(g.duplicate, `${eventId} in ${g.group} on ${g.topic}`).toBe(false);
              const seen = byGroup.get(g.group) ?? [];
              for (const d of g.deliveries) if (d.outcome !== 'retried') seen.push(`${d.outcome} ${d.topic}`);
              byGroup.set(g.group, seen);
            }
            for (const [group, seen] of byGroup) {
              const redriven = redrivenIds.has(eventId) && group === inventoryGroup;
              const expected = redriven
                ? [`dead_lettered ${names.topic('inventory.reserve')}`, `processed ${names.retry('inventory')}`]
                : [expect.stringMatching(/^processed /)];
              expect(seen.sort(), `${body.eventType} in ${group}`).toEqual(expected);
            }
          }
          return true;
        },
        60_000,
      );
    }
  }, 300_000);
});
