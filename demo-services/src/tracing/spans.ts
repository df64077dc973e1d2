/**
 * The glue between the kafkajs instrumentation and the demo's runtime. It only uses
 * @opentelemetry/api, so it costs nothing when tracing is off (no hook ever runs).
 *
 * - The instrumentation calls `consumerHook` / `producerHook` when it starts a span for a
 *   record; they add the envelope attributes and remember the span by the kafkajs message
 *   object, so the runtime can add what is only known later (group, outcome, attempt, DLQ).
 * - A producer span ends as soon as `send` resolves, before the caller sees the produced
 *   offset. For messages the runtime marks with `expectOffset`, the hook holds the span's
 *   `end` back until `completeSend` has set the partition and offset (or the send failed).
 */
import { SpanKind, context, trace, type Attributes, type Span, type TimeInput } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { ATTR, type Outcome } from './attributes.ts';
import { HEADER, headerString, parseHeaders, type RawHeaders } from '../lib/envelope.ts';

interface HookMessage {
  key?: Buffer | string | null;
  headers?: RawHeaders;
  offset?: string;
  timestamp?: string;
}

const consumerSpans = new WeakMap<object, Span>();
interface HeldSpan {
  span: Span;
  /** The span's real `end`, bound. */
  end: Span['end'];
  endTime?: TimeInput;
  /** When the sweep ends it anyway (ms, Date.now()). */
  deadline: number;
}

// Held until `completeSend`. A Map (not a WeakMap) so that one timer can sweep up what nobody
// completed, instead of a timer per span; every entry leaves it within FALLBACK_END_MS or so.
const heldProducerSpans = new Map<object, HeldSpan>();
const expectingOffset = new WeakSet<object>();
const FALLBACK_END_MS = 30_000;
const SWEEP_MS = 5_000;
let sweeper: NodeJS.Timeout | undefined;

function envelopeAttributes(raw: RawHeaders | undefined): Attributes {
  const attrs: Attributes = {};
  const headers = parseHeaders(raw);
  const id = headerString(headers, HEADER.eventId);
  const type = headerString(headers, HEADER.eventType);
  const correlation = headerString(headers, HEADER.correlationId);
  const causation = headerString(headers, HEADER.causationId);
  if (id) attrs[ATTR.messageId] = id;
  if (type) attrs[ATTR.eventType] = type;
  if (correlation) attrs[ATTR.correlationId] = correlation;
  if (causation) attrs[ATTR.causationId] = causation;
  return attrs;
}

export function consumerHook(span: Span, info: { topic: string; message: HookMessage }): void {
  span.setAttributes(envelopeAttributes(info.message.headers));
  // The instrumentation records the offset as a string; the contract (and semconv) want a number.
  if (info.message.offset !== undefined) span.setAttribute(ATTR.offset, Number(info.message.offset));
  consumerSpans.set(info.message, span);
}

export function producerHook(span: Span, info: { topic: string; message: HookMessage }): void {
  span.setAttributes(envelopeAttributes(info.message.headers));
  if (!expectingOffset.has(info.message)) return;
  // The outbox's records: CreateTime is the send span's start, one clock reading for "published
  // at", so the record timestamp and the span agree exactly. The outbox's own Date.now() (set a
  // moment earlier) could be a descheduling apart under load; kafkajs encodes the record later.
  const startTime = (span as Partial<ReadableSpan>).startTime;
  if (startTime) info.message.timestamp = String(startTime[0] * 1000 + Math.floor(startTime[1] / 1e6));
  const held: HeldSpan = { span, end: span.end.bind(span), deadline: Date.now() + FALLBACK_END_MS };
  heldProducerSpans.set(info.message, held);
  // The instrumentation ends the span when `send` resolves: only note the time then.
  span.end = (endTime?: TimeInput) => {
    held.endTime = endTime ?? performance.timeOrigin + performance.now();
  };
  sweeper ??= setInterval(sweep, SWEEP_MS).unref();
}

function finish(message: object, held: HeldSpan): void {
  heldProducerSpans.delete(message);
  held.span.end = held.end;
  held.end(held.endTime);
}

// If nobody completes the send (a bug), still end the span eventually.
function sweep(): void {
  const now = Date.now();
  for (const [message, held] of heldProducerSpans) if (held.deadline <= now) finish(message, held);
  if (heldProducerSpans.size === 0 && sweeper) {
    clearInterval(sweeper);
    sweeper = undefined;
  }
}

/** Marks a message whose producer span should carry the produced partition and offset. */
export function expectOffset(message: object): void {
  expectingOffset.add(message);
}

/** Called after `send` settled: sets partition and offset (when known) and ends the held span. */
export function completeSend(message: object, result?: { partition: number; offset: string }): void {
  const held = heldProducerSpans.get(message);
  if (!held) return;
  if (result) {
    held.span.setAttribute(ATTR.partition, String(result.partition));
    held.span.setAttribute(ATTR.offset, Number(result.offset));
  }
  finish(message, held);
}

/** Adds attributes to the consumer (process) span of a record, if tracing made one. */
export function annotateDelivery(message: object, attrs: Attributes): void {
  consumerSpans.get(message)?.setAttributes(attrs);
}

const alreadyEnded = (): void => undefined;

/** Ends the consumer span of a record now (the instrumentation's own end at batch end is then a no-op). */
export function endDelivery(message: object): void {
  const span = consumerSpans.get(message);
  if (!span) return;
  consumerSpans.delete(message);
  span.end();
  // The SDK answers a second `end` with a warning that builds an Error (a stack trace) even when
  // nothing logs it; the instrumentation calls it for every record of the batch.
  span.end = alreadyEnded;
}

/** Marks a span the exporter leaves out (sdk.ts's span processor drops spans with it). */
export const DROPPED_ATTR = 'eventscope.demo.dropped';

/** The record's consumer span is ended and never exported: the fault injection's "never saw it". */
export function dropDelivery(message: object): void {
  consumerSpans.get(message)?.setAttribute(DROPPED_ATTR, true);
  endDelivery(message);
}

export function deliverySpan(message: object): Span | undefined {
  return consumerSpans.get(message);
}

/**
 * Records one failed attempt that will be retried as its own CONSUMER span (child of the
 * delivery span): outcome `retried`, its attempt number, the error.
 */
export function recordRetriedAttempt(
  message: object,
  topic: string,
  attrs: Attributes,
  startTime: number,
  error: unknown,
): void {
  const parent = consumerSpans.get(message);
  if (!parent) return;
  const tracer = trace.getTracer('eventscope-demo');
  const span = tracer.startSpan(
    `process ${topic}`,
    { kind: SpanKind.CONSUMER, startTime, attributes: { ...attrs, [ATTR.outcome]: 'retried' satisfies Outcome } },
    trace.setSpan(context.active(), parent),
  );
  span.recordException(error instanceof Error ? error : String(error));
  span.end();
}
