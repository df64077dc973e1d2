/**
 * Order service: the HTTP entry of the saga. `POST /orders` writes the order (PENDING) and its
 * `order.placed` event to the outbox in ONE SQLite transaction; the outbox relay publishes it.
 * A crash between the commit and the send loses nothing. `GET /orders/:id` shows the order;
 * its status follows the saga's terminal events (`order.completed`, `order.failed`), which this
 * service consumes.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { newEventId } from '../lib/envelope.ts';
import type { ServiceContext, ServiceDefinition } from '../lib/service.ts';

export const ORDER_SCHEMA = `
CREATE TABLE IF NOT EXISTS orders (
  order_id        TEXT PRIMARY KEY,
  customer        TEXT NOT NULL,
  items           TEXT NOT NULL,
  total           REAL NOT NULL,
  currency        TEXT NOT NULL,
  status          TEXT NOT NULL,
  reason          TEXT,
  compensated     INTEGER NOT NULL DEFAULT 0,
  timed_out       INTEGER NOT NULL DEFAULT 0,
  placed_event_id TEXT NOT NULL,
  created_at      INTEGER NOT NULL,
  updated_at      INTEGER NOT NULL
);
`;

export const OrderItem = Type.Object(
  {
    sku: Type.String({ minLength: 1, maxLength: 64 }),
    quantity: Type.Integer({ minimum: 1, maximum: 10_000 }),
    price: Type.Number({ minimum: 0 }),
    currency: Type.String({ pattern: '^[A-Z]{3}$' }),
  },
  { additionalProperties: false },
);

export const CreateOrderBody = Type.Object(
  {
    customer: Type.String({ minLength: 1, maxLength: 200 }),
    items: Type.Array(OrderItem, { minItems: 1, maxItems: 100 }),
  },
  { additionalProperties: false },
);

export const OrderView = Type.Object({
  orderId: Type.String(),
  customer: Type.String(),
  items: Type.Array(OrderItem),
  total: Type.Number(),
  currency: Type.String(),
  status: Type.Union([Type.Literal('PENDING'), Type.Literal('COMPLETED'), Type.Literal('FAILED')]),
  reason: Type.Union([Type.String(), Type.Null()]),
  compensated: Type.Boolean(),
  timedOut: Type.Boolean(),
  eventId: Type.String(),
  createdAt: Type.String(),
  updatedAt: Type.String(),
});

const ErrorBody = Type.Object({ error: Type.String(), message: Type.String() });

interface OrderRow {
  order_id: string;
  customer: string;
  items: string;
  total: number;
  currency: string;
  status: 'PENDING' | 'COMPLETED' | 'FAILED';
  reason: string | null;
  compensated: number;
  timed_out: number;
  placed_event_id: string;
  created_at: number;
  updated_at: number;
}

function view(row: OrderRow) {
  return {
    orderId: row.order_id,
    customer: row.customer,
    items: JSON.parse(row.items) as { sku: string; quantity: number; price: number; currency: string }[],
    total: row.total,
    currency: row.currency,
    status: row.status,
    reason: row.reason,
    compensated: row.compensated === 1,
    timedOut: row.timed_out === 1,
    eventId: row.placed_event_id,
    createdAt: new Date(row.created_at).toISOString(),
    updatedAt: new Date(row.updated_at).toISOString(),
  };
}

export function buildOrderApp(ctx: ServiceContext): FastifyInstance {
  const { db, outbox } = ctx;
  const app = Fastify({ logger: false, bodyLimit: 256 * 1024 }).withTypeProvider<TypeBoxTypeProvider>();

  app.post(
    '/orders',
    {
      schema: {
        body: CreateOrderBody,
        response: { 201: OrderView, 400: ErrorBody },
      },
    },
    async (request, reply) => {
      const { customer, items } = request.body;
      const currency = items[0]?.currency ?? 'EUR';
      if (items.some((i) => i.currency !== currency)) {
        return reply.code(400).send({ error: 'MIXED_CURRENCY', message: 'all items must have the same currency' });
      }
      const total = Math.round(items.reduce((sum, i) => sum + i.price * i.quantity, 0) * 100) / 100;
      const orderId = newEventId();
      const now = Date.now();
      const row = db
        .transaction(() => {
          const eventId = outbox.enqueue({
            eventType: 'order.placed',
            key: orderId,
            correlationId: orderId,
            value: { orderId, customer, items, total, currency, placedAt: now },
          });
          db.prepare(
            `INSERT INTO orders (order_id, customer, items, total, currency, status, placed_event_id, created_at, updated_at)
             VALUES (?, ?, ?, ?, ?, 'PENDING', ?, ?, ?)`,
          ).run(orderId, customer, JSON.stringify(items), total, currency, eventId, now, now);
          return db.prepare('SELECT * FROM orders WHERE order_id = ?').get(orderId) as OrderRow;
        })
        .immediate();
      outbox.kick();
      return reply.code(201).send(view(row));
    },
  );

  app.get(
    '/orders/:id',
    {
      schema: {
        params: Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) }),
        response: { 200: OrderView, 404: ErrorBody },
      },
    },
    async (request, reply) => {
      const row = db.prepare('SELECT * FROM orders WHERE order_id = ?').get(request.params.id) as OrderRow | undefined;
      if (!row) return reply.code(404).send({ error: 'NOT_FOUND', message: `no order ${request.params.id}` });
      return view(row);
    },
  );

  app.get('/healthz', (_request, reply) => reply.send({ status: 'ok' }));
  return app;
}

export const orderService: ServiceDefinition = {
  name: 'order',
  schema: ORDER_SCHEMA,
  start: async (ctx) => {
    const app = buildOrderApp(ctx);
    await app.listen({ host: ctx.config.orderHost, port: ctx.config.orderPort });
    const address = app.server.address();
    const port = typeof address === 'object' && address ? address.port : ctx.config.orderPort;
    ctx.log.info(`order API listening on http://${ctx.config.orderHost}:${port}`);
    // Machine-readable line for supervisors and tests that start the service on port 0.
    console.log(`ORDER_LISTENING port=${port}`);
    return () => app.close();
  },
  consumers: (ctx) => [
    {
      service: 'order',
      topics: ['order.completed', 'order.failed'],
      handle: (event) => {
        const v = event.value as { orderId: string; reason?: string; compensated?: boolean; timedOut?: boolean };
        if (event.eventType === 'order.completed') {
          ctx.db
            .prepare("UPDATE orders SET status = 'COMPLETED', updated_at = ? WHERE order_id = ? AND status = 'PENDING'")
            .run(Date.now(), v.orderId);
        } else {
          ctx.db
            .prepare(
              `UPDATE orders SET status = 'FAILED', reason = ?, compensated = ?, timed_out = ?, updated_at = ?
               WHERE order_id = ? AND status = 'PENDING'`,
            )
            .run(v.reason ?? null, v.compensated ? 1 : 0, v.timedOut ? 1 : 0, Date.now(), v.orderId);
        }
      },
    },
  ],
};
