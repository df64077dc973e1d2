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
import { ATTR, type Outcome } from './attributes.ts';
import { HEADER, headerString, type RawHeaders } from '../lib/envelope.ts';

interface HookMessage {
  key?: Buffer | string | null;
  headers?: RawHeaders;
  offset?: string;
}

const consumerSpans = new WeakMap<object, Span>();
interface HeldSpan {
  span: Span;
  endTime?: TimeInput;
  finish: () => void;
}

const heldProducerSpans = new WeakMap<object, HeldSpan>();
const expectingOffset = new WeakSet<object>();
const FALLBACK_END_MS = 30_000;

function envelopeAttributes(headers: RawHeaders | undefined): Attributes {
  const attrs: Attributes = {};
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
  const realEnd = span.end.bind(span);
  const held: HeldSpan = {
    span,
    finish: () => {
      clearTimeout(fallback);
      span.end = realEnd;
      realEnd(held.endTime);
    },
  };
  span.end = (endTime?: TimeInput) => {
    held.endTime = endTime ?? performance.timeOrigin + performance.now();
  };
  // If nobody completes the send (a bug), still end the span eventually.
  const fallback = setTimeout(() => held.finish(), FALLBACK_END_MS);
  fallback.unref();
  heldProducerSpans.set(info.message, held);
}

/** Marks a message whose producer span should carry the produced partition and offset. */
export function expectOffset(message: object): void {
  expectingOffset.add(message);
}

/** Called after `send` settled: sets partition and offset (when known) and ends the held span. */
export function completeSend(message: object, result?: { partition: number; offset: string }): void {
  const held = heldProducerSpans.get(message);
  if (!held) return;
  heldProducerSpans.delete(message);
  if (result) {
    held.span.setAttribute(ATTR.partition, String(result.partition));
    held.span.setAttribute(ATTR.offset, Number(result.offset));
  }
  held.finish();
}

/** Adds attributes to the consumer (process) span of a record, if tracing made one. */
export function annotateDelivery(message: object, attrs: Attributes): void {
  consumerSpans.get(message)?.setAttributes(attrs);
}

/** Ends the consumer span of a record now (the instrumentation's own end at batch end is then a no-op). */
export function endDelivery(message: object): void {
  const span = consumerSpans.get(message);
  if (!span) return;
  consumerSpans.delete(message);
  span.end();
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
