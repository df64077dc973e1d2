/**
 * The saga end to end, against the real broker and registry, with every service a real
 * process: happy path, compensation, rejection, duplicates and a poison record. Assertions
 * read each service's own SQLite store and the Kafka topics.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kafkaModule } from '../src/lib/kafka.ts';
import { committedOffsets, createTestEnv, getOrder, placeOrder, readTopic, waitFor, type TestEnv } from './helpers.ts';

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
let t: TestEnv;

beforeAll(async () => {
  t = await createTestEnv('saga');
  await Promise.all(['order', 'orchestrator', 'inventory', 'payment', 'notification'].map((s) => t.start(s)));
}, 120_000);

afterAll(async () => {
  await t?.cleanup();
}, 60_000);

function terminal(orderId: string) {
  return waitFor(`order ${orderId} terminal`, async () => {
    const o = await getOrder(t.orderPort, orderId);
    return o.status !== 'PENDING' ? o : undefined;
  });
}

function stat(service: string, name: string): number {
  const row = t.store(service).prepare('SELECT value FROM stats WHERE name = ?').get(name) as
    { value: number } | undefined;
  return row?.value ?? 0;
}

describe('order saga', () => {
  it('happy path: reserved, charged, notified, completed; envelope headers on every record', async () => {
    const placed = await placeOrder(t.orderPort, {
      customer: 'ann',
      items: [
        { sku: 'sku-1', quantity: 2, price: 10, currency: 'EUR' },
        { sku: 'sku-2', quantity: 1, price: 5.5, currency: 'EUR' },
      ],
    });
    expect(placed.status).toBe('PENDING');
    expect(placed.orderId).toMatch(UUID_V7);
    const done = await terminal(placed.orderId);
    expect(done.status).toBe('COMPLETED');

    const saga = t.store('orchestrator').prepare('SELECT * FROM sagas WHERE order_id = ?').get(placed.orderId) as {
      status: string;
      compensated: number;
    };
    expect(saga).toMatchObject({ status: 'COMPLETED', compensated: 0 });
    const steps = t
      .store('orchestrator')
      .prepare('SELECT to_state FROM saga_log WHERE order_id = ? ORDER BY id')
      .all(placed.orderId)
      .map((r) => (r as { to_state: string }).to_state);
    expect(steps).toEqual(['RESERVING_INVENTORY', 'CHARGING_PAYMENT', 'NOTIFYING', 'COMPLETED']);
    // The saga ends when the orchestrator has processed its own terminal event (event contract).
    await waitFor('saga closed', () =>
      t
        .store('orchestrator')
        .prepare('SELECT 1 FROM sagas WHERE order_id = ? AND closed_at IS NOT NULL')
        .get(placed.orderId),
    );
    const reservations = t
      .store('inventory')
      .prepare('SELECT sku, quantity, status FROM reservations WHERE order_id = ? ORDER BY sku')
      .all(placed.orderId);
    expect(reservations).toEqual([
      { sku: 'sku-1', quantity: 2, status: 'RESERVED' },
      { sku: 'sku-2', quantity: 1, status: 'RESERVED' },
    ]);
    const charges = t
      .store('payment')
      .prepare('SELECT amount, status FROM charges WHERE order_id = ?')
      .all(placed.orderId);
    expect(charges).toEqual([{ amount: 25.5, status: 'CHARGED' }]);
    expect(
      t.store('notification').prepare('SELECT count(*) AS n FROM notifications WHERE order_id = ?').get(placed.orderId),
    ).toEqual({ n: 1 });

    // The envelope: key = order id, Confluent wire format, event-id/type/correlation/causation headers.
    const placedRecords = (await readTopic(t.kafka, t.names.topic('order.placed'))).filter(
      (r) => r.key === placed.orderId,
    );
    expect(placedRecords).toHaveLength(1);
    const placedRecord = placedRecords[0]!;
    expect(placedRecord.value?.readUInt8(0)).toBe(0);
    expect(placedRecord.headers).toMatchObject({
      'event-id': placed.eventId,
      'event-type': 'order.placed',
      'correlation-id': placed.orderId,
    });
    expect(placedRecord.headers['event-id']).toMatch(UUID_V7);
    expect(placedRecord.headers).not.toHaveProperty('causation-id');
    const reserve = (await readTopic(t.kafka, t.names.topic('inventory.reserve'))).find(
      (r) => r.key === placed.orderId,
    );
    expect(reserve?.headers).toMatchObject({
      'event-type': 'inventory.reserve',
      'correlation-id': placed.orderId,
      'causation-id': placed.eventId,
    });
    const completed = (await readTopic(t.kafka, t.names.topic('order.completed'))).find(
      (r) => r.key === placed.orderId,
    );
    expect(completed?.headers['correlation-id']).toBe(placed.orderId);
  });

  it('compensation: a declined payment releases the reservation and fails the order', async () => {
    const inventory = t.store('inventory');
    const before = inventory.prepare('SELECT available FROM stock WHERE sku = ?').get('sku-comp') as
      { available: number } | undefined;
    const placed = await placeOrder(t.orderPort, {
      customer: 'bob',
      items: [{ sku: 'sku-comp', quantity: 3, price: 50_000, currency: 'EUR' }],
    });
    const done = await terminal(placed.orderId);
    expect(done).toMatchObject({ status: 'FAILED', compensated: true, timedOut: false });
    expect(done.reason).toMatch(/insufficient funds/);

    await waitFor('reservation released', () =>
      inventory.prepare("SELECT 1 FROM reservations WHERE order_id = ? AND status = 'RELEASED'").get(placed.orderId),
    );
    const after = inventory.prepare('SELECT available, reserved FROM stock WHERE sku = ?').get('sku-comp') as {
      available: number;
      reserved: number;
    };
    expect(after.reserved).toBe(0);
    if (before) expect(after.available).toBe(before.available);
    expect(
      t.store('payment').prepare('SELECT count(*) AS n FROM charges WHERE order_id = ?').get(placed.orderId),
    ).toEqual({ n: 0 });
    expect(
      t.store('payment').prepare('SELECT count(*) AS n FROM declines WHERE order_id = ?').get(placed.orderId),
    ).toEqual({ n: 1 });
    expect(t.store('orchestrator').prepare('SELECT status FROM sagas WHERE order_id = ?').get(placed.orderId)).toEqual({
      status: 'COMPENSATED',
    });
    expect(
      t.store('notification').prepare('SELECT count(*) AS n FROM notifications WHERE order_id = ?').get(placed.orderId),
    ).toEqual({ n: 0 });
  });

  it('rejection: a sold-out SKU fails the order without compensation', async () => {
    const placed = await placeOrder(t.orderPort, {
      customer: 'cy',
      items: [{ sku: 'sold-out-thing', quantity: 1, price: 1, currency: 'EUR' }],
    });
    const done = await terminal(placed.orderId);
    expect(done).toMatchObject({ status: 'FAILED', compensated: false });
    expect(done.reason).toMatch(/insufficient stock/);
    expect(
      t.store('inventory').prepare('SELECT count(*) AS n FROM reservations WHERE order_id = ?').get(placed.orderId),
    ).toEqual({ n: 0 });
    expect(
      t.store('payment').prepare('SELECT count(*) AS n FROM charges WHERE order_id = ?').get(placed.orderId),
    ).toEqual({ n: 0 });
  });

  it('rejects invalid orders with 400', async () => {
    const res = await fetch(`http://127.0.0.1:${t.orderPort}/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ customer: 'x', items: [{ sku: 'a', quantity: 0, price: 1, currency: 'EUR' }] }),
    });
    expect(res.status).toBe(400);
    expect((await fetch(`http://127.0.0.1:${t.orderPort}/orders/nope`)).status).toBe(404);
  });

  it('duplicates: re-published events are skipped and counted, never applied twice', async () => {
    const placed = await placeOrder(t.orderPort);
    expect((await terminal(placed.orderId)).status).toBe('COMPLETED');
    const orchestratorDupsBefore = stat('orchestrator', 'duplicates');
    const paymentDupsBefore = stat('payment', 'duplicates');
    const placedRecord = (await readTopic(t.kafka, t.names.topic('order.placed'))).find(
      (r) => r.key === placed.orderId,
    )!;
    const chargeRecord = (await readTopic(t.kafka, t.names.topic('payment.charge'))).find(
      (r) => r.key === placed.orderId,
    )!;
    const producer = t.kafka.producer({ createPartitioner: kafkaModule().Partitioners.DefaultPartitioner });
    await producer.connect();
    for (const [topic, r] of [
      [t.names.topic('order.placed'), placedRecord],
      [t.names.topic('payment.charge'), chargeRecord],
    ] as const) {
      await producer.send({
        topic,
        messages: [1, 2, 3].map(() => ({ key: r.key, value: r.value, headers: r.headers })),
      });
    }
    await producer.disconnect();
    await waitFor(
      'duplicates counted',
      () =>
        stat('orchestrator', 'duplicates') >= orchestratorDupsBefore + 3 &&
        stat('payment', 'duplicates') >= paymentDupsBefore + 3,
    );
    expect(
      t.store('payment').prepare('SELECT count(*) AS n FROM charges WHERE order_id = ?').get(placed.orderId),
    ).toEqual({ n: 1 });
    expect(
      t.store('orchestrator').prepare('SELECT count(*) AS n FROM saga_log WHERE order_id = ?').get(placed.orderId),
    ).toEqual({ n: 4 });
    const dupRows = t
      .store('payment')
      .prepare('SELECT count(*) AS n FROM duplicates WHERE event_id = ?')
      .get(chargeRecord.headers['event-id']) as { n: number };
    expect(dupRows.n).toBe(3);
    // No second reply either: exactly one payment.charged for the order.
    const charged = (await readTopic(t.kafka, t.names.topic('payment.charged'))).filter(
      (r) => r.key === placed.orderId,
    );
    expect(charged).toHaveLength(1);
  });

  it('poison: an undecodable record goes to the DLQ with the contract headers and the partition keeps flowing', async () => {
    const topic = t.names.topic('inventory.reserve');
    const producer = t.kafka.producer({ createPartitioner: kafkaModule().Partitioners.DefaultPartitioner });
    await producer.connect();
    const poisonValue = Buffer.from('definitely not avro');
    const [meta] = await producer.send({
      topic,
      messages: [
        {
          key: 'poison-key',
          partition: 0,
          value: poisonValue,
          headers: { 'event-id': 'poison-event-1', 'event-type': 'inventory.reserve', 'correlation-id': 'poison' },
        },
      ],
    });
    await producer.disconnect();
    const poisonOffset = Number(meta!.baseOffset);

    const dlq = await waitFor('poison record in the DLQ', async () =>
      (await readTopic(t.kafka, t.names.dlq('inventory'))).find((r) => r.headers['event-id'] === 'poison-event-1'),
    );
    expect(dlq.key).toBe('poison-key');
    expect(dlq.value?.equals(poisonValue)).toBe(true);
    expect(dlq.headers).toMatchObject({
      'event-type': 'inventory.reserve',
      'correlation-id': 'poison',
      'dlq-original-topic': topic,
      'dlq-original-partition': '0',
      'dlq-original-offset': String(poisonOffset),
      'dlq-consumer-group': t.names.group('inventory'),
      'dlq-error-class': 'DecodeError',
      'dlq-attempts': '1',
    });
    expect(dlq.headers['dlq-error-message']).toMatch(/wire format/);
    expect(new Date(dlq.headers['dlq-first-failure-time']!).toISOString()).toBe(dlq.headers['dlq-first-failure-time']);
    expect(Date.parse(dlq.headers['dlq-last-failure-time']!)).toBeGreaterThanOrEqual(
      Date.parse(dlq.headers['dlq-first-failure-time']!),
    );

    // Orders keep completing, including ones whose commands sit after the poison on partition 0.
    const inventory = t.store('inventory');
    const laterOnPartition0 = (): unknown =>
      inventory
        .prepare(`SELECT 1 FROM processed_events WHERE topic = ? AND partition = 0 AND "offset" > ?`)
        .get(topic, poisonOffset);
    for (let i = 0; i < 30 && !laterOnPartition0(); i++) {
      const placed = await placeOrder(t.orderPort);
      expect((await terminal(placed.orderId)).status).toBe('COMPLETED');
    }
    expect(laterOnPartition0()).toBeTruthy();
    await waitFor('committed offset past the poison record', async () => {
      const committed = await committedOffsets(t.kafka, t.names.group('inventory'), topic);
      return (committed.get(0) ?? -1) > poisonOffset + 1;
    });
    expect(inventory.prepare('SELECT error_class, attempts FROM dead_letters').all()).toContainEqual({
      error_class: 'DecodeError',
      attempts: 1,
    });
  });
});
