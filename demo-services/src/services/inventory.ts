/**
 * Inventory participant. `inventory.reserve` -> reserve every line or none -> reply
 * `inventory.reserved` / `inventory.rejected`. `inventory.release` (compensation) -> give the
 * stock back; a release that arrives before its reserve leaves a tombstone so the late reserve
 * is rejected. Stock per SKU starts at DEMO_INITIAL_STOCK; SKUs starting with `sold-out` have none.
 * SKUs starting with `poison` make the reserve fail (a bug on purpose, to the DLQ) until the fix
 * file exists (DEMO_POISON_FIX_FILE); then the same command, redriven, reserves them as usual.
 */
import { existsSync } from 'node:fs';
import type { DemoConfig } from '../config.ts';
import { PoisonError } from '../lib/errors.ts';
import { newEventId } from '../lib/envelope.ts';
import type { ConsumedEvent } from '../lib/consumer.ts';
import type { ServiceContext, ServiceDefinition } from '../lib/service.ts';

export const INVENTORY_SCHEMA = `
CREATE TABLE IF NOT EXISTS stock (
  sku       TEXT PRIMARY KEY,
  available INTEGER NOT NULL,
  reserved  INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS reservations (
  id             INTEGER PRIMARY KEY AUTOINCREMENT,
  reservation_id TEXT NOT NULL,
  order_id       TEXT NOT NULL,
  sku            TEXT NOT NULL,
  quantity       INTEGER NOT NULL,
  status         TEXT NOT NULL,
  created_at     INTEGER NOT NULL,
  released_at    INTEGER
);
CREATE INDEX IF NOT EXISTS reservations_order ON reservations (order_id);
CREATE TABLE IF NOT EXISTS cancelled_orders (
  order_id TEXT PRIMARY KEY,
  reason   TEXT NOT NULL,
  at       INTEGER NOT NULL
);
`;

interface ReserveInventory {
  orderId: string;
  items: { sku: string; quantity: number }[];
}
interface ReleaseInventory {
  orderId: string;
  reason: string;
}

function initialStock(config: DemoConfig, sku: string): number {
  return sku.startsWith('sold-out') ? 0 : config.initialStock;
}

/** SKUs the reserve step fails on until the fix is deployed (the load generator's `--poison-order-*`). */
export const POISON_SKU_PREFIX = 'poison';

/** Throws the bug on purpose for a command with a poison SKU, unless the fix file exists. */
function failOnPoison(config: DemoConfig, cmd: ReserveInventory): void {
  const sku = cmd.items.find((line) => line.sku.startsWith(POISON_SKU_PREFIX))?.sku;
  if (sku === undefined || existsSync(config.poisonFixFile)) return;
  throw new PoisonError(
    `cannot reserve SKU ${sku} for order ${cmd.orderId}: stock lookup failed (poison SKU, no fix deployed)`,
  );
}

export function reserve(ctx: ServiceContext, event: ConsumedEvent): void {
  const { db, outbox } = ctx;
  const cmd = event.value as ReserveInventory;
  failOnPoison(ctx.config, cmd);
  const reply = { key: cmd.orderId, correlationId: event.envelope.correlationId, causationId: event.envelope.eventId };
  const cancelled = db.prepare('SELECT reason FROM cancelled_orders WHERE order_id = ?').get(cmd.orderId) as
    { reason: string } | undefined;
  if (cancelled) {
    outbox.enqueue({
      ...reply,
      eventType: 'inventory.rejected',
      value: { orderId: cmd.orderId, reason: `order already cancelled: ${cancelled.reason}` },
    });
    return;
  }
  const existing = db
    .prepare("SELECT reservation_id FROM reservations WHERE order_id = ? AND status = 'RESERVED' LIMIT 1")
    .get(cmd.orderId) as { reservation_id: string } | undefined;
  if (existing) {
    // A second command for an order already reserved (not a redelivery: that has the same event id).
    outbox.enqueue({
      ...reply,
      eventType: 'inventory.reserved',
      value: { orderId: cmd.orderId, reservationId: existing.reservation_id },
    });
    return;
  }
  const seed = db.prepare('INSERT INTO stock (sku, available) VALUES (?, ?) ON CONFLICT(sku) DO NOTHING');
  const getStock = db.prepare('SELECT available FROM stock WHERE sku = ?');
  for (const line of cmd.items) {
    seed.run(line.sku, initialStock(ctx.config, line.sku));
    const { available } = getStock.get(line.sku) as { available: number };
    if (available < line.quantity) {
      outbox.enqueue({
        ...reply,
        eventType: 'inventory.rejected',
        value: { orderId: cmd.orderId, reason: `insufficient stock for ${line.sku}: ${available} < ${line.quantity}` },
      });
      return;
    }
  }
  const reservationId = newEventId();
  const take = db.prepare('UPDATE stock SET available = available - ?, reserved = reserved + ? WHERE sku = ?');
  const insert = db.prepare(
    "INSERT INTO reservations (reservation_id, order_id, sku, quantity, status, created_at) VALUES (?, ?, ?, ?, 'RESERVED', ?)",
  );
  for (const line of cmd.items) {
    take.run(line.quantity, line.quantity, line.sku);
    insert.run(reservationId, cmd.orderId, line.sku, line.quantity, Date.now());
  }
  outbox.enqueue({ ...reply, eventType: 'inventory.reserved', value: { orderId: cmd.orderId, reservationId } });
}

export function release(ctx: ServiceContext, event: ConsumedEvent): void {
  const { db } = ctx;
  const cmd = event.value as ReleaseInventory;
  const lines = db
    .prepare("SELECT id, sku, quantity FROM reservations WHERE order_id = ? AND status = 'RESERVED'")
    .all(cmd.orderId) as { id: number; sku: string; quantity: number }[];
  const give = db.prepare('UPDATE stock SET available = available + ?, reserved = reserved - ? WHERE sku = ?');
  const mark = db.prepare("UPDATE reservations SET status = 'RELEASED', released_at = ? WHERE id = ?");
  for (const line of lines) {
    give.run(line.quantity, line.quantity, line.sku);
    mark.run(Date.now(), line.id);
  }
  db.prepare(
    'INSERT INTO cancelled_orders (order_id, reason, at) VALUES (?, ?, ?) ON CONFLICT(order_id) DO NOTHING',
  ).run(cmd.orderId, cmd.reason, Date.now());
}

export const inventoryService: ServiceDefinition = {
  name: 'inventory',
  schema: INVENTORY_SCHEMA,
  consumers: (ctx) => [
    {
      service: 'inventory',
      topics: ['inventory.reserve', 'inventory.release'],
      handle: (event) => (event.eventType === 'inventory.reserve' ? reserve(ctx, event) : release(ctx, event)),
    },
  ],
};
