/**
 * Spans -> hops. A producer `send` span is a publish; a consumer `process` span is one
 * group's delivery. Attribute names follow docs/event-contract.md (OpenTelemetry messaging
 * semantic conventions plus `eventscope.*`), with the older semconv names as fallbacks.
 * The saga rules (terminal and compensation event types) are applied here, so the store
 * only stores and joins.
 */
import type { Delivery, IngestBatch, Outcome, Publish, SagaOutcome } from '../store/types.ts';
import type { AttributeValue, SpanData } from '../traces/span.ts';

export interface FlowRules {
  /** Event types whose processing ends a saga, and how. `failed` becomes `compensated` when compensations ran. */
  terminalTypes: Readonly<Record<string, SagaOutcome>>;
  /** Globs (`*` wildcard) of event types that are compensation steps. */
  compensationTypes: readonly string[];
}

/**
 * The demo's rules (docs/event-contract.md, "Saga terminal events"); also the defaults of the
 * config keys sagaTerminalTypes and sagaCompensationTypes, which the app uses.
 */
/** Commands (the demo's inventory.release, payment.refund) and their past-tense events. */
export const DEFAULT_COMPENSATION_TYPES: readonly string[] = [
  '*.release',
  '*.released',
  '*.refund',
  '*.refunded',
  '*.cancel',
  '*.cancelled',
  '*.canceled',
  '*.compensate',
  '*.compensated',
  '*.reverse',
  '*.reversed',
];

export const DEFAULT_RULES: FlowRules = {
  terminalTypes: { 'order.completed': 'completed', 'order.failed': 'failed' },
  compensationTypes: DEFAULT_COMPENSATION_TYPES,
};
const OUTCOME_SET = new Set<string>(['processed', 'duplicate', 'retried', 'dead_lettered', 'failed']);

const str = (v: AttributeValue | undefined): string | null =>
  typeof v === 'string' && v !== '' ? v : typeof v === 'number' ? String(v) : null;

const int = (v: AttributeValue | undefined): number | null => {
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : NaN;
  return Number.isSafeInteger(n) && n >= 0 ? n : null;
};

function first(attrs: Record<string, AttributeValue>, ...keys: string[]): AttributeValue | undefined {
  for (const k of keys) {
    const v = attrs[k];
    if (v !== undefined && v !== null && v !== '') return v;
  }
  return undefined;
}

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
  };
}

/** The hop a span describes, if it is a messaging publish or process span. */
export function spanToHop(
  span: SpanData,
  rules: CompiledRules,
): { publish: Publish } | { delivery: Delivery } | undefined {
  const a = span.attributes;
  if (first(a, 'messaging.system') === undefined) return undefined;
  const topic = str(first(a, 'messaging.destination.name', 'messaging.destination'));
  if (topic === null) return undefined;
  const op = str(first(a, 'messaging.operation.type', 'messaging.operation'));
  const partition = int(
    first(
      a,
      'messaging.destination.partition.id',
      'messaging.kafka.destination.partition',
      'messaging.kafka.partition',
    ),
  );
  const offset = int(first(a, 'messaging.kafka.offset', 'messaging.kafka.message.offset'));
  const eventId = str(first(a, 'messaging.message.id'));
  const eventType = str(first(a, 'eventscope.event.type'));
  const correlationId = str(first(a, 'eventscope.correlation.id'));

  const isPublish = span.kind === 'producer' || op === 'send' || op === 'publish' || op === 'create';
  if (isPublish) {
    return {
      publish: {
        eventId,
        eventType,
        correlationId,
        causationId: str(first(a, 'eventscope.causation.id')),
        topic,
        partition,
        offset,
        timeUs: span.startUs,
        endUs: span.endUs,
        service: span.service,
        traceId: span.traceId,
        spanId: span.spanId,
        sagaType: rules.sagaType(eventType),
        compensation: rules.compensation(eventType),
        terminal: rules.terminal(eventType),
      },
    };
  }
  // `receive`/`poll` spans (kafkajs eachBatch's batch span) describe no single record.
  const isProcess = span.kind === 'consumer' && (op === null || op === 'process' || op === 'deliver');
  if (!isProcess) return undefined;
  const declared = str(first(a, 'eventscope.outcome'));
  const outcome: Outcome =
    declared !== null && OUTCOME_SET.has(declared)
      ? (declared as Outcome)
      : span.status === 'error'
        ? 'failed'
        : 'processed';
  return {
    delivery: {
      eventId,
      eventType,
      correlationId,
      topic,
      partition,
      offset,
      // Without the group attribute the service name stands in (often the same in practice).
      group: str(first(a, 'messaging.consumer.group.name', 'messaging.kafka.consumer.group')) ?? span.service,
      service: span.service,
      startUs: span.startUs,
      endUs: span.endUs,
      outcome,
      attempt: int(first(a, 'eventscope.attempt')) ?? 1,
      dlqTopic: str(first(a, 'eventscope.dlq.topic')),
      traceId: span.traceId,
      spanId: span.spanId,
      // eachBatch: the span link to the producer span; eachMessage: the (remote) parent.
      originSpanId: span.links[0]?.spanId ?? span.parentSpanId,
      originTraceId: span.links[0]?.traceId ?? span.traceId,
      terminal: rules.terminal(eventType),
      compensation: rules.compensation(eventType),
      sagaType: rules.sagaType(eventType),
    },
  };
}

/** A chunk of spans as one store batch. Spans that are not messaging hops are counted only. */
export function assemble(spans: SpanData[], rules: CompiledRules): IngestBatch & { ignored: number } {
  const batch: IngestBatch & { ignored: number } = { publishes: [], deliveries: [], records: [], ignored: 0 };
  for (const span of spans) {
    const hop = spanToHop(span, rules);
    if (!hop) batch.ignored++;
    else if ('publish' in hop) batch.publishes.push(hop.publish);
    else batch.deliveries.push(hop.delivery);
  }
  return batch;
}
