/**
 * The optional tap: a read-only @platformatic/kafka consumer (group `eventscope-tap`, which the lag
 * monitor leaves out by default) of the topics in `tapTopics`, recording each record's
 * (topic, partition, offset, timestamp) with its event id and correlation id headers (`event-id`,
 * `correlation-id`, or the names in envelopeEventIdHeaders / envelopeCorrelationIdHeaders).
 * It gives the complete offset <-> event mapping "where is my event" and the loss audit
 * need, also for producers that are not instrumented. It never produces and never decodes
 * values. It starts reading at the end of each topic the first time (then from its own
 * committed offsets), so a first start does not read the topics' whole history.
 */
import { HEADER } from '@eventscope/contract';
import { isUtf8 } from 'node:buffer';
import fp from 'fastify-plugin';
import {
  Consumer,
  MessagesStreamFallbackModes,
  MessagesStreamModes,
  type Message,
  type MessagesStream,
} from '@platformatic/kafka';
import { Counter } from 'prom-client';
import { dict } from '../lib/safe-map.ts';
import type { RecordRef } from '../store/types.ts';

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

/** Most records handed to the store in one ingest (the rest waits for the next). */
const MAX_BATCH = 2_000;

/**
 * One id header as text, or null when the record has none usable. Total, whatever the client
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

/** The first of `names` the record has a usable value of. */
function firstHeader(headers: unknown, names: readonly string[]): string | null {
  for (const name of names) {
    const v = header(headers, name);
    if (v !== null) return v;
  }
  return null;
}

/** Header names read as the event id and the correlation id (config: envelopeEventIdHeaders, ...). */
export interface TapEnvelope {
  eventId: readonly string[];
  correlationId: readonly string[];
}

const OUR_ENVELOPE: TapEnvelope = { eventId: [HEADER.eventId], correlationId: [HEADER.correlationId] };

/** A fetched record as a store record: headers are the only part read. */
export function tapRecord(
  topic: string,
  partition: number,
  m: { offset: string | bigint; timestamp: string | bigint; headers?: unknown },
  envelope: TapEnvelope = OUR_ENVELOPE,
): RecordRef {
  return {
    topic,
    partition,
    offset: Number(m.offset),
    timestampUs: Number(m.timestamp) * 1000,
    eventId: firstHeader(m.headers, envelope.eventId),
    correlationId: firstHeader(m.headers, envelope.correlationId),
  };
}

export const tapPlugin = fp<TapPluginOptions>(
  (app, opts, done) => {
    const topics = app.config.tapTopics;
    // The same header names the span intake reads as the envelope (ours and CloudEvents' by default).
    const envelope: TapEnvelope = {
      eventId: app.config.envelopeEventIdHeaders,
      correlationId: app.config.envelopeCorrelationIdHeaders,
    };
    const records = new Counter({
      name: 'eventscope_tap_records_total',
      help: 'Records the tap read (offset <-> event id mapping), by topic.',
      labelNames: ['topic'],
      registers: [app.metrics],
    });
    type TapMessage = Message<Buffer, Buffer, Buffer, Buffer>;
    let consumer: Consumer<Buffer, Buffer, Buffer, Buffer> | undefined;
    let stream: MessagesStream<Buffer, Buffer, Buffer, Buffer> | undefined;
    let running = false;
    let pending: TapMessage[] = [];
    let flushing: Promise<void> | undefined;

    /** The message's headers as name -> values (a repeated header keeps every value; null values stay null). */
    const headersOf = (m: TapMessage): Record<string, (Buffer | null)[]> => {
      const out = dict<(Buffer | null)[]>();
      for (const [k, v] of m.headerEntries) {
        if (!Buffer.isBuffer(k)) continue;
        const name = k.toString('utf8');
        const list = out[name] ?? [];
        list.push(Buffer.isBuffer(v) ? v : null);
        out[name] = list;
      }
      return out;
    };

    /**
     * Stores what arrived, then commits the next offset of each partition it stored: the
     * stream is paused meanwhile, so a record is committed only after the store has it.
     */
    const flush = async (): Promise<void> => {
      const s = stream;
      while (pending.length > 0 && s) {
        const batch = pending.slice(0, MAX_BATCH);
        pending = pending.slice(batch.length);
        const recs = batch.map((m) =>
          tapRecord(
            m.topic,
            m.partition,
            { offset: m.offset, timestamp: m.timestamp, headers: headersOf(m) },
            envelope,
          ),
        );
        await app.store.ingest({ publishes: [], deliveries: [], records: recs });
        const last = new Map<string, TapMessage>();
        const perTopic = new Map<string, number>();
        for (const m of batch) {
          last.set(`${m.topic}\u0000${m.partition}`, m);
          perTopic.set(m.topic, (perTopic.get(m.topic) ?? 0) + 1);
        }
        for (const [topic, n] of perTopic) records.inc({ topic }, n);
        await Promise.all(
          [...last.values()].map(
            (m) =>
              new Promise<void>((resolve, reject) => {
                void m.commit((err) => (err ? reject(err) : resolve()));
              }),
          ),
        );
      }
    };

    const service: TapService = {
      get running() {
        return running;
      },
      async start() {
        if (running || topics.length === 0) return;
        const c = new Consumer<Buffer, Buffer, Buffer, Buffer>({
          ...app.kafkaClientOptions('tap'),
          groupId: opts.groupId ?? TAP_GROUP,
          sessionTimeout: 10_000,
          heartbeatInterval: 1_000,
          rebalanceTimeout: 10_000,
          autocreateTopics: false,
        });
        consumer = c;
        // Committed offsets first; the end of each topic the first time. Read committed only.
        const s = await c.consume({
          topics: [...topics],
          mode: MessagesStreamModes.COMMITTED,
          fallbackMode: MessagesStreamFallbackModes.LATEST,
          autocommit: false,
          isolationLevel: 1,
          maxWaitTime: 500,
        });
        stream = s;
        const kick = (): void => {
          if (flushing || pending.length === 0) return;
          s.pause();
          flushing = flush()
            .catch((err: unknown) => app.log.error({ err, tap: true }, 'tap could not store records'))
            .finally(() => {
              flushing = undefined;
              if (stream !== s) return;
              s.resume();
              kick(); // records that arrived after the last round
            });
        };
        s.on('data', (m: TapMessage) => {
          pending.push(m);
          kick();
        });
        s.on('error', (err: Error) => app.log.warn({ err, tap: true }, 'tap stream error'));
        running = true;
      },
      async stop() {
        running = false;
        const c = consumer;
        const s = stream;
        consumer = undefined;
        stream = undefined;
        await flushing;
        await s?.close().catch(() => undefined);
        await c?.close(true).catch(() => undefined);
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
  { name: 'tap', dependencies: ['store', 'metrics', 'kafka'] },
);
