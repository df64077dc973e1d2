/**
 * Synthetic saga traffic shaped like the demo services (docs/event-contract.md): an order
 * saga of commands and events through the orchestrator, one trace per saga (eachMessage:
 * a delivery is the child of its publish), producer spans with partition and offset, consumer
 * spans with group, outcome and attempt. 90% complete, 10% are declined and compensated;
 * 2% of deliveries are retried once first.
 *
 * Deterministic from a seed, so a lookup benchmark can name event ids that were stored
 * without keeping them all. Encoded as OTLP/JSON (hex ids, nanosecond strings) or as
 * OTLP/protobuf with the collector's own schema (encodeProtobufRequest).
 */
import { ATTR } from '@eventscope/contract';
import { encodeProtobufRequest } from '@eventscope/collector/otlp';

const PARTITIONS = 12;
/** Saga i starts SAGA_SPACING_MS * i after the generator's start (its ids carry that time). */
export const SAGA_SPACING_MS = 2;

interface Step {
  type: string;
  /** Service that publishes the event. */
  from: string;
  /** Consumer group / service that processes it. */
  to: string;
}

/** Both sagas: placed, stock reserved, payment asked for. */
const UNTIL_CHARGE: Step[] = [
  { type: 'order.placed', from: 'order', to: 'orchestrator' },
  { type: 'inventory.reserve', from: 'orchestrator', to: 'inventory' },
  { type: 'inventory.reserved', from: 'inventory', to: 'orchestrator' },
  { type: 'payment.charge', from: 'orchestrator', to: 'payment' },
];
const HAPPY: Step[] = [
  ...UNTIL_CHARGE,
  { type: 'payment.charged', from: 'payment', to: 'orchestrator' },
  { type: 'notification.send', from: 'orchestrator', to: 'notification' },
  { type: 'order.completed', from: 'orchestrator', to: 'order' },
];
const DECLINED: Step[] = [
  ...UNTIL_CHARGE,
  { type: 'payment.declined', from: 'payment', to: 'orchestrator' },
  { type: 'inventory.release', from: 'orchestrator', to: 'inventory' },
  { type: 'order.failed', from: 'orchestrator', to: 'order' },
];

/** A span in neutral form; the encoders turn it into either wire shape. */
export interface GenSpan {
  service: string;
  traceId: Buffer;
  spanId: Buffer;
  parentSpanId: Buffer | null;
  name: string;
  /** 4 producer, 5 consumer */
  kind: 4 | 5;
  startNs: bigint;
  endNs: bigint;
  attributes: [string, string | number][];
  error: boolean;
}

/** xorshift32: cheap, deterministic, good enough for ids. */
export class Rng {
  #s: number;
  constructor(seed: number) {
    this.#s = seed >>> 0 || 0x9e3779b9;
  }
  next(): number {
    let x = this.#s;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.#s = x >>> 0;
    return this.#s;
  }
  fill(b: Buffer): Buffer {
    for (let i = 0; i < b.length; i += 4) b.writeUInt32BE(this.next(), i);
    return b;
  }
}

const hex8 = (n: number): string => (n >>> 0).toString(16).padStart(8, '0');

/** A UUIDv7-shaped id: 48-bit milliseconds, version 7, variant 10, random rest. */
export function uuid7(ms: number, rng: Rng): string {
  const r = hex8(rng.next()) + hex8(rng.next()) + hex8(rng.next());
  const h = `${ms.toString(16).padStart(12, '0').slice(-12)}7${r.slice(0, 3)}${((rng.next() & 3) | 8).toString(16)}${r.slice(3, 18)}`;
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

export interface GeneratorOptions {
  seed: number;
  /** Topic prefix, so runs never share names. */
  prefix: string;
  /** Epoch of the first saga, ms. */
  startMs: number;
}

/** Generates sagas in order; keeps per-partition offsets so offsets are realistic and unique. */
export class SagaGenerator {
  readonly #rng: Rng;
  readonly #prefix: string;
  readonly #startMs: number;
  readonly #offsets = new Map<string, number>();
  #index = 0;
  events = 0;
  spans = 0;

  constructor(o: GeneratorOptions) {
    this.#rng = new Rng(o.seed);
    this.#prefix = o.prefix;
    this.#startMs = o.startMs;
  }

  #offset(topic: string, partition: number): number {
    const k = `${topic}/${partition}`;
    const o = this.#offsets.get(k) ?? 0;
    this.#offsets.set(k, o + 1);
    return o;
  }

  /** The spans of the next saga, and its event ids. */
  next(): { spans: GenSpan[]; eventIds: string[]; correlationId: string } {
    const i = this.#index++;
    const rng = this.#rng;
    const declined = rng.next() % 10 === 0;
    const steps = declined ? DECLINED : HAPPY;
    // Sagas start SAGA_SPACING_MS apart; each hop waits 1-3 ms in its topic and takes 1-4 ms.
    const sagaMs = this.#startMs + i * SAGA_SPACING_MS;
    let tUs = BigInt(sagaMs) * 1000n;
    const correlationId = uuid7(sagaMs, rng);
    const partition = rng.next() % PARTITIONS;
    const traceId = rng.fill(Buffer.alloc(16));
    const spans: GenSpan[] = [];
    const eventIds: string[] = [];
    let causation: string | null = null;
    let parent: Buffer | null = null;
    for (const step of steps) {
      const eventId = uuid7(sagaMs, rng);
      eventIds.push(eventId);
      const topic = `${this.#prefix}${step.type}`;
      const offset = this.#offset(topic, partition);
      const pubSpan = rng.fill(Buffer.alloc(8));
      const sendUs = 200n + BigInt(rng.next() % 800);
      const common: [string, string | number][] = [
        [ATTR.system, 'kafka'],
        [ATTR.destination, topic],
        [ATTR.partition, String(partition)],
        [ATTR.offset, offset],
        [ATTR.key, correlationId],
        [ATTR.messageId, eventId],
        [ATTR.eventType, step.type],
        [ATTR.correlationId, correlationId],
      ];
      if (causation !== null) common.push([ATTR.causationId, causation]);
      spans.push({
        service: step.from,
        traceId,
        spanId: pubSpan,
        parentSpanId: parent,
        name: `send ${topic}`,
        kind: 4,
        startNs: tUs * 1000n,
        endNs: (tUs + sendUs) * 1000n,
        attributes: [...common, [ATTR.operationType, 'send']],
        error: false,
      });
      const group = `${this.#prefix}${step.to}`;
      let startUs = tUs + 1000n + BigInt(rng.next() % 2000);
      const attempts = rng.next() % 50 === 0 ? 2 : 1;
      for (let attempt = 1; attempt <= attempts; attempt++) {
        const last = attempt === attempts;
        const procUs = 1000n + BigInt(rng.next() % 3000);
        const span = rng.fill(Buffer.alloc(8));
        spans.push({
          service: step.to,
          traceId,
          spanId: span,
          parentSpanId: pubSpan,
          name: `process ${topic}`,
          kind: 5,
          startNs: startUs * 1000n,
          endNs: (startUs + procUs) * 1000n,
          attributes: [
            ...common,
            [ATTR.operationType, 'process'],
            [ATTR.consumerGroup, group],
            [ATTR.outcome, last ? 'processed' : 'retried'],
            [ATTR.attempt, attempt],
          ],
          error: !last,
        });
        if (last) parent = span;
        startUs += procUs + 500n;
      }
      tUs = startUs;
      causation = eventId;
    }
    this.events += eventIds.length;
    this.spans += spans.length;
    return { spans, eventIds, correlationId };
  }
}

type JsonValue = { stringValue: string } | { intValue: string };

const attrJson = ([key, v]: [string, string | number]): { key: string; value: JsonValue } => ({
  key,
  value: typeof v === 'number' ? { intValue: String(v) } : { stringValue: v },
});

/** Spans grouped by service into resourceSpans, as the exporters of several services would send them. */
function byService(spans: GenSpan[]): Map<string, GenSpan[]> {
  const m = new Map<string, GenSpan[]>();
  for (const s of spans) {
    const l = m.get(s.service);
    if (l) l.push(s);
    else m.set(s.service, [s]);
  }
  return m;
}

const SCOPE = { name: '@opentelemetry/instrumentation-kafkajs', version: '0.33.0' };

/** How one OTLP encoding writes ids and attribute values; everything else is the same in both. */
interface OtlpWire<Id, Attr> {
  id: (b: Buffer) => Id;
  attr: (a: [string, string | number]) => Attr;
}

/** The ExportTraceServiceRequest's resourceSpans: one per service, one scope, in `wire`'s encoding. */
function resourceSpans<Id, Attr>(spans: GenSpan[], wire: OtlpWire<Id, Attr>) {
  return [...byService(spans)].map(([service, list]) => ({
    resource: { attributes: [wire.attr(['service.name', service]), wire.attr(['telemetry.sdk.language', 'nodejs'])] },
    scopeSpans: [
      {
        scope: SCOPE,
        spans: list.map((s) => ({
          traceId: wire.id(s.traceId),
          spanId: wire.id(s.spanId),
          ...(s.parentSpanId ? { parentSpanId: wire.id(s.parentSpanId) } : {}),
          name: s.name,
          kind: s.kind,
          startTimeUnixNano: String(s.startNs),
          endTimeUnixNano: String(s.endNs),
          attributes: s.attributes.map(wire.attr),
          status: s.error ? { code: 2, message: 'TransientError: try again' } : { code: 0 },
        })),
      },
    ],
  }));
}

/** OTLP/JSON ExportTraceServiceRequest body: hex ids, 64-bit integers as strings. */
export function encodeJson(spans: GenSpan[]): Buffer {
  const body = { resourceSpans: resourceSpans(spans, { id: (b) => b.toString('hex'), attr: attrJson }) };
  return Buffer.from(JSON.stringify(body));
}

const attrPb = ([key, v]: [string, string | number]): { key: string; value: Record<string, unknown> } => ({
  key,
  value: typeof v === 'number' ? { intValue: v } : { stringValue: v },
});

/** OTLP/protobuf ExportTraceServiceRequest body, in the collector's own schema (same field numbers). */
export function encodeProtobuf(spans: GenSpan[]): Buffer {
  return Buffer.from(encodeProtobufRequest({ resourceSpans: resourceSpans(spans, { id: (b) => b, attr: attrPb }) }));
}

export type Encoding = 'json' | 'protobuf';

export const CONTENT_TYPE: Record<Encoding, string> = {
  json: 'application/json',
  protobuf: 'application/x-protobuf',
};

/** Request bodies of about `spansPerRequest` spans each (whole sagas), until `totalSpans`. */
export function* requests(
  gen: SagaGenerator,
  encoding: Encoding,
  totalSpans: number,
  spansPerRequest: number,
  onSaga?: (s: { eventIds: string[]; correlationId: string }) => void,
): Generator<{ body: Buffer; spans: number }> {
  let produced = 0;
  while (produced < totalSpans) {
    const spans: GenSpan[] = [];
    while (spans.length < spansPerRequest && produced + spans.length < totalSpans) {
      const s = gen.next();
      spans.push(...s.spans);
      onSaga?.(s);
    }
    produced += spans.length;
    yield { body: encoding === 'json' ? encodeJson(spans) : encodeProtobuf(spans), spans: spans.length };
  }
}
