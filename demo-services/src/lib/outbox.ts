/**
 * Transactional outbox. A service never sends to Kafka from its business logic: it inserts
 * the outgoing event into `outbox` in the same SQLite transaction as its state change (and,
 * for consumers, as the `processed_events` row). The relay then publishes unsent rows and marks
 * them sent. A crash between the commit and the send loses nothing (the row is still unsent);
 * a crash between the send and the mark re-sends the row with the same `event-id`, which every
 * consumer de-duplicates.
 *
 * Instances of one service share the table: the relay claims rows with a lease, so two
 * instances do not publish the same rows, and rows claimed by a killed instance are taken over
 * when its lease runs out. Rows of one key are sent one after another, in insertion order.
 */
import { ROOT_CONTEXT, context, propagation } from '@opentelemetry/api';
import type { Db } from './db.ts';
import { envelopeHeaders, newEventId } from './envelope.ts';
import type { KafkaJs } from './kafka.ts';
import type { Codec } from './schemas.ts';
import type { Log } from './log.ts';
import { completeSend, expectOffset } from '../tracing/spans.ts';
import type { EventType, Naming } from '../topics.ts';

export interface OutgoingEvent {
  eventType: EventType;
  /** Record key: the order id. */
  key: string;
  value: unknown;
  correlationId: string;
  causationId?: string;
  /** Set when re-publishing an existing event; otherwise a new UUIDv7. */
  eventId?: string;
}

interface OutboxRow {
  id: number;
  event_id: string;
  topic: string;
  key: string;
  value: Buffer;
  headers: string;
  trace_carrier: string | null;
}

const LEASE_MS = 10_000;
const BATCH = 200;

export class Outbox {
  private readonly db: Db;
  private readonly codec: Codec;
  private readonly names: Naming;
  private readonly instance: string;
  private readonly log: Log;
  private producer: KafkaJs.Producer | undefined;
  private running = false;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private kicked = false;

  constructor(opts: { db: Db; codec: Codec; names: Naming; instance: string; log: Log }) {
    this.db = opts.db;
    this.codec = opts.codec;
    this.names = opts.names;
    this.instance = opts.instance;
    this.log = opts.log;
  }

  /**
   * Adds an event to the outbox. Call it inside the transaction that changes the state the event
   * announces. The active trace context is stored with it, so the send span joins the trace.
   */
  enqueue(event: OutgoingEvent): string {
    const eventId = event.eventId ?? newEventId();
    const headers = envelopeHeaders({
      eventId,
      eventType: event.eventType,
      correlationId: event.correlationId,
      ...(event.causationId ? { causationId: event.causationId } : {}),
    });
    const carrier: Record<string, string> = {};
    propagation.inject(context.active(), carrier);
    this.db
      .prepare(
        `INSERT INTO outbox (event_id, event_type, topic, key, value, headers, trace_carrier, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(event_id) DO NOTHING`,
      )
      .run(
        eventId,
        event.eventType,
        this.names.topic(event.eventType),
        event.key,
        this.codec.encode(event.eventType, event.value),
        JSON.stringify(headers),
        Object.keys(carrier).length > 0 ? JSON.stringify(carrier) : null,
        Date.now(),
      );
    return eventId;
  }

  /** Wakes the relay now (after a commit) instead of at its next poll. */
  kick(): void {
    this.kicked = true;
    this.wake?.();
  }

  start(producer: KafkaJs.Producer): void {
    this.producer = producer;
    this.running = true;
    this.loop = this.run();
  }

  /** Stops the relay after publishing what is claimable right now. */
  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loop;
    try {
      await this.flushOnce();
    } catch (error) {
      this.log.warn('outbox: final flush failed; the rows stay unsent and go out on the next start', error);
    }
  }

  unsentCount(): number {
    return (this.db.prepare('SELECT count(*) AS n FROM outbox WHERE sent_at IS NULL').get() as { n: number }).n;
  }

  private async run(): Promise<void> {
    let lastCleanup = Date.now();
    while (this.running) {
      let sent: number;
      try {
        sent = await this.flushOnce();
      } catch (error) {
        this.log.warn('outbox: publishing failed, will retry', error);
        await this.idle(1_000);
        continue;
      }
      if (Date.now() - lastCleanup > 60_000) {
        lastCleanup = Date.now();
        this.db.prepare('DELETE FROM outbox WHERE sent_at IS NOT NULL AND sent_at < ?').run(Date.now() - 3_600_000);
      }
      if (sent < BATCH) await this.idle(250);
    }
  }

  private idle(ms: number): Promise<void> {
    if (this.kicked) {
      this.kicked = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wake = () => {
        this.wake = undefined;
        this.kicked = false;
        done();
      };
    });
  }

  private claim(): OutboxRow[] {
    const now = Date.now();
    // A cheap read first, so an idle relay does not take the write lock on every poll.
    if (!this.db.prepare('SELECT 1 FROM outbox WHERE sent_at IS NULL LIMIT 1').get()) return [];
    return this.db
      .transaction(() => {
        const rows = this.db
          .prepare(
            `SELECT id, event_id, topic, key, value, headers, trace_carrier FROM outbox
             WHERE sent_at IS NULL AND (claimed_until IS NULL OR claimed_until < ? OR claimed_by = ?)
             ORDER BY id LIMIT ?`,
          )
          .all(now, this.instance, BATCH) as OutboxRow[];
        const mark = this.db.prepare('UPDATE outbox SET claimed_by = ?, claimed_until = ? WHERE id = ?');
        for (const row of rows) mark.run(this.instance, now + LEASE_MS, row.id);
        return rows;
      })
      .immediate();
  }

  private async flushOnce(): Promise<number> {
    const producer = this.producer;
    if (!producer) return 0;
    const rows = this.claim();
    if (rows.length === 0) return 0;
    const byKey = new Map<string, OutboxRow[]>();
    for (const row of rows) {
      const list = byKey.get(row.key);
      if (list) list.push(row);
      else byKey.set(row.key, [row]);
    }
    const markSent = this.db.prepare('UPDATE outbox SET sent_at = ?, partition = ?, "offset" = ? WHERE id = ?');
    const results = await Promise.allSettled(
      [...byKey.values()].map(async (list) => {
        for (const row of list) {
          const meta = await this.send(producer, row);
          markSent.run(Date.now(), meta.partition, Number(meta.offset), row.id);
        }
      }),
    );
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    return rows.length;
  }

  private async send(producer: KafkaJs.Producer, row: OutboxRow): Promise<{ partition: number; offset: string }> {
    const message: KafkaJs.Message = {
      key: row.key,
      value: row.value,
      headers: JSON.parse(row.headers) as Record<string, string>,
      // CreateTime = when the relay hands the record to the producer; with tracing on, the send
      // span's start replaces it (tracing/spans.ts: one clock reading for both). Left to kafkajs,
      // it is stamped when the produce request is encoded, which can be tens of ms later
      // (metadata, queueing), so observers timing from the send span and from the record
      // timestamp would disagree by that much.
      timestamp: String(Date.now()),
    };
    const parent = row.trace_carrier
      ? propagation.extract(ROOT_CONTEXT, JSON.parse(row.trace_carrier) as Record<string, string>)
      : ROOT_CONTEXT;
    expectOffset(message);
    try {
      const [meta] = await context.with(parent, () => producer.send({ topic: row.topic, messages: [message] }));
      if (!meta) throw new Error(`no record metadata for ${row.topic}`);
      const result = { partition: meta.partition, offset: meta.baseOffset ?? '-1' };
      completeSend(message, result);
      return result;
    } catch (error) {
      completeSend(message);
      throw error;
    }
  }
}
