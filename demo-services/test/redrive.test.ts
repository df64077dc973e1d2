/**
 * The demo's side of a DLQ redrive, with every service a real process on the real broker: a
 * poison order's reserve fails until the fix file exists, each group consumes its own retry
 * topic `<group>.retry` like its topics, a redriven record that was dead-lettered is handled
 * once the fix is in, and one already handled is a duplicate (no second side effect). The
 * collector's redrive API is tested end to end in collector/test/dlq.redrive.e2e.test.ts.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';
import { newEventId } from '../src/lib/envelope.ts';
import { kafkaModule, type KafkaJs } from '../src/lib/kafka.ts';
import { CONSUMER_SERVICES, naming } from '../src/topics.ts';
import { createTestEnv, getOrder, placeOrder, readTopic, waitFor, type ReadRecord, type TestEnv } from './helpers.ts';

let t: TestEnv;
let producer: KafkaJs.Producer;

beforeAll(async () => {
  // The poison order's saga must wait for the redrive, not time out.
  t = await createTestEnv('redrive', { DEMO_STEP_TIMEOUT_MS: '600000' });
  await Promise.all(CONSUMER_SERVICES.map((s) => t.start(s)));
  producer = t.kafka.producer({ createPartitioner: kafkaModule().Partitioners.DefaultPartitioner });
  await producer.connect();
}, 120_000);

afterAll(async () => {
  await producer?.disconnect();
  await t?.cleanup();
}, 60_000);

/** What a redrive to the group's retry topic does: the record again, its key, value and headers kept. */
async function redriveTo(topic: string, record: ReadRecord, headers: Record<string, string> = {}): Promise<void> {
  await producer.send({
    topic,
    messages: [{ key: record.key, value: record.value, headers: { ...record.headers, ...headers } }],
  });
}

const dlqOf = async (orderId: string): Promise<ReadRecord[]> =>
  (await readTopic(t.kafka, t.names.dlq('inventory'))).filter((r) => r.key === orderId);

/** Deploys the fix (`true`) or takes it back: the poison step fails while the file is missing. */
const fixPoison = (on: boolean): void =>
  on ? writeFileSync(loadConfig(t.env).poisonFixFile, '') : rmSync(loadConfig(t.env).poisonFixFile, { force: true });

/** Places an order with a poison SKU and waits for its reserve in inventory.dlq. */
async function placePoisonOrder(): Promise<{ orderId: string; dead: ReadRecord }> {
  const placed = await placeOrder(t.orderPort, {
    customer: 'pat',
    items: [
      { sku: 'poison-widget', quantity: 1, price: 10, currency: 'EUR' },
      { sku: 'sku-ok', quantity: 2, price: 3, currency: 'EUR' },
    ],
  });
  const [dead] = await waitFor('the poison reserve in inventory.dlq', async () => {
    const found = await dlqOf(placed.orderId);
    return found.length > 0 ? found : undefined;
  });
  return { orderId: placed.orderId, dead: dead! };
}

const terminal = (orderId: string) =>
  waitFor(`order ${orderId} terminal`, async () => {
    const o = await getOrder(t.orderPort, orderId);
    return o.status !== 'PENDING' ? o : undefined;
  });

const count = (service: string, sql: string, ...params: unknown[]): number =>
  (
    t
      .store(service)
      .prepare(`SELECT count(*) AS n FROM ${sql}`)
      .get(...params) as { n: number }
  ).n;

describe('naming and config', () => {
  it('every group has a retry topic, created with the others; the fix file defaults into the data dir', () => {
    const n = naming('p.');
    expect(n.retry('inventory')).toBe('p.inventory.retry');
    expect(n.allTopics()).toEqual(expect.arrayContaining(CONSUMER_SERVICES.map((s) => `p.${s}.retry`)));
    expect(loadConfig({ DEMO_DATA_DIR: '/tmp/d', DEMO_TOPIC_PREFIX: 'p.' }).poisonFixFile).toBe(
      '/tmp/d/p.poison-fixed',
    );
    expect(loadConfig({ DEMO_POISON_FIX_FILE: '/tmp/x/fixed' }).poisonFixFile).toBe('/tmp/x/fixed');
  });
});

describe('redrive to the group retry topic', () => {
  it('a poison order is dead-lettered, stays pending, then completes once fixed and redriven; once only', async () => {
    const inventoryGroup = t.names.group('inventory');
    const retry = t.names.retry('inventory');
    fixPoison(false);
    const { orderId, dead } = await placePoisonOrder();
    expect(dead.headers).toMatchObject({
      'event-type': 'inventory.reserve',
      'correlation-id': orderId,
      'dlq-consumer-group': inventoryGroup,
      'dlq-error-class': 'PoisonError',
      'dlq-original-topic': t.names.topic('inventory.reserve'),
      'dlq-attempts': '1',
    });
    expect((await getOrder(t.orderPort, orderId)).status).toBe('PENDING');
    const eventId = dead.headers['event-id']!;
    expect(dead.headers['dlq-error-message']).toMatch(/poison SKU/);

    // Redriven before the fix: it fails again, back to the DLQ, now from the retry topic.
    await redriveTo(retry, dead);
    const again = await waitFor('the redriven record back in the DLQ', async () => {
      const found = await dlqOf(orderId);
      return found.length === 2 ? found[1] : undefined;
    });
    expect(again.headers).toMatchObject({
      'event-id': eventId,
      'dlq-original-topic': retry,
      'dlq-error-class': 'PoisonError',
    });

    // The fix is deployed (no restart), the record redriven: the saga completes.
    fixPoison(true);
    await redriveTo(retry, dead, { 'dlq-redrive-id': 'by-hand' });
    const done = await terminal(orderId);
    expect(done.status, String(done.reason)).toBe('COMPLETED');
    expect(count('inventory', "reservations WHERE order_id = ? AND status = 'RESERVED'", orderId)).toBe(2);
    expect(
      t.store('inventory').prepare('SELECT outcome, topic FROM processed_events WHERE event_id = ?').get(eventId),
    ).toEqual({ outcome: 'processed', topic: retry });

    // Redriven once more: a duplicate, no second reservation and no second reply.
    await redriveTo(retry, dead);
    await waitFor('the second redrive seen as a duplicate', () =>
      count('inventory', 'duplicates WHERE event_id = ? AND topic = ?', eventId, retry) === 1 ? true : undefined,
    );
    expect(count('inventory', 'reservations WHERE order_id = ?', orderId)).toBe(2);
    expect(count('inventory', 'dead_letters WHERE event_id = ?', eventId)).toBe(2);
    expect(
      (await readTopic(t.kafka, t.names.topic('inventory.reserved'))).filter((r) => r.key === orderId),
    ).toHaveLength(1);
    // No other group saw any of it: the orchestrator handled one reply and no duplicate for the order.
    expect(count('orchestrator', "saga_log WHERE order_id = ? AND to_state = 'CHARGING_PAYMENT'", orderId)).toBe(1);
    expect(count('orchestrator', 'duplicates')).toBe(0);
    expect(count('payment', 'charges WHERE order_id = ?', orderId)).toBe(1);
  });

  it('to the original topic: handled only with dlq-redrive-id, a plain re-publish stays a duplicate', async () => {
    fixPoison(false);
    const { orderId, dead } = await placePoisonOrder();
    const eventId = dead.headers['event-id']!;
    const original = t.names.topic('inventory.reserve');
    fixPoison(true);
    // Without the redrive header it is a redelivery of an event already dead-lettered: skipped.
    await redriveTo(original, dead);
    await waitFor('the plain re-publish seen as a duplicate', () =>
      count('inventory', 'duplicates WHERE event_id = ? AND topic = ?', eventId, original) === 1 ? true : undefined,
    );
    expect((await getOrder(t.orderPort, orderId)).status).toBe('PENDING');
    await redriveTo(original, dead, { 'dlq-redrive-id': 'r-1', 'dlq-redrive-count': '1' });
    expect((await terminal(orderId)).status).toBe('COMPLETED');
    expect(count('inventory', "reservations WHERE order_id = ? AND status = 'RESERVED'", orderId)).toBe(2);
    expect(count('payment', 'charges WHERE order_id = ?', orderId)).toBe(1);
  });

  it('a processed record redriven is a duplicate; a type the group does not consume goes to its DLQ', async () => {
    const { orderId } = await placeOrder(t.orderPort);
    await waitFor('order completed', async () => (await getOrder(t.orderPort, orderId)).status === 'COMPLETED');
    const charge = (await readTopic(t.kafka, t.names.topic('payment.charge'))).find((r) => r.key === orderId);
    expect(charge).toBeDefined();
    const chargeId = charge!.headers['event-id']!;
    await redriveTo(t.names.retry('payment'), charge!);
    await waitFor('the redriven charge seen as a duplicate', () =>
      count('payment', 'duplicates WHERE event_id = ?', chargeId) === 1 ? true : undefined,
    );
    expect(count('payment', 'charges WHERE order_id = ?', orderId)).toBe(1);

    // On the notification group's retry topic: the same command (not a type that group handles),
    // event types named like Object.prototype members, and a record without headers.
    const retry = t.names.retry('notification');
    const stray = (eventType: string): ReadRecord => ({
      ...charge!,
      headers: { ...charge!.headers, 'event-id': newEventId(), 'event-type': eventType },
    });
    const strays = ['payment.charge', '__proto__', 'constructor', 'toString'].map(stray);
    for (const record of strays) await redriveTo(retry, record);
    await producer.send({ topic: retry, messages: [{ key: 'no-headers', value: Buffer.from('x') }] });
    const dlq = await waitFor('every stray record in notification.dlq', async () => {
      const records = await readTopic(t.kafka, t.names.dlq('notification'));
      const found = strays.map((r) => records.find((d) => d.headers['event-id'] === r.headers['event-id']));
      const bare = records.find((d) => d.key === 'no-headers');
      return found.every((r) => r !== undefined) && bare ? [...found, bare] : undefined;
    });
    for (const [i, record] of dlq.entries()) {
      expect(record.headers, `stray ${i}`).toMatchObject({
        'dlq-error-class': 'DecodeError',
        'dlq-original-topic': retry,
        'dlq-consumer-group': t.names.group('notification'),
      });
    }
    expect(dlq[0]!.headers['dlq-error-message']).toMatch(/payment\.charge .* is not one group .*notification consumes/);
    expect(dlq[1]!.headers['dlq-error-message']).toMatch(/__proto__ .* is not one group/);
    expect(count('notification', 'processed_events WHERE topic = ?', retry)).toBe(0);
  });
});
