/**
 * The event envelope of docs/event-contract.md: key = aggregate (order) id; headers
 * `event-id` (UUIDv7), `event-type`, `correlation-id`, `causation-id`. `traceparent` and
 * `tracestate` are written by OpenTelemetry's propagator when the record is sent.
 */
import { HEADER } from '@eventscope/contract';
import { v7 as uuidv7 } from 'uuid';
import { isUtf8 } from 'node:buffer';

export { HEADER };

export interface Envelope {
  eventId: string;
  eventType: string;
  correlationId: string;
  causationId?: string;
}

export function newEventId(): string {
  return uuidv7();
}

export function envelopeHeaders(env: Envelope): Record<string, string> {
  const headers: Record<string, string> = {
    [HEADER.eventId]: env.eventId,
    [HEADER.eventType]: env.eventType,
    [HEADER.correlationId]: env.correlationId,
  };
  if (env.causationId) headers[HEADER.causationId] = env.causationId;
  return headers;
}

/**
 * Headers as kafkajs hands them over: a plain object keyed by header name. A value is a Buffer,
 * null (a header written without a value, e.g. kcat `-H name`), or an array when the name
 * repeats. kafkajs builds that object with `obj[key] === undefined ? value : [...]`, so for a
 * name that is also an Object.prototype member (`constructor`, `toString`, `__proto__`) the
 * "array" starts with the inherited member (a function or Object.prototype): anything in it
 * that is not a Buffer, a string or null is not a header value and is dropped.
 */
export type RawHeaders = Readonly<Record<string, unknown>>;

/** One header's values in record order; null = the header has no value. */
export type HeaderValues = readonly (Buffer | null)[];
/** Parsed headers: a Map, so a header named `__proto__` or `constructor` is just a name. */
export type HeaderMap = ReadonlyMap<string, HeaderValues>;

/** Longest envelope header value accepted (bytes); a UUID is 36, an event type a few dozen. */
export const MAX_ENVELOPE_VALUE_BYTES = 256;

function headerValue(v: unknown): Buffer | null | undefined {
  if (v === null || v === undefined) return null;
  if (Buffer.isBuffer(v)) return v;
  if (typeof v === 'string') return Buffer.from(v, 'utf8');
  return undefined;
}

/** Parses kafkajs headers into a Map. Total: never throws, whatever `raw` is. */
export function parseHeaders(raw: unknown): HeaderMap {
  const out = new Map<string, HeaderValues>();
  if (raw === null || typeof raw !== 'object') return out;
  for (const name of Object.keys(raw)) {
    // Own data properties only (a getter is not a header).
    const v: unknown = Object.getOwnPropertyDescriptor(raw, name)?.value;
    const values: (Buffer | null)[] = [];
    for (const item of Array.isArray(v) ? (v as unknown[]) : [v]) {
      const value = headerValue(item);
      if (value !== undefined) values.push(value);
    }
    if (values.length > 0) out.set(name, values);
  }
  return out;
}

/**
 * Headers as kafkajs can send them again: every value in order (duplicates kept), a header
 * without a value with an empty one (kafkajs cannot write a null header value: its size
 * computation calls Buffer.byteLength on the value and throws). A null-prototype object,
 * because the names (`__proto__`, `constructor`) come from outside.
 */
export function sendableHeaders(raw: unknown, leaveOut?: ReadonlySet<string>): Record<string, Buffer | Buffer[]> {
  const out = Object.create(null) as Record<string, Buffer | Buffer[]>;
  for (const [name, values] of parseHeaders(raw)) {
    if (leaveOut?.has(name)) continue;
    const buffers = values.map((v) => v ?? Buffer.alloc(0));
    out[name] = buffers.length === 1 ? (buffers[0] ?? Buffer.alloc(0)) : buffers;
  }
  return out;
}

export type HeaderText = { ok: true; value: string | undefined } | { ok: false; reason: string };

/**
 * The one UTF-8 value of header `name`: undefined when absent; a reason when it has no value,
 * is empty, is not UTF-8, is longer than MAX_ENVELOPE_VALUE_BYTES or repeats with different values.
 */
export function envelopeValue(headers: HeaderMap, name: string): HeaderText {
  const values = headers.get(name);
  if (!values || values.length === 0) return { ok: true, value: undefined };
  const first = values[0];
  for (const v of values) {
    if (v === null) return { ok: false, reason: `header ${name} has no value` };
    if (first !== null && first !== undefined && !v.equals(first)) {
      return { ok: false, reason: `header ${name} appears ${values.length} times with different values` };
    }
  }
  if (!first || first.length === 0) return { ok: false, reason: `header ${name} is empty` };
  if (first.length > MAX_ENVELOPE_VALUE_BYTES) {
    return { ok: false, reason: `header ${name} is ${first.length} bytes (at most ${MAX_ENVELOPE_VALUE_BYTES})` };
  }
  if (!isUtf8(first)) return { ok: false, reason: `header ${name} is not UTF-8` };
  return { ok: true, value: first.toString('utf8') };
}

/** A header's first value as text, or undefined when absent or unusable (for span attributes). */
export function headerString(headers: HeaderMap, name: string): string | undefined {
  const v = envelopeValue(headers, name);
  return v.ok ? v.value : undefined;
}

export type EnvelopeResult = { ok: true; envelope: Envelope } | { ok: false; reason: string };

/**
 * Reads the envelope of a consumed record. Total: a valid envelope or the reason there is
 * none (missing, valueless, empty, non-UTF-8, oversized or conflicting envelope headers);
 * it never throws, whatever the headers are.
 */
export function parseEnvelope(raw: unknown): EnvelopeResult {
  const headers = parseHeaders(raw);
  const text: Partial<Record<keyof typeof HEADER, string>> = {};
  for (const field of ['eventId', 'eventType', 'correlationId', 'causationId'] as const) {
    const v = envelopeValue(headers, HEADER[field]);
    if (!v.ok) return v;
    if (v.value !== undefined) text[field] = v.value;
  }
  const { eventId, eventType, correlationId, causationId } = text;
  if (eventId === undefined || eventType === undefined) {
    return { ok: false, reason: `record lacks the ${HEADER.eventId} or ${HEADER.eventType} header` };
  }
  const envelope: Envelope = { eventId, eventType, correlationId: correlationId ?? '' };
  if (causationId !== undefined) envelope.causationId = causationId;
  return { ok: true, envelope };
}
