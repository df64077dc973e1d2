/**
 * The DLQ browser tests' world (issue #18): a topic of the test's own, a DLQ of records carrying
 * the `dlq-*` headers of docs/event-contract.md, one list of error causes per test, a collector
 * serving the built dashboard with an operator and a viewer token, and Chromium signed in as
 * either (the bearer token on every request, as a proxy in front of the collector would add it).
 */
import { randomUUID } from 'node:crypto';
import { DLQ_HEADER } from '@eventscope/contract';
import { launch, type Browser } from './browser.ts';
import { createTopicAndDlq } from './kafka-fixture.ts';
import { serve, type Served } from './serve.ts';

/** Records of one cause: its error class and each record's message. */
export interface CauseSpec {
  errorClass: string;
  messages: string[];
}

export interface DlqSeed {
  topic: string;
  group: string;
  dlqTopic: string;
  /** Where a group-targeted redrive goes (`<group>.retry`); removed by cleanup. */
  retryTopic: string;
  cleanup(): Promise<void>;
}

export async function seedDlq(causes: readonly CauseSpec[]): Promise<DlqSeed> {
  const { kafka, admin, topic, group, dlqTopic } = await createTopicAndDlq('es-dlqui');
  const retryTopic = `${group}.retry`;
  const specs = causes.flatMap((c) => c.messages.map((message) => ({ errorClass: c.errorClass, message })));
  const eventIds = specs.map(() => randomUUID());
  const producer = kafka.producer({ idempotent: true }); // a retry adds no copies
  await producer.connect();
  // The originals first, so each DLQ record points at a real record of the topic.
  await producer.send({
    topic,
    messages: specs.map((_, i) => ({
      key: `order-${i}`,
      value: JSON.stringify({ n: i }),
      headers: { 'event-id': eventIds[i]! },
    })),
  });
  const failedAt = new Date().toISOString();
  await producer.send({
    topic: dlqTopic,
    messages: specs.map((s, i) => ({
      key: `order-${i}`,
      value: JSON.stringify({ orderId: `order-${i}`, amountCents: 100 + i }),
      headers: {
        'event-id': eventIds[i]!,
        'event-type': 'order.placed',
        [DLQ_HEADER.originalTopic]: topic,
        [DLQ_HEADER.originalPartition]: '0',
        [DLQ_HEADER.originalOffset]: String(i),
        [DLQ_HEADER.consumerGroup]: group,
        [DLQ_HEADER.errorClass]: s.errorClass,
        [DLQ_HEADER.errorMessage]: s.message,
        [DLQ_HEADER.attempts]: '3',
        [DLQ_HEADER.firstFailureTime]: failedAt,
        [DLQ_HEADER.lastFailureTime]: failedAt,
      },
    })),
  });
  await producer.disconnect();
  return {
    topic,
    group,
    dlqTopic,
    retryTopic,
    async cleanup() {
      await admin.deleteTopics({ topics: [topic, dlqTopic, retryTopic] }).catch(() => undefined);
      await admin.disconnect();
    },
  };
}

/** Bearer tokens of the two roles (names are what the audit log and the redrive's `createdBy` show). */
export const TOKENS = {
  operator: { name: 'olga', token: `op-${randomUUID()}` },
  viewer: { name: 'victor', token: `view-${randomUUID()}` },
} as const;

interface Monitored {
  kafkaMonitor: { pollOnce(): Promise<unknown> };
}

/**
 * The collector serving the built dashboard, watching only the seed's DLQ, one poll done (tails
 * read, causes counted); `config`: further collector settings (e.g. maskFields).
 */
export async function serveDlq(seed: DlqSeed, config: Record<string, unknown> = {}): Promise<Served> {
  const served = await serve('collector', {
    config: {
      ...config,
      dlqPattern: seed.dlqTopic,
      groupsInclude: seed.group,
      tokens: Object.entries(TOKENS).map(([role, t]) => `${t.name}:${role}:${t.token}`),
    },
  });
  await pollOnce(served);
  return served;
}

/** One lag/DLQ poll of the real broker (the collector runs without its background loop here). */
export async function pollOnce(served: Served): Promise<void> {
  await (served.collector as unknown as Monitored).kafkaMonitor.pollOnce();
}

/** Chromium whose every request carries the role's bearer token. */
export async function launchAs(role: keyof typeof TOKENS): Promise<Browser> {
  const browser = await launch({ width: 1280, height: 900 });
  await browser.context.setExtraHTTPHeaders({ authorization: `Bearer ${TOKENS[role].token}` });
  return browser;
}
