/**
 * Spans -> hops. A producer span is a publish; a consumer span about one record is one
 * group's delivery. normalize.ts reads every instrumentation's attribute names into one
 * model (docs/event-contract.md); the saga rules (terminal and compensation event types)
 * are applied here, so the store only stores and joins.
 */
import {
  DEFAULT_COMPENSATION_TYPES,
  DEFAULT_ENVELOPE_HEADERS,
  DEFAULT_SAGA_TERMINAL_TYPES,
  OUTCOMES,
} from '@eventscope/contract';
import type { Delivery, IngestBatch, Outcome, Publish, SagaOutcome } from '../store/types.ts';
import type { SpanData } from '../traces/span.ts';
import {
  compileEnvelope,
  normalizeSpan,
  type CompiledEnvelope,
  type EnvelopeHeaders,
  type MessagingSpan,
} from './normalize.ts';

export interface FlowRules {
  /** Event types whose processing ends a saga, and how. `failed` becomes `compensated` when compensations ran. */
  terminalTypes: Readonly<Record<string, SagaOutcome>>;
  /** Globs (`*` wildcard) of event types that are compensation steps. */
  compensationTypes: readonly string[];
  /** Captured headers read as the envelope (config keys envelope*Headers); ours and CloudEvents' when left out. */
  envelopeHeaders?: EnvelopeHeaders;
}

/** The demo's rules (docs/event-contract.md, "Saga terminal events"): the defaults of the saga config keys. */
export const DEFAULT_RULES: FlowRules = {
  terminalTypes: Object.fromEntries(DEFAULT_SAGA_TERMINAL_TYPES),
  compensationTypes: DEFAULT_COMPENSATION_TYPES,
  envelopeHeaders: DEFAULT_ENVELOPE_HEADERS,
};
const OUTCOME_SET: ReadonlySet<string> = new Set<string>(OUTCOMES);

function globToRegExp(glob: string): RegExp {
  const body = glob
    .split('*')
    .map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${body}$`);
}

export interface CompiledRules {
  terminal(eventType: string | null): SagaOutcome | null;
  compensation(eventType: string | null): boolean;
  /** The saga type an event starts: the part of its type before the first dot (`order.placed` -> `order`). */
  sagaType(eventType: string | null): string | null;
  /** Which captured headers are the envelope. */
  envelope: CompiledEnvelope;
}

/** Event types remembered per rule at most: they are few in practice, but come from clients. */
const MEMO_LIMIT = 10_000;

/** `f` remembered per event type (every hop asks; the globs alone were ~2% of ingest's main thread). */
function memo<T>(f: (t: string) => T): (t: string) => T {
  const seen = new Map<string, T>();
  return (t) => {
    let v = seen.get(t);
    if (v === undefined && !seen.has(t)) {
      if (seen.size >= MEMO_LIMIT) seen.clear();
      v = f(t);
      seen.set(t, v);
    }
    return v as T;
  };
}

export function compileRules(rules: FlowRules): CompiledRules {
  const comp = rules.compensationTypes.map(globToRegExp);
  const compensation = memo((t) => comp.some((re) => re.test(t)));
  const sagaType = memo((t) => t.split('.')[0] ?? t);
  return {
    // Own keys only: an event type like `constructor` or `toString` is a type, not a member of the object
    // (it used to come back as a function, and the store refused the whole batch).
    terminal: (t) => (t !== null && Object.hasOwn(rules.terminalTypes, t) ? (rules.terminalTypes[t] ?? null) : null),
    compensation: (t) => t !== null && compensation(t),
    sagaType: (t) => (t === null ? null : sagaType(t)),
    envelope: compileEnvelope(rules.envelopeHeaders ?? DEFAULT_ENVELOPE_HEADERS),
  };
}

/** The hop a span describes, if it is a messaging publish or process span. */
export function spanToHop(
  span: SpanData,
  rules: CompiledRules,
): { publish: Publish } | { delivery: Delivery; perLink: boolean } | undefined {
  const m = normalizeSpan(span, rules.envelope);
  if (m === undefined) return undefined;
  return m.role === 'publish'
    ? { publish: publishOf(span, m, rules) }
    : { delivery: deliveryOf(span, m, rules), perLink: m.perLink };
}

/*
 * Each hop is one object literal with every field named (no `{ ...shared, ...}`): V8 then makes
 * it in one allocation with its fields in place. Spreading a shared part and adding fields after
 * it grew each hop's property store step by step, hundreds of bytes of garbage per span on the
 * ingest path (issue #21).
 */
function publishOf(span: SpanData, m: MessagingSpan, rules: CompiledRules): Publish {
  const { eventType } = m;
  return {
    eventId: m.eventId,
    eventType,
    correlationId: m.correlationId,
    causationId: m.causationId,
    topic: m.topic,
    partition: m.partition,
    offset: m.offset,
    timeUs: span.startUs,
    endUs: span.endUs,
    service: span.service,
    traceId: span.traceId,
    spanId: span.spanId,
    sagaType: rules.sagaType(eventType),
    compensation: rules.compensation(eventType),
    terminal: rules.terminal(eventType),
  };
}

function deliveryOf(span: SpanData, m: MessagingSpan, rules: CompiledRules): Delivery {
  const { eventType } = m;
  const declared = m.outcome;
  const outcome: Outcome =
    declared !== null && OUTCOME_SET.has(declared)
      ? (declared as Outcome)
      : span.status === 'error'
        ? 'failed'
        : 'processed';
  const link = span.links[0];
  return {
    topic: m.topic,
    partition: m.partition,
    offset: m.offset,
    // Without the group attribute the service name stands in (often the same in practice).
    group: m.group ?? span.service,
    eventId: m.eventId,
    eventType,
    correlationId: m.correlationId,
    causationId: m.causationId,
    service: span.service,
    startUs: span.startUs,
    endUs: span.endUs,
    outcome,
    attempt: m.attempt ?? 1,
    dlqTopic: m.dlqTopic,
    traceId: span.traceId,
    spanId: span.spanId,
    // eachBatch: the span link to the producer span; eachMessage: the (remote) parent.
    originSpanId: link?.spanId ?? span.parentSpanId,
    originTraceId: link?.traceId ?? span.traceId,
    terminal: rules.terminal(eventType),
    compensation: rules.compensation(eventType),
    sagaType: rules.sagaType(eventType),
  };
}

/**
 * Every hop a span describes: none, its publish or delivery, or, for a batch consumer span
 * linking to each record's producer span, one delivery per link (origin: that link).
 */
export function spanHops(span: SpanData, rules: CompiledRules): (Publish | Delivery)[] {
  const m = normalizeSpan(span, rules.envelope);
  if (m === undefined) return [];
  if (m.role === 'publish') return [publishOf(span, m, rules)];
  const d = deliveryOf(span, m, rules);
  if (!m.perLink) return [d];
  // The store keys a delivery by (start, span id), so a re-sent span is stored once: the i-th
  // link's delivery starts i µs later, which keeps them apart and the same on every retry.
  return span.links.map((l, i) => ({ ...d, startUs: d.startUs + i, originSpanId: l.spanId, originTraceId: l.traceId }));
}

/** A chunk of spans as one store batch. Spans that are not messaging hops are counted only. */
export function assemble(spans: SpanData[], rules: CompiledRules): IngestBatch & { ignored: number } {
  const batch: IngestBatch & { ignored: number } = { publishes: [], deliveries: [], records: [], ignored: 0 };
  for (const span of spans) {
    const hops = spanHops(span, rules);
    if (hops.length === 0) batch.ignored++;
    for (const h of hops) {
      if ('group' in h) batch.deliveries.push(h);
      else batch.publishes.push(h);
    }
  }
  return batch;
}
