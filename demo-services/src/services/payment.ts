/**
 * Payment participant. `payment.charge` -> charge (amounts above DEMO_PAYMENT_LIMIT are
 * declined) -> reply `payment.charged` / `payment.declined`. `payment.refund` (compensation)
 * -> refund the charge; a refund that arrives before its charge leaves a tombstone so the
 * late charge is declined.
 */
import { newEventId } from '../lib/envelope.ts';
import type { ConsumedEvent } from '../lib/consumer.ts';
import type { ServiceContext, ServiceDefinition } from '../lib/service.ts';

export const PAYMENT_SCHEMA = `
CREATE TABLE IF NOT EXISTS charges (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  payment_id  TEXT NOT NULL,
  order_id    TEXT NOT NULL,
  customer    TEXT NOT NULL,
  amount      REAL NOT NULL,
  currency    TEXT NOT NULL,
  status      TEXT NOT NULL,
  created_at  INTEGER NOT NULL,
  refunded_at INTEGER
);
CREATE INDEX IF NOT EXISTS charges_order ON charges (order_id);
CREATE TABLE IF NOT EXISTS declines (
  id       INTEGER PRIMARY KEY AUTOINCREMENT,
  order_id TEXT NOT NULL,
  reason   TEXT NOT NULL,
  at       INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS refunded_orders (
  order_id TEXT PRIMARY KEY,
  reason   TEXT NOT NULL,
  at       INTEGER NOT NULL
);
`;

interface ChargePayment {
  orderId: string;
  customer: string;
  amount: number;
  currency: string;
}

export function charge(ctx: ServiceContext, event: ConsumedEvent): void {
  const { db, outbox, config } = ctx;
  const cmd = event.value as ChargePayment;
  const reply = { key: cmd.orderId, correlationId: event.envelope.correlationId, causationId: event.envelope.eventId };
  const decline = (reason: string): void => {
    db.prepare('INSERT INTO declines (order_id, reason, at) VALUES (?, ?, ?)').run(cmd.orderId, reason, Date.now());
    outbox.enqueue({ ...reply, eventType: 'payment.declined', value: { orderId: cmd.orderId, reason } });
  };
  const refunded = db.prepare('SELECT reason FROM refunded_orders WHERE order_id = ?').get(cmd.orderId) as
    { reason: string } | undefined;
  if (refunded) return decline(`order already cancelled: ${refunded.reason}`);
  const existing = db
    .prepare("SELECT payment_id, amount, currency FROM charges WHERE order_id = ? AND status = 'CHARGED' LIMIT 1")
    .get(cmd.orderId) as { payment_id: string; amount: number; currency: string } | undefined;
  if (existing) {
    outbox.enqueue({
      ...reply,
      eventType: 'payment.charged',
      value: {
        orderId: cmd.orderId,
        paymentId: existing.payment_id,
        amount: existing.amount,
        currency: existing.currency,
      },
    });
    return;
  }
  if (cmd.amount > config.paymentLimit) {
    return decline(`insufficient funds: ${cmd.amount} ${cmd.currency} is above the limit of ${config.paymentLimit}`);
  }
  const paymentId = newEventId();
  db.prepare(
    "INSERT INTO charges (payment_id, order_id, customer, amount, currency, status, created_at) VALUES (?, ?, ?, ?, ?, 'CHARGED', ?)",
  ).run(paymentId, cmd.orderId, cmd.customer, cmd.amount, cmd.currency, Date.now());
  outbox.enqueue({
    ...reply,
    eventType: 'payment.charged',
    value: { orderId: cmd.orderId, paymentId, amount: cmd.amount, currency: cmd.currency },
  });
}

export function refund(ctx: ServiceContext, event: ConsumedEvent): void {
  const { db } = ctx;
  const cmd = event.value as { orderId: string; reason: string };
  db.prepare("UPDATE charges SET status = 'REFUNDED', refunded_at = ? WHERE order_id = ? AND status = 'CHARGED'").run(
    Date.now(),
    cmd.orderId,
  );
  db.prepare(
    'INSERT INTO refunded_orders (order_id, reason, at) VALUES (?, ?, ?) ON CONFLICT(order_id) DO NOTHING',
  ).run(cmd.orderId, cmd.reason, Date.now());
}

export const paymentService: ServiceDefinition = {
  name: 'payment',
  schema: PAYMENT_SCHEMA,
  consumers: (ctx) => [
    {
      service: 'payment',
      topics: ['payment.charge', 'payment.refund'],
      handle: (event) => (event.eventType === 'payment.charge' ? charge(ctx, event) : refund(ctx, event)),
    },
  ],
};
