/**
 * The event envelope of docs/event-contract.md: key = aggregate (order) id; headers
 * `event-id` (UUIDv7), `event-type`, `correlation-id`, `causation-id`. `traceparent` and
 * `tracestate` are written by OpenTelemetry's propagator when the record is sent.
 */
import { v7 as uuidv7 } from 'uuid';
import { DecodeError } from './errors.ts';

export const HEADER = {
  eventId: 'event-id',
  eventType: 'event-type',
  correlationId: 'correlation-id',
  causationId: 'causation-id',
} as const;

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

export type RawHeaders = Record<string, Buffer | string | (Buffer | string)[] | undefined>;

export function headerString(headers: RawHeaders | undefined, name: string): string | undefined {
  const value = headers?.[name];
  const first = Array.isArray(value) ? value[0] : value;
  if (first === undefined) return undefined;
  return Buffer.isBuffer(first) ? first.toString('utf8') : first;
}

/** Headers as plain strings (for the DLQ and for tests). */
export function headersToStrings(headers: RawHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of Object.keys(headers ?? {})) {
    const v = headerString(headers, name);
    if (v !== undefined) out[name] = v;
  }
  return out;
}

/** Reads the envelope of a consumed record; a record without event id or type cannot be processed. */
export function readEnvelope(headers: RawHeaders | undefined): Envelope {
  const eventId = headerString(headers, HEADER.eventId);
  const eventType = headerString(headers, HEADER.eventType);
  if (!eventId || !eventType) throw new DecodeError(`record lacks the ${HEADER.eventId} or ${HEADER.eventType} header`);
  const correlationId = headerString(headers, HEADER.correlationId) ?? '';
  const causationId = headerString(headers, HEADER.causationId);
  return causationId ? { eventId, eventType, correlationId, causationId } : { eventId, eventType, correlationId };
}
