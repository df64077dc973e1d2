/** Notification participant: `notification.send` -> record the notification -> reply `notification.sent`. */
import { newEventId } from '../lib/envelope.ts';
import type { ServiceDefinition } from '../lib/service.ts';

export const NOTIFICATION_SCHEMA = `
CREATE TABLE IF NOT EXISTS notifications (
  id              INTEGER PRIMARY KEY AUTOINCREMENT,
  notification_id TEXT NOT NULL,
  order_id        TEXT NOT NULL,
  customer        TEXT NOT NULL,
  message         TEXT NOT NULL,
  sent_at         INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS notifications_order ON notifications (order_id);
`;

export const notificationService: ServiceDefinition = {
  name: 'notification',
  schema: NOTIFICATION_SCHEMA,
  consumers: (ctx) => [
    {
      service: 'notification',
      topics: ['notification.send'],
      handle: (event) => {
        const cmd = event.value as { orderId: string; customer: string; message: string };
        const notificationId = newEventId();
        ctx.db
          .prepare(
            'INSERT INTO notifications (notification_id, order_id, customer, message, sent_at) VALUES (?, ?, ?, ?, ?)',
          )
          .run(notificationId, cmd.orderId, cmd.customer, cmd.message, Date.now());
        ctx.outbox.enqueue({
          eventType: 'notification.sent',
          key: cmd.orderId,
          correlationId: event.envelope.correlationId,
          causationId: event.envelope.eventId,
          value: { orderId: cmd.orderId, notificationId },
        });
      },
    },
  ],
};
