/**
 * The OTLP-in-Kafka receiver: a consumer group member reading topics whose record values are
 * OTLP `ExportTraceServiceRequest`s in protobuf, as the OpenTelemetry Collector's Kafka exporter
 * writes them with `encoding: otlp_proto` (the value is the plain protobuf message, no framing; the
 * exporter's headers, if any, carry only metadata and are not read). Each record goes through the
 * same decoder and admission as an OTLP/HTTP protobuf export (otlp/protobuf-spans.ts,
 * admission.ts); the next offset of a partition is committed only once the store has every span
 * of the records before it, so a collector that dies hands its partitions to the others without
 * losing spans (the store ignores a span it already has, so what the next owner reads again is
 * not counted twice).
 *
 * A record that cannot be decoded is counted and logged and its offset committed with the rest: it
 * never stalls its partition. A full intake queue pauses the stream and retries, never drops.
 */
import type { FastifyBaseLogger } from 'fastify';
import { Consumer, MessagesStreamFallbackModes, MessagesStreamModes } from '@platformatic/kafka';
import type { Message, MessagesStream } from '@platformatic/kafka';
import type { Counter } from 'prom-client';
import type { KafkaClientBase } from '../../kafka/security.ts';
import type { ExportAdmission } from '../admission.ts';
import { decodeProtobufSpans } from '../otlp/protobuf-spans.ts';
import type { DecodedExport } from '../span.ts';

type OtlpMessage = Message<Buffer, Buffer, Buffer, Buffer>;

/** Records taken from the stream before it is paused to store them and commit. */
const MAX_BATCH = 500;
/** Wait before trying to join again after a failure (ms). */
const RETRY_MS = 2000;
/** Attempts at storing a batch whose store write failed before its offsets are committed anyway. */
const STORE_ATTEMPTS = 3;

/** What happened to a record: `stored` its spans are in the store, `empty` no value, `undecodable` not OTLP protobuf, `store_error` the store failed on it after every attempt. */
export type RecordOutcome = 'stored' | 'empty' | 'undecodable' | 'store_error';

export interface KafkaOtlpMetrics {
  records: Counter<'outcome'>;
  commitErrors: Counter<string>;
}

export interface KafkaOtlpOptions {
  /** Client id, brokers, TLS and SASL (app.kafkaClientOptions). */
  client: KafkaClientBase;
  groupId: string;
  topics: readonly string[];
  admission: ExportAdmission;
  metrics: KafkaOtlpMetrics;
  log: FastifyBaseLogger;
  /** Wait before offering again to a full intake queue (ms). */
  retryMs: number;
}

/** The spans of one record, or why it has none. */
export function decodeRecord(value: Buffer | null | undefined): DecodedExport | 'empty' | 'undecodable' {
  if (value === null || value === undefined || value.length === 0) return 'empty';
  try {
    return decodeProtobufSpans(value);
  } catch {
    // MalformedExport, or anything else a hostile value makes the decoder throw: either way not OTLP.
    return 'undecodable';
  }
}

export class KafkaOtlpReceiver {
  readonly #opts: KafkaOtlpOptions;
  #consumer: Consumer<Buffer, Buffer, Buffer, Buffer> | undefined;
  #stream: MessagesStream<Buffer, Buffer, Buffer, Buffer> | undefined;
  #pending: OtlpMessage[] = [];
  #working: Promise<void> | undefined;
  #running = false;
  #stopped = false;
  /** Ends the wait before the next attempt to join. */
  #wake: (() => void) | undefined;

  constructor(opts: KafkaOtlpOptions) {
    this.#opts = opts;
  }

  get running(): boolean {
    return this.#running;
  }

  /**
   * Joins the group and starts reading (committed offsets; the start of each partition the first
   * time). While the broker or a topic is missing it tries again every RETRY_MS: a collector started
   * before them must still read the spans. Resolves once reading, or stopped.
   */
  async start(): Promise<void> {
    if (this.#running || this.#opts.topics.length === 0) return;
    this.#stopped = false;
    for (let attempt = 1; !this.#stopped; attempt++) {
      try {
        await this.#join();
        return;
      } catch (err) {
        await this.#close();
        if (this.#stopped) return;
        // Said once at warn; the retries that follow at debug.
        this.#opts.log[attempt === 1 ? 'warn' : 'debug'](
          { err, otlpKafka: true },
          `OTLP Kafka receiver cannot read ${this.#opts.topics.join(', ')}; retrying every ${RETRY_MS / 1000} s`,
        );
        await new Promise<void>((resolve) => {
          this.#wake = resolve;
          setTimeout(resolve, RETRY_MS).unref();
        });
      }
    }
  }

  async #join(): Promise<void> {
    const o = this.#opts;
    const c = new Consumer<Buffer, Buffer, Buffer, Buffer>({
      ...o.client,
      groupId: o.groupId,
      sessionTimeout: 10_000,
      heartbeatInterval: 1_000,
      rebalanceTimeout: 10_000,
      autocreateTopics: false,
    });
    this.#consumer = c;
    const s = await c.consume({
      topics: [...o.topics],
      mode: MessagesStreamModes.COMMITTED,
      // Spans exported before the group's first start are read too.
      fallbackMode: MessagesStreamFallbackModes.EARLIEST,
      autocommit: false,
      isolationLevel: 1,
      maxWaitTime: 500,
    });
    this.#stream = s;
    s.on('data', (m: OtlpMessage) => {
      this.#pending.push(m);
      this.#kick(s);
    });
    s.on('error', (err: Error) => o.log.warn({ err, otlpKafka: true }, 'OTLP Kafka stream error'));
    // Stopped while joining: stop() may have found nothing to close yet.
    if (this.#stopped) {
      await this.#close();
      return;
    }
    this.#running = true;
  }

  /** Stores what was read (committing it), then leaves the group. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#wake?.();
    await this.#close();
  }

  async #close(): Promise<void> {
    this.#running = false;
    const c = this.#consumer;
    const s = this.#stream;
    this.#consumer = undefined;
    this.#stream = undefined;
    await this.#working;
    await s?.close().catch(() => undefined);
    await c?.close(true).catch(() => undefined);
  }

  #kick(s: MessagesStream<Buffer, Buffer, Buffer, Buffer>): void {
    if (this.#working || this.#pending.length === 0) return;
    s.pause();
    this.#working = this.#drain(s)
      .catch((err: unknown) => this.#opts.log.error({ err, otlpKafka: true }, 'OTLP Kafka receiver failed a batch'))
      .finally(() => {
        this.#working = undefined;
        if (this.#stream !== s) return;
        s.resume();
        this.#kick(s);
      });
  }

  async #drain(s: MessagesStream<Buffer, Buffer, Buffer, Buffer>): Promise<void> {
    while (this.#pending.length > 0 && this.#stream === s) {
      const batch = this.#pending.slice(0, MAX_BATCH);
      this.#pending = this.#pending.slice(batch.length);
      // Not committed when stopping before the store had it all: the partition's next owner reads it again.
      if (await this.#storeBatch(batch)) await this.#commit(batch);
    }
  }

  /**
   * Offers each record's spans and waits until the store has all of them (retrying a failed write);
   * false when the receiver stopped first.
   */
  async #storeBatch(batch: OtlpMessage[]): Promise<boolean> {
    const { metrics, log } = this.#opts;
    let todo: { m: OtlpMessage; decoded: DecodedExport }[] = [];
    for (const m of batch) {
      const decoded = decodeRecord(m.value);
      if (decoded === 'empty' || decoded === 'undecodable') {
        metrics.records.inc({ outcome: decoded });
        if (decoded === 'undecodable') {
          log.warn(
            { topic: m.topic, partition: m.partition, offset: String(m.offset), bytes: m.value.length },
            'OTLP Kafka record is not an OTLP protobuf trace export; skipped',
          );
        }
        continue;
      }
      todo.push({ m, decoded });
    }
    for (let attempt = 1; todo.length > 0; attempt++) {
      const results = await Promise.all(todo.map(({ m, decoded }) => this.#offer(m, decoded)));
      const failed = todo.filter((_, i) => !results[i]);
      metrics.records.inc({ outcome: 'stored' }, todo.length - failed.length);
      if (failed.length === 0) return true;
      if (!this.#running) return false;
      if (attempt >= STORE_ATTEMPTS) {
        // Committed anyway: a write the store refuses three times would stall the partition for good.
        metrics.records.inc({ outcome: 'store_error' }, failed.length);
        log.error({ records: failed.length }, 'the store failed on OTLP Kafka records three times; skipped');
        return true;
      }
      todo = failed;
    }
    return true;
  }

  /** Offers one record's spans until the intake queue takes them; resolves with whether the store wrote them. */
  async #offer(m: OtlpMessage, decoded: DecodedExport): Promise<boolean> {
    const { admission, retryMs } = this.#opts;
    for (;;) {
      let settle!: (ok: boolean) => void;
      const stored = new Promise<boolean>((resolve) => (settle = resolve));
      const outcome = admission.admit(decoded, `kafka ${m.topic}/${m.partition}`, (ok) => settle(ok));
      if (outcome.accepted) return stored;
      if (!this.#running) return false;
      await new Promise<void>((resolve) => setTimeout(resolve, retryMs));
    }
  }

  /** Commits the offset after the last record of each partition of the batch. */
  async #commit(batch: OtlpMessage[]): Promise<void> {
    const last = new Map<string, OtlpMessage>();
    for (const m of batch) last.set(`${m.topic}\u0000${m.partition}`, m);
    await Promise.all(
      [...last.values()].map(
        (m) =>
          new Promise<void>((resolve) => {
            void m.commit((err) => {
              if (err) {
                // Most often the partition moved to another collector meanwhile: it reads these records
                // again, and the store does not count spans twice.
                this.#opts.metrics.commitErrors.inc();
                this.#opts.log.warn(
                  { err, topic: m.topic, partition: m.partition, offset: String(m.offset) },
                  'OTLP Kafka offset commit failed',
                );
              }
              resolve();
            });
          }),
      ),
    );
  }
}
