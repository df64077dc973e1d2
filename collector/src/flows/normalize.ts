/**
 * Every Kafka instrumentation's span attributes -> one model, at the edge. Instrumentations
 * disagree on names (docs/event-contract.md, "What each instrumentation writes", lists each
 * one's names and the version read): five generations of OpenTelemetry messaging conventions,
 * `messaging.message.id` that is sometimes our event id and sometimes a Kafka coordinate,
 * captured headers as `messaging.header.<name>` string arrays, dashes as underscores or not.
 * Nothing past this file reads a raw messaging attribute.
 */
import { ATTR, capturedHeaderAttribute, type EnvelopeField } from '@eventscope/contract';
import type { AttributeValue, SpanData } from '../traces/span.ts';

/** One span, as far as flows care: a record published, or one record delivered to a group. */
export interface MessagingSpan {
  role: 'publish' | 'deliver';
  topic: string;
  partition: number | null;
  offset: number | null;
  /** The consumer group (deliveries), when the instrumentation names it. */
  group: string | null;
  key: string | null;
  eventId: string | null;
  eventType: string | null;
  correlationId: string | null;
  causationId: string | null;
  /** `eventscope.outcome` as written (checked by the caller). */
  outcome: string | null;
  attempt: number | null;
  dlqTopic: string | null;
  /**
   * A consumer span about a batch that links to each record's producer span (Spring Kafka batch
   * listeners under the Java agent, Python confluent-kafka's `consume()`): one delivery per link.
   */
  perLink: boolean;
}

/** Header names read as the envelope, per field, in order of preference (config: envelope*Headers). */
export type EnvelopeHeaders = Readonly<Record<EnvelopeField, readonly string[]>>;

/** Attribute keys of captured headers, folded (lowercase, `-` as `_`), per envelope field. */
export type CompiledEnvelope = Readonly<Record<EnvelopeField, readonly string[]>>;

const HEADER_PREFIX = 'messaging.header.';
/** `messaging.header.Event-Id`, `messaging.header.event_id` and `messaging.header.event-id` are one header. */
const fold = (attributeKey: string): string => attributeKey.toLowerCase().replaceAll('-', '_');

export function compileEnvelope(headers: EnvelopeHeaders): CompiledEnvelope {
  const keys = (f: EnvelopeField): string[] => headers[f].map((h) => fold(capturedHeaderAttribute(h)));
  return {
    eventId: keys('eventId'),
    eventType: keys('eventType'),
    correlationId: keys('correlationId'),
    causationId: keys('causationId'),
  };
}

const str = (v: AttributeValue | undefined): string | null =>
  typeof v === 'string' && v !== '' ? v : typeof v === 'number' && Number.isFinite(v) ? String(v) : null;

/** Kafka partitions and offsets: non-negative safe integers (confluent-kafka-go writes -1 for "any partition"). */
const int = (v: AttributeValue | undefined): number | null => {
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\d{1,16}$/.test(v) ? Number(v) : NaN;
  return Number.isSafeInteger(n) && n >= 0 ? n : null;
};

/** The first of `keys` (our constants, never inherited member names) with a value. */
function first(attrs: Record<string, AttributeValue>, keys: readonly string[]): AttributeValue | undefined {
  for (const k of keys) {
    const v = attrs[k];
    if (v !== undefined && v !== null && v !== '') return v;
  }
  return undefined;
}

/** A captured header's value: the first non-empty string of the array (or a plain string). */
function headerValue(v: AttributeValue | undefined): string | null {
  if (Array.isArray(v)) {
    for (const item of v) if (typeof item === 'string' && item !== '') return item;
    return null;
  }
  return typeof v === 'string' && v !== '' ? v : null;
}

// Each list: newest convention first. See docs/event-contract.md for who writes which.
const TOPIC = ['messaging.destination.name', 'messaging.destination'];
const OPERATION = ['messaging.operation.type', 'messaging.operation'];
const PARTITION = [
  'messaging.destination.partition.id',
  'messaging.kafka.destination.partition',
  'messaging.kafka.partition',
];
const OFFSET = ['messaging.kafka.offset', 'messaging.kafka.message.offset'];
const GROUP = ['messaging.consumer.group.name', 'messaging.kafka.consumer.group', 'messaging.kafka.consumer_group'];
const KEY = ['messaging.kafka.message.key', 'messaging.kafka.message_key'];
const BATCH_COUNT = ['messaging.batch.message_count', 'messaging.batch.message.count'];
const CORRELATION = [ATTR.correlationId, 'messaging.message.conversation_id', 'messaging.conversation_id'];
const SYSTEM = ['messaging.system'];
const MESSAGE_ID = [ATTR.messageId];
const EVENT_TYPE = [ATTR.eventType];
const CAUSATION = [ATTR.causationId];
const OUTCOME = [ATTR.outcome];
const ATTEMPT = [ATTR.attempt];
const DLQ_TOPIC = [ATTR.dlqTopic];

const PUBLISH_OPS = new Set(['publish', 'send', 'create']);
const DELIVER_OPS = new Set(['process', 'deliver']);

const DOT = 0x2e;

/**
 * `messaging.message.id` is our event id only when it is not a Kafka coordinate: Python's
 * confluent-kafka and aiokafka instrumentations write `<topic>.<partition>.<offset>`, franz-go's
 * kotel the offset alone. A coordinate is read as partition and offset instead (undefined: an
 * event id, the common case, which costs no allocation on the ingest path).
 */
function coordinateOf(raw: string, topic: string): { partition: number | null; offset: number | null } | undefined {
  // A coordinate too large to be one is still no event id: its parts read as absent.
  if (/^\d+$/.test(raw)) return { partition: null, offset: int(raw) };
  if (raw.length > topic.length + 1 && raw.charCodeAt(topic.length) === DOT && raw.startsWith(topic)) {
    const m = /^(\d+)\.(\d+)$/.exec(raw.slice(topic.length + 1));
    if (m) return { partition: int(m[1]), offset: int(m[2]) };
  }
  return undefined;
}

/** The captured headers of a span, folded keys -> first value. Built only when the span has any. */
function capturedHeaders(attrs: Record<string, AttributeValue>): Map<string, string> | undefined {
  let out: Map<string, string> | undefined;
  // Hot path (every span): instrumentations write the prefix in lowercase; only the header name varies.
  for (const k in attrs) {
    if (k.length <= HEADER_PREFIX.length || !k.startsWith(HEADER_PREFIX) || !Object.hasOwn(attrs, k)) continue;
    const v = headerValue(attrs[k]);
    if (v === null) continue;
    out ??= new Map();
    const folded = fold(k);
    if (!out.has(folded)) out.set(folded, v);
  }
  return out;
}

function fromHeaders(headers: Map<string, string> | undefined, keys: readonly string[]): string | null {
  if (headers === undefined) return null;
  for (const k of keys) {
    const v = headers.get(k);
    if (v !== undefined) return v;
  }
  return null;
}

/**
 * The messaging hop a span describes, or undefined: not a Kafka messaging span, or a span that
 * describes no single record (a batch `receive`/`poll`, kotel's `logappend` marker, `settle`).
 */
export function normalizeSpan(span: SpanData, envelope: CompiledEnvelope): MessagingSpan | undefined {
  const a = span.attributes;
  if (first(a, SYSTEM) === undefined) return undefined;
  const topic = str(first(a, TOPIC));
  if (topic === null) return undefined;
  const op = str(first(a, OPERATION));
  const rawId = str(first(a, MESSAGE_ID));
  const coordinate = rawId === null ? undefined : coordinateOf(rawId, topic);
  const partition = int(first(a, PARTITION)) ?? coordinate?.partition ?? null;
  const offset = int(first(a, OFFSET)) ?? coordinate?.offset ?? null;

  let role: MessagingSpan['role'];
  if (span.kind === 'producer' || (op !== null && PUBLISH_OPS.has(op))) role = 'publish';
  else if (span.kind !== 'consumer') return undefined;
  else if (offset === null && span.links.length > 1) role = 'deliver';
  else if (op === null || DELIVER_OPS.has(op)) role = 'deliver';
  else if (op === 'receive') {
    // A per-record receive (aiokafka getone, kotel, Go eBPF, otelkafka) is the delivery; a batch
    // receive (Java's poll, aiokafka getmany's per-topic span) names no record. kotel precedes
    // each record's receive span with a `<topic> logappend` span carrying the same attributes.
    if (span.name.endsWith(' logappend')) return undefined;
    const batch = int(first(a, BATCH_COUNT));
    if (offset === null && (batch !== null || partition === null)) return undefined;
    role = 'deliver';
  } else return undefined;

  const eventId = coordinate === undefined ? rawId : null;
  const eventType = str(first(a, EVENT_TYPE));
  const correlationId = str(first(a, CORRELATION));
  const causationId = str(first(a, CAUSATION));
  // Captured headers are read only for what the span's own attributes leave out (our demo's spans
  // never need them but for a saga's first event, which has no causation id).
  const headers =
    eventId === null || eventType === null || correlationId === null || causationId === null
      ? capturedHeaders(a)
      : undefined;
  return {
    role,
    topic,
    partition,
    offset,
    group: role === 'deliver' ? str(first(a, GROUP)) : null,
    key: str(first(a, KEY)),
    eventId: eventId ?? fromHeaders(headers, envelope.eventId),
    eventType: eventType ?? fromHeaders(headers, envelope.eventType),
    correlationId: correlationId ?? fromHeaders(headers, envelope.correlationId),
    causationId: causationId ?? fromHeaders(headers, envelope.causationId),
    outcome: str(first(a, OUTCOME)),
    attempt: int(first(a, ATTEMPT)),
    dlqTopic: str(first(a, DLQ_TOPIC)),
    perLink: role === 'deliver' && offset === null && span.links.length > 1,
  };
}
