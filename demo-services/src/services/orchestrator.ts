/**
 * The order saga, orchestrated. State lives in `sagas` (one row per order) and every
 * transition happens in the same SQLite transaction as the idempotency record of the event
 * that caused it and the outbox rows of the commands it sends, so a crash at any point
 * either did the whole step or none of it. A restarted orchestrator resumes from its
 * committed offsets and its table: nothing in memory matters.
 *
 *   order.placed        -> RESERVING_INVENTORY  (send inventory.reserve)
 *   inventory.reserved  -> CHARGING_PAYMENT     (send payment.charge)
 *   inventory.rejected  -> FAILED               (send order.failed, compensated=false)
 *   payment.charged     -> NOTIFYING            (send notification.send)
 *   payment.declined    -> COMPENSATED          (send inventory.release, order.failed compensated=true)
 *   notification.sent   -> COMPLETED            (send order.completed)
 *   no reply within DEMO_STEP_TIMEOUT_MS -> TIMED_OUT (send inventory.release + payment.refund, order.failed timedOut=true)
 *   order.completed / order.failed (its own terminal events) -> closed_at is set: the saga has ended
 *
 * A reply for a saga that is not waiting for it (late, after a timeout) changes nothing: the
 * compensations already sent undo it (the participants keep tombstones for that).
 */
import type { ConsumedEvent } from '../lib/consumer.ts';
import type { ServiceContext, ServiceDefinition } from '../lib/service.ts';
import type { EventType } from '../topics.ts';

export const ORCHESTRATOR_SCHEMA = `
CREATE TABLE IF NOT EXISTS sagas (
  order_id        TEXT PRIMARY KEY,
  status          TEXT NOT NULL,
  customer        TEXT NOT NULL,
  items           TEXT NOT NULL,
  total           REAL NOT NULL,
  currency        TEXT NOT NULL,
  placed_event_id TEXT NOT NULL,
  placed_at       INTEGER NOT NULL,
  deadline        INTEGER,
  reservation_id  TEXT,
  payment_id      TEXT,
  reason          TEXT,
  compensated     INTEGER NOT NULL DEFAULT 0,
  timed_out       INTEGER NOT NULL DEFAULT 0,
  created_at      INTEGER NOT NULL,
  updated_at      INTEGER NOT NULL,
  closed_at       INTEGER
);
CREATE INDEX IF NOT EXISTS sagas_deadline ON sagas (status, deadline);
CREATE TABLE IF NOT EXISTS saga_log (
  id         INTEGER PRIMARY KEY AUTOINCREMENT,
  order_id   TEXT NOT NULL,
  from_state TEXT,
  to_state   TEXT NOT NULL,
  cause      TEXT NOT NULL,
  at         INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS saga_log_order ON saga_log (order_id);
`;

export type SagaStatus =
  'RESERVING_INVENTORY' | 'CHARGING_PAYMENT' | 'NOTIFYING' | 'COMPLETED' | 'FAILED' | 'COMPENSATED' | 'TIMED_OUT';

export const ACTIVE_STATES: readonly SagaStatus[] = ['RESERVING_INVENTORY', 'CHARGING_PAYMENT', 'NOTIFYING'];

export interface SagaRow {
  order_id: string;
  status: SagaStatus;
  customer: string;
  items: string;
  total: number;
  currency: string;
  placed_event_id: string;
  placed_at: number;
  deadline: number | null;
  reason: string | null;
  compensated: number;
  timed_out: number;
}

interface OrderPlaced {
  orderId: string;
  customer: string;
  items: { sku: string; quantity: number; price: number; currency: string }[];
  total: number;
  currency: string;
  placedAt: number;
}

/** Which reply each waiting state expects. */
const EXPECTS: Partial<Record<EventType, SagaStatus>> = {
  'inventory.reserved': 'RESERVING_INVENTORY',
  'inventory.rejected': 'RESERVING_INVENTORY',
  'payment.charged': 'CHARGING_PAYMENT',
  'payment.declined': 'CHARGING_PAYMENT',
  'notification.sent': 'NOTIFYING',
};

export function createOrchestrator(ctx: ServiceContext): {
  handle(event: ConsumedEvent): void;
  sweepTimeouts(now?: number): number;
} {
  const { db, outbox, config, log } = ctx;
  const getSaga = db.prepare('SELECT * FROM sagas WHERE order_id = ?');
  const logStep = db.prepare('INSERT INTO saga_log (order_id, from_state, to_state, cause, at) VALUES (?, ?, ?, ?, ?)');

  function transition(
    saga: SagaRow,
    to: SagaStatus,
    cause: string,
    set: { deadline?: number | null; reservation_id?: string; payment_id?: string; reason?: string } = {},
    flags: { compensated?: boolean; timedOut?: boolean } = {},
  ): void {
    const now = Date.now();
    const terminal = !ACTIVE_STATES.includes(to);
    db.prepare(
      `UPDATE sagas SET status = ?, deadline = ?, reservation_id = coalesce(?, reservation_id),
         payment_id = coalesce(?, payment_id), reason = coalesce(?, reason),
         compensated = compensated OR ?, timed_out = timed_out OR ?, updated_at = ? WHERE order_id = ?`,
    ).run(
      to,
      terminal ? null : (set.deadline ?? now + config.stepTimeoutMs),
      set.reservation_id ?? null,
      set.payment_id ?? null,
      set.reason ?? null,
      flags.compensated ? 1 : 0,
      flags.timedOut ? 1 : 0,
      now,
      saga.order_id,
    );
    logStep.run(saga.order_id, saga.status, to, cause, now);
  }

  function send(saga: SagaRow, causationId: string, eventType: EventType, value: unknown): void {
    outbox.enqueue({ eventType, key: saga.order_id, correlationId: saga.order_id, causationId, value });
  }

  function fail(
    saga: SagaRow,
    causationId: string,
    reason: string,
    compensations: EventType[],
    timedOut: boolean,
  ): void {
    for (const c of compensations) send(saga, causationId, c, { orderId: saga.order_id, reason });
    const compensated = compensations.length > 0;
    transition(
      saga,
      timedOut ? 'TIMED_OUT' : compensated ? 'COMPENSATED' : 'FAILED',
      reason,
      { reason },
      {
        compensated,
        timedOut,
      },
    );
    send(saga, causationId, 'order.failed', {
      orderId: saga.order_id,
      reason,
      compensated,
      timedOut,
      placedAt: saga.placed_at,
      failedAt: Date.now(),
    });
  }

  function handle(event: ConsumedEvent): void {
    const cause = event.envelope.eventId;
    if (event.eventType === 'order.completed' || event.eventType === 'order.failed') {
      // The saga's own terminal event coming back: per docs/event-contract.md a saga ends when
      // the orchestrator has processed it. Recorded, nothing else to do.
      const { orderId } = event.value as { orderId: string };
      db.prepare('UPDATE sagas SET closed_at = ? WHERE order_id = ? AND closed_at IS NULL').run(Date.now(), orderId);
      return;
    }
    if (event.eventType === 'order.placed') {
      const placed = event.value as OrderPlaced;
      if (getSaga.get(placed.orderId)) return; // the same order placed twice under different event ids
      const now = Date.now();
      db.prepare(
        `INSERT INTO sagas (order_id, status, customer, items, total, currency, placed_event_id, placed_at, deadline, created_at, updated_at)
         VALUES (?, 'RESERVING_INVENTORY', ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ).run(
        placed.orderId,
        placed.customer,
        JSON.stringify(placed.items),
        placed.total,
        placed.currency,
        cause,
        // First publish of the flow: the order.placed record's timestamp.
        event.timestamp,
        now + config.stepTimeoutMs,
        now,
        now,
      );
      logStep.run(placed.orderId, null, 'RESERVING_INVENTORY', 'order.placed', now);
      outbox.enqueue({
        eventType: 'inventory.reserve',
        key: placed.orderId,
        correlationId: placed.orderId,
        causationId: cause,
        value: { orderId: placed.orderId, items: placed.items.map((i) => ({ sku: i.sku, quantity: i.quantity })) },
      });
      return;
    }
    const reply = event.value as { orderId: string; reason?: string; reservationId?: string; paymentId?: string };
    const saga = getSaga.get(reply.orderId) as SagaRow | undefined;
    if (!saga) {
      log.warn(`${event.eventType} for unknown saga ${reply.orderId}: ignored`);
      return;
    }
    if (saga.status !== EXPECTS[event.eventType]) {
      log.info(`late ${event.eventType} for saga ${saga.order_id} in ${saga.status}: ignored`);
      return;
    }
    switch (event.eventType) {
      case 'inventory.reserved':
        transition(saga, 'CHARGING_PAYMENT', event.eventType, { reservation_id: reply.reservationId ?? '' });
        send(saga, cause, 'payment.charge', {
          orderId: saga.order_id,
          customer: saga.customer,
          amount: saga.total,
          currency: saga.currency,
        });
        return;
      case 'inventory.rejected':
        return fail(saga, cause, reply.reason ?? 'inventory rejected', [], false);
      case 'payment.charged':
        transition(saga, 'NOTIFYING', event.eventType, { payment_id: reply.paymentId ?? '' });
        send(saga, cause, 'notification.send', {
          orderId: saga.order_id,
          customer: saga.customer,
          message: `Your order ${saga.order_id} is confirmed: ${saga.total} ${saga.currency}.`,
        });
        return;
      case 'payment.declined':
        return fail(saga, cause, reply.reason ?? 'payment declined', ['inventory.release'], false);
      case 'notification.sent':
        transition(saga, 'COMPLETED', event.eventType);
        send(saga, cause, 'order.completed', {
          orderId: saga.order_id,
          placedAt: saga.placed_at,
          completedAt: Date.now(),
        });
        return;
      default:
        log.warn(`unexpected ${event.eventType}`);
    }
  }

  /** Compensates and times out every saga whose step deadline has passed. Returns how many. */
  function sweepTimeouts(now = Date.now()): number {
    const due = db
      .prepare(
        `SELECT order_id FROM sagas WHERE status IN ('RESERVING_INVENTORY', 'CHARGING_PAYMENT', 'NOTIFYING')
         AND deadline < ? ORDER BY deadline LIMIT 200`,
      )
      .all(now) as { order_id: string }[];
    let count = 0;
    for (const { order_id } of due) {
      db.transaction(() => {
        const saga = getSaga.get(order_id) as SagaRow | undefined;
        if (!saga || !ACTIVE_STATES.includes(saga.status) || (saga.deadline ?? Infinity) >= now) return;
        const step = saga.status;
        // The reply may still come: undo what the step may have done. The participants keep
        // tombstones, so a late command is refused rather than applied.
        const compensations: EventType[] =
          step === 'RESERVING_INVENTORY' ? ['inventory.release'] : ['inventory.release', 'payment.refund'];
        fail(saga, saga.placed_event_id, `timed out in ${step} after ${config.stepTimeoutMs} ms`, compensations, true);
        count++;
      }).immediate();
    }
    if (count > 0) {
      log.warn(`timed out ${count} saga(s)`);
      outbox.kick();
    }
    return count;
  }

  return { handle, sweepTimeouts };
}

export const orchestratorService: ServiceDefinition = {
  name: 'orchestrator',
  schema: ORCHESTRATOR_SCHEMA,
  consumers: (ctx) => {
    const saga = createOrchestrator(ctx);
    return [
      {
        service: 'orchestrator',
        topics: [
          'order.placed',
          'inventory.reserved',
          'inventory.rejected',
          'payment.charged',
          'payment.declined',
          'notification.sent',
          'order.completed',
          'order.failed',
        ],
        handle: (event) => saga.handle(event),
      },
    ];
  },
  start: (ctx) => {
    const saga = createOrchestrator(ctx);
    const timer = setInterval(() => {
      try {
        saga.sweepTimeouts();
      } catch (error) {
        ctx.log.warn('timeout sweep failed, retrying on the next tick', error);
      }
    }, 500);
    return Promise.resolve(() => {
      clearInterval(timer);
      return Promise.resolve();
    });
  },
};
