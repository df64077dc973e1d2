/**
 * eventscope's event contract in code: the names services write on Kafka records and spans,
 * and the collector reads. docs/event-contract.md states the same names for people; a test
 * (contract/test/docs.test.ts) keeps the two in step. Names here change only with a major version.
 *
 * No runtime dependencies: the collector, the demo services and the bench import it by package
 * name (`@eventscope/contract`).
 */

/** Headers of the event envelope on every record (UTF-8 strings). */
export const HEADER = {
  eventId: 'event-id',
  eventType: 'event-type',
  correlationId: 'correlation-id',
  causationId: 'causation-id',
} as const;
export type EnvelopeField = keyof typeof HEADER;

/** Headers a consumer adds when it publishes a record to its DLQ (`<group>.dlq`). */
export const DLQ_HEADER = {
  originalTopic: 'dlq-original-topic',
  originalPartition: 'dlq-original-partition',
  originalOffset: 'dlq-original-offset',
  consumerGroup: 'dlq-consumer-group',
  errorClass: 'dlq-error-class',
  errorMessage: 'dlq-error-message',
  attempts: 'dlq-attempts',
  firstFailureTime: 'dlq-first-failure-time',
  lastFailureTime: 'dlq-last-failure-time',
} as const;

/**
 * Headers the collector adds to a record it redrives from a DLQ (issue #18), next to the record's
 * own headers (kept, the `dlq-*` ones included). Replaced on each redrive; `count` goes up by one.
 */
export const DLQ_REDRIVE_HEADER = {
  redriveId: 'dlq-redrive-id',
  redriveBy: 'dlq-redrive-by',
  redriveAt: 'dlq-redrive-at',
  redriveCount: 'dlq-redrive-count',
  source: 'dlq-redrive-source',
} as const;

/** The retry topic of a consumer group: a redrive's target that only the failed group consumes. */
export const retryTopicOf = (group: string): string => `${group}.retry`;

/** The DLQ topic of a consumer group. */
export const dlqTopicOf = (group: string): string => `${group}.dlq`;

/**
 * Span attributes the demo services write (the messaging ones are OpenTelemetry semantic
 * conventions; `eventscope.*` are ours). The collector also reads every other generation of
 * names (collector/src/flows/normalize.ts), so a service need not write these exact ones.
 */
export const ATTR = {
  system: 'messaging.system',
  destination: 'messaging.destination.name',
  operationType: 'messaging.operation.type',
  messageId: 'messaging.message.id',
  consumerGroup: 'messaging.consumer.group.name',
  partition: 'messaging.destination.partition.id',
  offset: 'messaging.kafka.offset',
  key: 'messaging.kafka.message.key',
  eventType: 'eventscope.event.type',
  correlationId: 'eventscope.correlation.id',
  causationId: 'eventscope.causation.id',
  outcome: 'eventscope.outcome',
  attempt: 'eventscope.attempt',
  dlqTopic: 'eventscope.dlq.topic',
} as const;

/** Outcome of one delivery (a consumer `process` span), from `eventscope.outcome`. */
export const OUTCOMES = ['processed', 'duplicate', 'retried', 'dead_lettered', 'failed'] as const;
export type Outcome = (typeof OUTCOMES)[number];
/** The outcomes a service declares; `failed` is what the collector reads from an error status without one. */
export type DeclaredOutcome = Exclude<Outcome, 'failed'>;

/** Terminal saga outcomes. */
export const SAGA_OUTCOMES = ['completed', 'failed', 'compensated'] as const;
export type SagaOutcome = (typeof SAGA_OUTCOMES)[number];

/** The demo's terminal event types: the default of the collector's `sagaTerminalTypes`. */
export const DEFAULT_SAGA_TERMINAL_TYPES: ReadonlyMap<string, SagaOutcome> = new Map<string, SagaOutcome>([
  ['order.completed', 'completed'],
  ['order.failed', 'failed'],
]);

/**
 * Globs (`*` wildcard) of compensation event types: commands (the demo's inventory.release,
 * payment.refund) and their past-tense events. The default of `sagaCompensationTypes`.
 */
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

/**
 * CloudEvents' Kafka protocol binding, binary content mode: attributes as `ce_<name>` headers.
 * The collector reads these as the envelope when our own headers are absent.
 */
export const CLOUDEVENTS_HEADER = {
  eventId: 'ce_id',
  eventType: 'ce_type',
  source: 'ce_source',
  specVersion: 'ce_specversion',
  time: 'ce_time',
  subject: 'ce_subject',
} as const;

/**
 * Header names read as each envelope field, first found wins: ours, then CloudEvents' binary
 * mode. The defaults of the collector's envelope*Headers config keys (which add others, such as
 * `X-Correlation-ID` or Spring's `kafka_correlationId`).
 */
export const DEFAULT_ENVELOPE_HEADERS: Readonly<Record<EnvelopeField, readonly string[]>> = {
  eventId: [HEADER.eventId, CLOUDEVENTS_HEADER.eventId],
  eventType: [HEADER.eventType, CLOUDEVENTS_HEADER.eventType],
  correlationId: [HEADER.correlationId],
  causationId: [HEADER.causationId],
};

/**
 * The span attribute an instrumentation writes for a captured header: OpenTelemetry's
 * `messaging.header.<name>`, lowercased, with dashes as underscores (the Java agent's
 * `capture-headers`), its value an array of strings.
 */
export function capturedHeaderAttribute(header: string): string {
  return `messaging.header.${header.toLowerCase().replaceAll('-', '_')}`;
}
