/**
 * The consumer runtime every demo consumer runs on. Per record:
 *
 * 1. Decode (headers + Avro). A record that cannot be decoded goes to the DLQ at once.
 * 2. Handle it inside ONE SQLite transaction that first records its `event-id` in
 *    `processed_events`; when that row already exists the record is a duplicate: the handler
 *    is skipped (no second side effect) and the duplicate is recorded and counted.
 *    A record that was dead-lettered is handled again when it comes back redriven: through the
 *    group's own retry topic `<group>.retry` (a redrive that targets only this group), or on its
 *    topic with a `dlq-redrive-id` header; its `dead_lettered` row becomes `processed`. A
 *    redriven record already processed is a duplicate (so are the other groups' copies of it).
 * 3. A failed attempt is retried with exponential backoff (bounded, with jitter, heartbeating
 *    while it waits); after `maxAttempts`, or at once for a non-retryable error, the record goes
 *    to `<group>.dlq` with the original key, value and headers plus the `dlq-*` headers.
 * 4. Only then is its offset resolved. Offsets are committed by kafkajs (interval/threshold,
 *    after each batch, and on disconnect); `eachBatchAutoResolve` is off, so a record that was
 *    not fully handled is never committed.
 *
 * Between records the loop heartbeats and stops taking records when the consumer is stopping
 * or the batch went stale (a rebalance took the partition away): the remaining records are
 * left to the partition's next owner. This is at-least-once delivery; with the idempotency
 * record it is effectively once.
 */
import { DLQ_HEADER, DLQ_REDRIVE_HEADER } from '@eventscope/contract';
import { context, trace, type Attributes } from '@opentelemetry/api';
import type { DemoConfig } from '../config.ts';
import { ATTR, type Outcome } from '../tracing/attributes.ts';
import { appendFileSync } from 'node:fs';
import { annotateDelivery, deliverySpan, dropDelivery, endDelivery, recordRetriedAttempt } from '../tracing/spans.ts';
import { type EventType, type Naming } from '../topics.ts';
import { bump, type Db } from './db.ts';
import { parseEnvelope, parseHeaders, sendableHeaders, type Envelope } from './envelope.ts';
import { DecodeError, TransientError, errorClass, errorMessage, isRetryable } from './errors.ts';
import type { KafkaJs } from './kafka.ts';
import type { Log } from './log.ts';
import type { Codec } from './schemas.ts';

export interface ConsumedEvent<T = unknown> {
  topic: string;
  eventType: EventType;
  partition: number;
  offset: string;
  /** Record timestamp (ms). */
  timestamp: number;
  key: string;
  value: T;
  envelope: Envelope;
  attempt: number;
}

export interface ConsumerSpec {
  /**
   * The service: the group is `<prefix><service>`, the DLQ `<prefix><service>.dlq`; the group
   * also consumes `<prefix><service>.retry`, whose records carry one of `topics` in `event-type`.
   */
  service: string;
  topics: EventType[];
  /**
   * Applies the record's side effects. Runs inside the SQLite transaction that records the
   * event id, so it must be synchronous and use only `db` (and the outbox) for its effects.
   */
  handle(event: ConsumedEvent): void;
  /** Called after the transaction committed (e.g. to wake the outbox relay). */
  afterCommit?(): void;
}

export interface ConsumerDeps {
  kafka: KafkaJs.Kafka;
  producer: KafkaJs.Producer;
  codec: Codec;
  db: Db;
  names: Naming;
  config: DemoConfig;
  log: Log;
}

export interface RunningConsumer {
  consumer: KafkaJs.Consumer;
  groupId: string;
  dlqTopic: string;
  stop(): Promise<void>;
}

export { DLQ_HEADER };

type DlqHeader = (typeof DLQ_HEADER)[keyof typeof DLQ_HEADER];
const DLQ_HEADER_NAMES: ReadonlySet<string> = new Set(Object.values(DLQ_HEADER));

/**
 * The headers of a DLQ record: the original headers as sendableHeaders makes them (every
 * value, a header without a value with an empty one), then the dlq-* headers, which replace
 * any the original carried.
 */
export function dlqHeaders(
  original: unknown,
  dlq: Readonly<Record<DlqHeader, string>>,
): Record<string, Buffer | Buffer[] | string> {
  const out: Record<string, Buffer | Buffer[] | string> = sendableHeaders(original, DLQ_HEADER_NAMES);
  for (const name of DLQ_HEADER_NAMES) out[name] = dlq[name as DlqHeader];
  return out;
}

/** Whether a send failed because the record is too large for the topic (not worth a retry). */
function isTooLarge(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 5; depth++) {
    const type = (e as { type?: unknown }).type;
    if (type === 'MESSAGE_TOO_LARGE' || type === 'RECORD_LIST_TOO_LARGE') return true;
    e = (e as { cause?: unknown; originalError?: unknown }).originalError ?? e.cause;
  }
  return false;
}

type Handled = Outcome | 'aborted';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function runConsumer(deps: ConsumerDeps, spec: ConsumerSpec): Promise<RunningConsumer> {
  const { kafka, producer, codec, db, names, config, log } = deps;
  const groupId = names.group(spec.service);
  const dlqTopic = names.dlq(spec.service);
  const retryTopic = names.retry(spec.service);
  const consumer = kafka.consumer({
    groupId,
    sessionTimeout: config.sessionTimeoutMs,
    rebalanceTimeout: 20_000,
    heartbeatInterval: 1_000,
    maxWaitTimeInMs: 100,
    // Refresh metadata every 30 s (default 5 min), so partition changes are picked up soon.
    metadataMaxAge: 30_000,
    retry: { retries: 10, initialRetryTime: 200 },
  });

  const insertProcessed = db.prepare(
    `INSERT INTO processed_events (event_id, event_type, topic, partition, "offset", outcome, instance, processed_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(event_id) DO NOTHING`,
  );
  const insertDuplicate = db.prepare(
    'INSERT INTO duplicates (event_id, topic, partition, "offset", instance, seen_at) VALUES (?, ?, ?, ?, ?, ?)',
  );
  // A redriven record whose first delivery was dead-lettered: handled now, its row says so.
  const retakeDeadLettered = db.prepare(
    `UPDATE processed_events SET event_type = ?, topic = ?, partition = ?, "offset" = ?, outcome = 'processed',
       instance = ?, processed_at = ?
     WHERE event_id = ? AND outcome = 'dead_lettered'`,
  );
  const insertDeadLetter = db.prepare(
    `INSERT INTO dead_letters (event_id, topic, partition, "offset", error_class, error, attempts, at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
  );

  /**
   * The record's event type: its topic's; on the retry topic, its `event-type` header's, when
   * that is a type this group consumes (anything else there cannot be handled).
   */
  function eventTypeOf(topic: string, envelope: Envelope): EventType | undefined {
    if (topic !== retryTopic) return names.typeOf(topic);
    return spec.topics.find((type) => type === envelope.eventType);
  }

  /** A redrive sent it: to the retry topic, or to the original topic with the redrive headers. */
  function isRedriven(topic: string, message: KafkaJs.KafkaMessage): boolean {
    return topic === retryTopic || parseHeaders(message.headers).has(DLQ_REDRIVE_HEADER.redriveId);
  }

  function applyOnce(event: ConsumedEvent, redriven: boolean): 'processed' | 'duplicate' {
    return db
      .transaction((): 'processed' | 'duplicate' => {
        const row = [event.eventType, event.topic, event.partition, Number(event.offset)] as const;
        const fresh = insertProcessed.run(event.envelope.eventId, ...row, 'processed', config.instance, Date.now());
        const retaken =
          fresh.changes === 0 &&
          redriven &&
          retakeDeadLettered.run(...row, config.instance, Date.now(), event.envelope.eventId).changes === 1;
        if (retaken) bump(db, 'redriven');
        if (fresh.changes === 0 && !retaken) {
          insertDuplicate.run(
            event.envelope.eventId,
            event.topic,
            event.partition,
            Number(event.offset),
            config.instance,
            Date.now(),
          );
          bump(db, 'duplicates');
          return 'duplicate';
        }
        spec.handle(event);
        bump(db, 'processed');
        return 'processed';
      })
      .immediate();
  }

  async function deadLetter(
    topic: string,
    partition: number,
    message: KafkaJs.KafkaMessage,
    error: unknown,
    attempts: number,
    firstFailure: Date,
    eventId: string | undefined,
  ): Promise<void> {
    const dlq: Record<DlqHeader, string> = {
      [DLQ_HEADER.originalTopic]: topic,
      [DLQ_HEADER.originalPartition]: String(partition),
      [DLQ_HEADER.originalOffset]: message.offset,
      [DLQ_HEADER.consumerGroup]: groupId,
      [DLQ_HEADER.errorClass]: errorClass(error),
      [DLQ_HEADER.errorMessage]: errorMessage(error).slice(0, 1_000),
      [DLQ_HEADER.attempts]: String(attempts),
      [DLQ_HEADER.firstFailureTime]: firstFailure.toISOString(),
      [DLQ_HEADER.lastFailureTime]: new Date().toISOString(),
    };
    try {
      await producer.send({
        topic: dlqTopic,
        messages: [{ key: message.key, value: message.value, headers: dlqHeaders(message.headers, dlq) }],
      });
    } catch (sendError) {
      if (!isTooLarge(sendError)) throw sendError;
      // The copy with the dlq-* headers does not fit the DLQ topic (a record near the size limit,
      // or huge headers): send the key and the dlq-* headers only, and say so in the message,
      // so the record still reaches the DLQ and the partition keeps flowing.
      const note = ` (value and headers left out of this DLQ copy: ${errorMessage(sendError)})`;
      dlq[DLQ_HEADER.errorMessage] = `${errorMessage(error).slice(0, 1_000 - note.length)}${note}`;
      await producer.send({
        topic: dlqTopic,
        messages: [{ key: message.key, value: null, headers: dlqHeaders(undefined, dlq) }],
      });
    }
    db.transaction(() => {
      insertDeadLetter.run(
        eventId ?? null,
        topic,
        partition,
        Number(message.offset),
        errorClass(error),
        errorMessage(error).slice(0, 1_000),
        attempts,
        Date.now(),
      );
      // A redelivery of this record (we crashed before committing its offset) is a duplicate, not a second DLQ entry.
      if (eventId) {
        insertProcessed.run(
          eventId,
          '',
          topic,
          partition,
          Number(message.offset),
          'dead_lettered',
          config.instance,
          Date.now(),
        );
      }
      bump(db, 'dead_lettered');
    }).immediate();
    log.warn(
      `dead-lettered ${topic}[${partition}]@${message.offset} to ${dlqTopic}: ${errorClass(error)}: ${errorMessage(error)}`,
    );
  }

  async function handleRecord(
    topic: string,
    partition: number,
    message: KafkaJs.KafkaMessage,
    keepGoing: () => boolean,
    heartbeat: () => Promise<void>,
  ): Promise<Handled> {
    const base: Attributes = { [ATTR.consumerGroup]: groupId };
    annotateDelivery(message, base);
    const parsed = parseEnvelope(message.headers);
    const eventType = parsed.ok ? eventTypeOf(topic, parsed.envelope) : undefined;
    if (!parsed.ok || !eventType) {
      const reason = !parsed.ok
        ? parsed.reason
        : topic === retryTopic
          ? `event type ${parsed.envelope.eventType} on ${topic} is not one group ${groupId} consumes`
          : `topic ${topic} is not a demo topic`;
      await deadLetter(topic, partition, message, new DecodeError(reason), 1, new Date(), undefined);
      annotateDelivery(message, { [ATTR.outcome]: 'dead_lettered', [ATTR.attempt]: 1, [ATTR.dlqTopic]: dlqTopic });
      return 'dead_lettered';
    }
    const envelope: Envelope = parsed.envelope;
    const redriven = isRedriven(topic, message);
    let firstFailure: Date | undefined;
    for (let attempt = 1; ; attempt++) {
      const started = Date.now();
      try {
        // Undecodable -> DecodeError (not retryable: straight to the DLQ); registry down -> retried.
        const value = await codec.decode(message.value);
        if (config.slowMs > 0) await sleep(config.slowMs);
        if (attempt <= config.failAttempts) {
          throw new TransientError(`injected failure of attempt ${attempt} (DEMO_FAIL_ATTEMPTS)`);
        }
        if (config.transientFailureRate > 0 && Math.random() < config.transientFailureRate) {
          throw new TransientError('injected transient failure (DEMO_TRANSIENT_FAILURE_RATE)');
        }
        const span = deliverySpan(message);
        const ctx = span ? trace.setSpan(context.active(), span) : context.active();
        // Inside the delivery span's context, so events enqueued to the outbox continue its trace.
        const outcome = context.with(ctx, () =>
          applyOnce(
            {
              topic,
              eventType,
              partition,
              offset: message.offset,
              timestamp: Number(message.timestamp),
              key: message.key?.toString('utf8') ?? '',
              value,
              envelope,
              attempt,
            },
            redriven,
          ),
        );
        spec.afterCommit?.();
        annotateDelivery(message, { [ATTR.outcome]: outcome, [ATTR.attempt]: attempt });
        return outcome;
      } catch (error) {
        firstFailure ??= new Date();
        if (!isRetryable(error) || attempt >= config.maxAttempts) {
          await deadLetter(topic, partition, message, error, attempt, firstFailure, envelope.eventId);
          annotateDelivery(message, {
            [ATTR.outcome]: 'dead_lettered',
            [ATTR.attempt]: attempt,
            [ATTR.dlqTopic]: dlqTopic,
          });
          return 'dead_lettered';
        }
        db.transaction(() => bump(db, 'retried')).immediate();
        recordRetriedAttempt(
          message,
          topic,
          {
            ...base,
            [ATTR.system]: 'kafka',
            [ATTR.destination]: topic,
            [ATTR.operationType]: 'process',
            [ATTR.partition]: String(partition),
            [ATTR.offset]: Number(message.offset),
            [ATTR.messageId]: envelope.eventId,
            [ATTR.eventType]: envelope.eventType,
            [ATTR.correlationId]: envelope.correlationId,
            ...(envelope.causationId ? { [ATTR.causationId]: envelope.causationId } : {}),
            [ATTR.attempt]: attempt,
          },
          started,
          error,
        );
        log.warn(`retrying ${topic}[${partition}]@${message.offset} (attempt ${attempt}): ${errorMessage(error)}`);
        const backoff = Math.min(5_000, config.retryBaseMs * 2 ** (attempt - 1)) * (0.5 + Math.random() / 2);
        const until = Date.now() + backoff;
        while (Date.now() < until) {
          if (!keepGoing()) return 'aborted';
          await sleep(Math.min(500, until - Date.now()));
          await heartbeat();
        }
        if (!keepGoing()) return 'aborted';
      }
    }
  }

  /** DEMO_FAULT_SKIP_EVERY / _TOPIC: whether this record is one the fault injection skips. */
  function skipsOnPurpose(topic: string, offset: string): boolean {
    if (config.skipEvery === 0) return false;
    if (config.skipTopic !== undefined && names.typeOf(topic) !== config.skipTopic) return false;
    return Number(offset) % config.skipEvery === config.skipEvery - 1;
  }

  /** DEMO_FAULT_SKIP_EVERY: no handling, no span; the offset is still committed (see DemoConfig.skipEvery). */
  function skipOnPurpose(topic: string, partition: number, message: KafkaJs.KafkaMessage): void {
    dropDelivery(message);
    const eventId = parseEnvelope(message.headers);
    const id = eventId.ok ? eventId.envelope.eventId : '-';
    if (config.skipLog) appendFileSync(config.skipLog, `${topic} ${partition} ${message.offset} ${id}\n`);
    log.warn(`skipped ${topic}[${partition}]@${message.offset} on purpose (DEMO_FAULT_SKIP_EVERY)`);
  }

  await consumer.connect();
  await consumer.subscribe({ topics: [...spec.topics.map((t) => names.topic(t)), retryTopic], fromBeginning: true });
  // `run` resolves after the first join, but also after a failed one (kafkajs reports the crash
  // and restarts the consumer later, e.g. while the group coordinator is still loading): wait
  // for an actual join, so that DEMO_READY means the service is consuming.
  let offJoin: (() => void) | undefined;
  let failJoin: ((error: Error) => void) | undefined;
  const joined = new Promise<void>((resolve, reject) => {
    offJoin = consumer.on(consumer.events.GROUP_JOIN, () => resolve());
    failJoin = reject;
  });
  void joined.catch(() => undefined); // awaited below; a crash during `run` is no unhandled rejection
  consumer.on(consumer.events.CRASH, (event) => {
    log.error(`consumer ${groupId} crashed (restart: ${String(event.payload.restart)})`, event.payload.error);
    if (!event.payload.restart) {
      process.exitCode = 1;
      failJoin?.(event.payload.error);
    }
  });
  await consumer.run({
    autoCommit: true,
    autoCommitInterval: 500,
    autoCommitThreshold: 50,
    eachBatchAutoResolve: false,
    partitionsConsumedConcurrently: 3,
    eachBatch: async (payload) => {
      const { batch } = payload;
      const keepGoing = (): boolean => payload.isRunning() && !payload.isStale();
      const heartbeat = (): Promise<void> => payload.heartbeat();
      let handled = 0;
      for (const message of batch.messages) {
        if (!keepGoing()) break;
        if (skipsOnPurpose(batch.topic, message.offset)) {
          skipOnPurpose(batch.topic, batch.partition, message);
          payload.resolveOffset(message.offset);
          handled++;
          continue;
        }
        const outcome = await handleRecord(batch.topic, batch.partition, message, keepGoing, heartbeat);
        if (outcome === 'aborted') break;
        // The instrumentation would end every record's span with the batch; end it when the
        // record is done, so the span's end is when this record was handled.
        endDelivery(message);
        payload.resolveOffset(message.offset);
        handled++;
        await payload.commitOffsetsIfNecessary();
        await heartbeat();
      }
      // Records left to the partition's next owner (stopping, a rebalance) were not processed
      // here: the instrumentation started a span for each at the batch start, and would end it as
      // if they had been. Drop them; the record's next delivery has its own.
      for (const message of batch.messages.slice(handled)) dropDelivery(message);
    },
  });
  await joined.finally(() => offJoin?.());
  log.info(`consuming ${spec.topics.join(', ')} and ${retryTopic} as group ${groupId}`);
  return {
    consumer,
    groupId,
    dlqTopic,
    stop: async () => {
      // Finishes the record in hand, commits resolved offsets and leaves the group.
      await consumer.disconnect();
    },
  };
}
