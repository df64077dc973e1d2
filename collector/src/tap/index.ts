/**
 * The optional tap: a read-only kafkajs consumer (group `eventscope-tap`, which the lag
 * monitor leaves out by default) of the topics in `tapTopics`, recording each record's
 * (topic, partition, offset, timestamp) with its `event-id` and `correlation-id` headers.
 * It gives the complete offset <-> event mapping "where is my event" and the loss audit
 * need, also for producers that are not instrumented. It never produces and never decodes
 * values. It starts reading at the end of each topic the first time (then from its own
 * committed offsets), so a first start does not read the topics' whole history.
 */
import { HEADER } from '@eventscope/contract';
import { isUtf8 } from 'node:buffer';
import fp from 'fastify-plugin';
import { Kafka, logLevel, type Consumer, type EachBatchPayload, type LogEntry } from 'kafkajs';
import { Counter } from 'prom-client';
import type { RecordRef } from '../store/types.ts';
import { kafkajsLevel } from '../kafka/adapter.ts';

export const TAP_GROUP = 'eventscope-tap';

export interface TapService {
  /** Joins the group and starts reading; resolves once the consumer has joined. */
  start(): Promise<void>;
  stop(): Promise<void>;
  readonly running: boolean;
}

declare module 'fastify' {
  interface FastifyInstance {
    tap: TapService;
  }
}

export interface TapPluginOptions {
  /** Start with the app (default true). */
  background?: boolean;
  /** Consumer group (default eventscope-tap). */
  groupId?: string;
}

/** Longest `event-id` / `correlation-id` the tap keeps (bytes); a UUID is 36. */
const MAX_ID_BYTES = 256;

/**
 * One id header as text, or null when the record has none usable. Total, whatever kafkajs
 * hands over: a header without a value is null (kcat `-H name`), a repeated one an array;
 * an empty, non-UTF-8 or oversized value is no id.
 */
function header(headers: unknown, name: string): string | null {
  if (headers === null || typeof headers !== 'object' || !Object.hasOwn(headers, name)) return null;
  const v: unknown = Object.getOwnPropertyDescriptor(headers, name)?.value;
  const one: unknown = Array.isArray(v) ? (v as unknown[])[0] : v;
  const buf = Buffer.isBuffer(one) ? one : typeof one === 'string' ? Buffer.from(one, 'utf8') : null;
  if (buf === null || buf.length === 0 || buf.length > MAX_ID_BYTES || !isUtf8(buf)) return null;
  return buf.toString('utf8');
}

/** A fetched record as a store record: headers are the only part read. */
export function tapRecord(
  topic: string,
  partition: number,
  m: { offset: string; timestamp: string; headers?: unknown },
): RecordRef {
  return {
    topic,
    partition,
    offset: Number(m.offset),
    timestampUs: Number(m.timestamp) * 1000,
    eventId: header(m.headers, HEADER.eventId),
    correlationId: header(m.headers, HEADER.correlationId),
  };
}

export const tapPlugin = fp<TapPluginOptions>(
  (app, opts, done) => {
    const topics = app.config.tapTopics;
    const records = new Counter({
      name: 'eventscope_tap_records_total',
      help: 'Records the tap read (offset <-> event id mapping), by topic.',
      labelNames: ['topic'],
      registers: [app.metrics],
    });
    let consumer: Consumer | undefined;
    let running = false;

    const service: TapService = {
      get running() {
        return running;
      },
      async start() {
        if (running || topics.length === 0) return;
        const kafka = new Kafka({
          clientId: `${app.config.kafkaClientId}-tap`,
          brokers: [...app.config.kafkaBrokers],
          logLevel: logLevel.WARN,
          logCreator: () => (entry: LogEntry) => {
            const { message, ...extra } = entry.log;
            app.log[kafkajsLevel(entry.level, extra)]({ ...extra, tap: true }, message);
          },
        });
        const c = kafka.consumer({ groupId: opts.groupId ?? TAP_GROUP, readUncommitted: false });
        consumer = c;
        await c.connect();
        for (const topic of topics) await c.subscribe({ topic, fromBeginning: false });
        const joined = new Promise<void>((resolve) => {
          const off = c.on(c.events.GROUP_JOIN, () => {
            off();
            resolve();
          });
        });
        await c.run({
          autoCommit: true,
          eachBatchAutoResolve: true,
          eachBatch: async ({ batch }: EachBatchPayload) => {
            // kafkajs drops transaction control records before eachBatch.
            const recs = batch.messages.map((m) => tapRecord(batch.topic, batch.partition, m));
            if (recs.length === 0) return;
            await app.store.ingest({ publishes: [], deliveries: [], records: recs });
            records.inc({ topic: batch.topic }, recs.length);
          },
        });
        running = true;
        await joined;
      },
      async stop() {
        running = false;
        const c = consumer;
        consumer = undefined;
        await c?.disconnect();
      },
    };
    app.decorate('tap', service);
    if ((opts.background ?? true) && topics.length > 0) {
      // In the background: a broker that is down must not hold up the collector's start.
      app.addHook('onReady', (hookDone) => {
        service.start().catch((err: unknown) => app.log.error({ err }, 'tap failed to start'));
        hookDone();
      });
    }
    // Before the store closes (onClose hooks run in reverse registration order).
    app.addHook('preClose', async () => {
      await service.stop();
    });
    done();
  },
  { name: 'tap', dependencies: ['store', 'metrics'] },
);
