/**
 * Recovery: an orchestrator killed mid-saga carries on after a restart; a step with no reply
 * is compensated and timed out; a record that keeps failing is retried with backoff and then
 * dead-lettered with its attempt count.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestEnv, getOrder, placeOrder, readTopic, waitFor, type TestEnv } from './helpers.ts';

describe('orchestrator restart mid-saga', () => {
  let t: TestEnv;
  beforeAll(async () => {
    t = await createTestEnv('restart');
    await Promise.all([
      t.start('order'),
      t.start('orchestrator'),
      t.start('inventory'),
      t.start('notification'),
      // Slow payments keep sagas in flight while the orchestrator is down.
      t.start('payment', { env: { DEMO_SLOW_MS: '400' } }),
    ]);
  }, 120_000);
  afterAll(() => t?.cleanup(), 60_000);

  it('completes every saga that was in flight when the orchestrator was SIGKILLed', async () => {
    const orders = await Promise.all(Array.from({ length: 12 }, () => placeOrder(t.orderPort)));
    const sagas = t.store('orchestrator');
    await waitFor(
      'sagas in flight at the payment step',
      () =>
        (sagas.prepare("SELECT count(*) AS n FROM sagas WHERE status = 'CHARGING_PAYMENT'").get() as { n: number }).n >=
        3,
    );
    const orchestrator = t.processes.find((p) => p.name === 'orchestrator')!;
    await orchestrator.kill();
    const inFlight = (
      sagas
        .prepare(
          "SELECT count(*) AS n FROM sagas WHERE status IN ('RESERVING_INVENTORY', 'CHARGING_PAYMENT', 'NOTIFYING')",
        )
        .get() as { n: number }
    ).n;
    expect(inFlight).toBeGreaterThan(0);
    await t.start('orchestrator', { instance: 'orchestrator-2' });

    for (const o of orders) {
      const done = await waitFor(
        `order ${o.orderId} terminal`,
        async () => {
          const v = await getOrder(t.orderPort, o.orderId);
          return v.status !== 'PENDING' ? v : undefined;
        },
        60_000,
      );
      expect(done.status).toBe('COMPLETED');
    }
    // Every saga went through each step exactly once, and nothing was charged twice.
    const steps = sagas.prepare('SELECT order_id, count(*) AS n FROM saga_log GROUP BY order_id').all() as {
      order_id: string;
      n: number;
    }[];
    expect(steps).toHaveLength(orders.length);
    for (const s of steps) expect(s.n).toBe(4);
    const charges = t
      .store('payment')
      .prepare('SELECT order_id, count(*) AS n FROM charges GROUP BY order_id')
      .all() as { n: number }[];
    expect(charges).toHaveLength(orders.length);
    for (const c of charges) expect(c.n).toBe(1);
    const completed = (await readTopic(t.kafka, t.names.topic('order.completed'))).map((r) => r.key);
    expect(new Set(completed).size).toBe(orders.length);
  });
});

describe('timeouts, retries and the DLQ', () => {
  let t: TestEnv;
  beforeAll(async () => {
    t = await createTestEnv('timeout', { DEMO_STEP_TIMEOUT_MS: '3000', DEMO_RETRY_BASE_MS: '50' });
    await Promise.all([
      t.start('order'),
      t.start('orchestrator'),
      t.start('inventory'),
      // Every attempt fails: 3 attempts with backoff, then the DLQ.
      t.start('payment', {
        instance: 'payment-failing',
        env: { DEMO_TRANSIENT_FAILURE_RATE: '1', DEMO_MAX_ATTEMPTS: '3' },
      }),
    ]);
  }, 120_000);
  afterAll(() => t?.cleanup(), 60_000);

  it('retries a failing charge, dead-letters it after 3 attempts, then times the saga out and compensates', async () => {
    const placed = await placeOrder(t.orderPort);
    const dlq = await waitFor('charge in the payment DLQ', async () =>
      (await readTopic(t.kafka, t.names.dlq('payment'))).find((r) => r.key === placed.orderId),
    );
    expect(dlq.headers).toMatchObject({
      'event-type': 'payment.charge',
      'correlation-id': placed.orderId,
      'dlq-original-topic': t.names.topic('payment.charge'),
      'dlq-consumer-group': t.names.group('payment'),
      'dlq-error-class': 'TransientError',
      'dlq-attempts': '3',
    });
    expect(Date.parse(dlq.headers['dlq-last-failure-time']!)).toBeGreaterThan(
      Date.parse(dlq.headers['dlq-first-failure-time']!),
    );
    const payment = t.store('payment');
    expect(
      (payment.prepare("SELECT value FROM stats WHERE name = 'retried'").get() as { value: number }).value,
    ).toBeGreaterThanOrEqual(2);

    const done = await waitFor('order timed out', async () => {
      const v = await getOrder(t.orderPort, placed.orderId);
      return v.status !== 'PENDING' ? v : undefined;
    });
    expect(done).toMatchObject({ status: 'FAILED', compensated: true, timedOut: true });
    expect(done.reason).toMatch(/timed out in CHARGING_PAYMENT/);
    await waitFor('reservation released', () =>
      t
        .store('inventory')
        .prepare("SELECT 1 FROM reservations WHERE order_id = ? AND status = 'RELEASED'")
        .get(placed.orderId),
    );
    expect(
      t.store('orchestrator').prepare('SELECT status, timed_out FROM sagas WHERE order_id = ?').get(placed.orderId),
    ).toEqual({
      status: 'TIMED_OUT',
      timed_out: 1,
    });
  });
});

/**
 * Its own run, with a healthy payment service from the start. It used to stop the failing
 * payment instance of the suite above and start a healthy one inside the test, then start the
 * notification service's brand-new group late: two first joins inside the test's 60 s, each
 * retried with kafkajs's growing backoff while the broker's group coordinator was loading
 * (and DEMO_READY could come before the join had succeeded). Now every group joins once in
 * beforeAll, notification's too (it leaves again before any order), so the late start is a
 * rejoin of a known group, and DEMO_READY waits for the join.
 */
describe('a notification that never comes', () => {
  let t: TestEnv;
  beforeAll(async () => {
    t = await createTestEnv('notify-timeout', { DEMO_STEP_TIMEOUT_MS: '3000' });
    await Promise.all([
      t.start('order'),
      t.start('orchestrator'),
      t.start('inventory'),
      t.start('payment'),
      t.start('notification', { instance: 'notification-warmup' }),
    ]);
    await t.processes.find((p) => p.instance === 'notification-warmup')!.stop();
  }, 120_000);
  afterAll(() => t?.cleanup(), 60_000);

  it('times out a saga whose notification never comes, refunds and releases, and ignores the late reply', async () => {
    const placed = await placeOrder(t.orderPort);
    const done = await waitFor('order timed out', async () => {
      const v = await getOrder(t.orderPort, placed.orderId);
      return v.status !== 'PENDING' ? v : undefined;
    });
    expect(done).toMatchObject({ status: 'FAILED', compensated: true, timedOut: true });
    expect(done.reason).toMatch(/timed out in NOTIFYING/);
    await waitFor('charge refunded', () =>
      t
        .store('payment')
        .prepare("SELECT 1 FROM charges WHERE order_id = ? AND status = 'REFUNDED'")
        .get(placed.orderId),
    );
    await waitFor('reservation released', () =>
      t
        .store('inventory')
        .prepare("SELECT 1 FROM reservations WHERE order_id = ? AND status = 'RELEASED'")
        .get(placed.orderId),
    );
    // The notification service comes up late and replies; the saga stays timed out.
    await t.start('notification');
    const orchestrator = t.store('orchestrator');
    await waitFor('late notification.sent processed by the orchestrator', () =>
      orchestrator.prepare("SELECT 1 FROM processed_events WHERE event_type = 'notification.sent'").get(),
    );
    expect(orchestrator.prepare('SELECT status FROM sagas WHERE order_id = ?').get(placed.orderId)).toEqual({
      status: 'TIMED_OUT',
    });
    expect((await getOrder(t.orderPort, placed.orderId)).status).toBe('FAILED');
  });
});
