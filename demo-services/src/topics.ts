import { dlqTopicOf, retryTopicOf } from '@eventscope/contract';

/**
 * Topic and consumer group names. Every name gets DEMO_TOPIC_PREFIX in front, so a test run
 * (or a second demo) never collides with another. Topic = event type: one topic per event or
 * command type, one registry subject per topic (`<topic>-value`).
 */
export const EVENT_TYPES = [
  'order.placed',
  'inventory.reserve',
  'inventory.reserved',
  'inventory.rejected',
  'inventory.release',
  'payment.charge',
  'payment.charged',
  'payment.declined',
  'payment.refund',
  'notification.send',
  'notification.sent',
  'order.completed',
  'order.failed',
] as const;

export type EventType = (typeof EVENT_TYPES)[number];

/**
 * The consuming services; each is one consumer group, `<prefix><service>`, with DLQ `<group>.dlq`
 * and retry topic `<group>.retry` (records redriven from the DLQ to this group alone).
 */
export const CONSUMER_SERVICES = ['order', 'orchestrator', 'inventory', 'payment', 'notification'] as const;
export type ConsumerService = (typeof CONSUMER_SERVICES)[number];

export interface Naming {
  readonly prefix: string;
  topic(type: EventType): string;
  /** The event type a (prefixed) topic carries, or undefined for a topic not ours. */
  typeOf(topic: string): EventType | undefined;
  group(service: string): string;
  dlq(service: string): string;
  /** `<group>.retry`: only this service's group consumes it, so a redrive reaches no other group. */
  retry(service: string): string;
  allTopics(): string[];
}

export function naming(prefix: string): Naming {
  const byTopic = new Map<string, EventType>(EVENT_TYPES.map((t) => [`${prefix}${t}`, t]));
  return Object.freeze({
    prefix,
    topic: (type: EventType) => `${prefix}${type}`,
    typeOf: (topic: string) => byTopic.get(topic),
    group: (service: string) => `${prefix}${service}`,
    dlq: (service: string) => dlqTopicOf(`${prefix}${service}`),
    retry: (service: string) => retryTopicOf(`${prefix}${service}`),
    allTopics: () => [
      ...EVENT_TYPES.map((t) => `${prefix}${t}`),
      ...CONSUMER_SERVICES.flatMap((s) => [dlqTopicOf(`${prefix}${s}`), retryTopicOf(`${prefix}${s}`)]),
    ],
  });
}
