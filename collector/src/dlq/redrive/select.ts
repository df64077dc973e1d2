/**
 * Which DLQ records a redrive takes (by offsets, by filter, all) and what each becomes in the
 * ledger: its target topic, the group that failed it, how often it was redriven before. Header
 * names and values are data: looked up with own-key checks, never as plain-object keys.
 */
import { DLQ_HEADER, DLQ_REDRIVE_HEADER, HEADER, retryTopicOf } from '@eventscope/contract';
import type { KafkaRecord } from '../../kafka/index.ts';
import type { LedgerEntry } from '../../store/redrive-types.ts';
import type { RedriveSelect, RedriveTarget } from '../../api-types.ts';

/** A Kafka topic name: what a target read from a header must look like before it is produced to. */
const TOPIC_NAME = /^[a-zA-Z0-9._-]{1,249}$/;

/** The values of a header as UTF-8 (a header without a value reads as ''). */
function headerValues(r: KafkaRecord, name: string): string[] {
  if (!Object.hasOwn(r.headers, name)) return [];
  const values: unknown[] = r.headers[name] ?? [];
  return values.map((v) => (Buffer.isBuffer(v) ? v.toString('utf8') : ''));
}

export const header = (r: KafkaRecord, name: string): string | null => headerValues(r, name)[0] ?? null;

export function matches(select: RedriveSelect, r: KafkaRecord): boolean {
  if (select.kind !== 'filter') return true;
  const eq = (want: string | undefined, name: string) => want === undefined || header(r, name) === want;
  if (!eq(select.errorClass, DLQ_HEADER.errorClass)) return false;
  if (!eq(select.originalTopic, DLQ_HEADER.originalTopic)) return false;
  if (!eq(select.group, DLQ_HEADER.consumerGroup)) return false;
  if (select.fromMs !== undefined && r.timestamp < select.fromMs) return false;
  if (select.toMs !== undefined && r.timestamp >= select.toMs) return false;
  if (select.key !== undefined && (r.key === null || r.key.toString('utf8') !== select.key)) return false;
  const h = select.header;
  return h === undefined || headerValues(r, h.name).includes(h.value);
}

/** The ledger entry of a selected record: where it goes, or why it cannot go anywhere. */
export function ledgerEntry(r: KafkaRecord, target: RedriveTarget): LedgerEntry {
  const group = header(r, DLQ_HEADER.consumerGroup);
  const original = header(r, DLQ_HEADER.originalTopic);
  const targetTopic = target.kind === 'original' ? original : group === null ? null : retryTopicOf(group);
  const named = target.kind === 'original' ? DLQ_HEADER.originalTopic : DLQ_HEADER.consumerGroup;
  const prior = Number(header(r, DLQ_REDRIVE_HEADER.redriveCount) ?? '0');
  let error: string | null = null;
  if (targetTopic === null) error = `the record has no ${named} header`;
  else if (!TOPIC_NAME.test(targetTopic)) error = `${named} does not name a valid topic`;
  return {
    partition: r.partition,
    offset: r.offset,
    eventId: header(r, HEADER.eventId),
    targetTopic: error === null ? targetTopic : null,
    group,
    priorCount: Number.isSafeInteger(prior) && prior >= 0 ? prior : 0,
    error,
  };
}
