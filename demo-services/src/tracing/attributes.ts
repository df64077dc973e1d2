/** Span attribute names from docs/event-contract.md (the messaging ones are OpenTelemetry semantic conventions). */
export const ATTR = {
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

export type Outcome = 'processed' | 'duplicate' | 'retried' | 'dead_lettered';
