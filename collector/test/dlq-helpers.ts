/**
 * DLQ records for the triage and masking suites: a new DLQ topic of the suite (deleted after it)
 * and the `dlq-*` headers a consumer writes when it dead-letters a record.
 */
import { DLQ_HEADER } from '@eventscope/contract';
import { toDlqRecord, type DlqRecord } from '../src/dlq/service.ts';
import { type BrokerApp, createTopicsLed, uniqueName } from './kafka-helpers.ts';

/**
 * A new DLQ topic `<prefix>-<unique>.dlq` of `partitions` partitions, deleted after the suite.
 * `anyTimestamp`: takes records stamped far in the future (Kafka 4 refuses more than 1 h ahead).
 */
export async function newDlqTopic(t: BrokerApp, prefix: string, partitions = 1, anyTimestamp = false): Promise<string> {
  const topic = `${uniqueName(prefix)}.dlq`;
  const configEntries = anyTimestamp ? [{ name: 'message.timestamp.after.max.ms', value: '9223372036854775807' }] : [];
  await createTopicsLed(t.admin, {
    topics: [{ topic, numPartitions: partitions, configEntries }],
  });
  t.topics.push(topic);
  return topic;
}

/** The headers of a dead-lettered record: what failed where, plus `extra` (envelope or any other). */
export function dlqHeaders(
  failure: { errorClass?: string; message?: string; topic?: string; group?: string },
  extra: Record<string, string> = {},
): Record<string, string> {
  const h: Record<string, string> = {
    [DLQ_HEADER.originalTopic]: failure.topic ?? 'orders',
    [DLQ_HEADER.originalPartition]: '0',
    [DLQ_HEADER.originalOffset]: '42',
    [DLQ_HEADER.consumerGroup]: failure.group ?? 'payment-service',
    [DLQ_HEADER.attempts]: '3',
    ...extra,
  };
  if (failure.errorClass !== undefined) h[DLQ_HEADER.errorClass] = failure.errorClass;
  if (failure.message !== undefined) h[DLQ_HEADER.errorMessage] = failure.message;
  return h;
}

/** A DLQ record view as the DLQ service makes it, from headers (text) and a value, without a broker. */
export function dlqRecordView(
  headers: Record<string, string>,
  o: { partition?: number; offset?: number; timestamp?: number; value?: string } = {},
): Promise<DlqRecord> {
  const wire: Record<string, Buffer[]> = {};
  for (const [name, v] of Object.entries(headers)) wire[name] = [Buffer.from(v)];
  return toDlqRecord(
    {
      topic: 'x.dlq',
      partition: o.partition ?? 0,
      offset: o.offset ?? 0,
      timestamp: o.timestamp ?? Date.now(),
      key: null,
      value: o.value === undefined ? null : Buffer.from(o.value),
      headers: wire,
    },
    undefined,
  );
}
