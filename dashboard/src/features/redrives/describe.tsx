/** How a redrive reads in the dashboard: its selection, target, status and outcome in words. */
import {
  type Redrive,
  type RedriveOutcome,
  type RedriveSelect,
  type RedriveStatus,
  type RedriveTarget,
} from '../../api/types.ts';
import { formatDateTime, formatInteger } from '../../lib/format.ts';

const STATUS_CLASS: Record<RedriveStatus, string> = {
  running: 'badge-info',
  completed: 'badge-ok',
  cancelled: 'badge-warn',
  failed: 'badge-stop',
};

export function RedriveBadge({ status }: { status: RedriveStatus }) {
  return <span className={`badge ${STATUS_CLASS[status]}`}>{status}</span>;
}

export function describeSelect(select: RedriveSelect): string {
  switch (select.kind) {
    case 'all':
      return 'every record';
    case 'offsets':
      return select.records.length === 1
        ? `1 record (${select.records[0]!.partition}@${select.records[0]!.offset})`
        : `${formatInteger(select.records.length)} picked records`;
    case 'filter': {
      const parts: string[] = [];
      if (select.errorClass !== undefined) parts.push(`error class ${select.errorClass}`);
      if (select.originalTopic !== undefined) parts.push(`from topic ${select.originalTopic}`);
      if (select.group !== undefined) parts.push(`group ${select.group}`);
      if (select.key !== undefined) parts.push(`key ${select.key}`);
      if (select.header !== undefined) parts.push(`header ${select.header.name}=${select.header.value}`);
      if (select.fromMs !== undefined) parts.push(`from ${formatDateTime(select.fromMs)}`);
      if (select.toMs !== undefined) parts.push(`until ${formatDateTime(select.toMs)}`);
      return parts.length ? `records with ${parts.join(', ')}` : 'every record';
    }
  }
}

export function describeTarget(target: RedriveTarget): string {
  return target.kind === 'original' ? 'the original topic' : "the failed group's retry topic";
}

/** "118 processed, 2 back in the DLQ, 0 pending". */
export function describeOutcome(outcome: RedriveOutcome): string {
  return `${formatInteger(outcome.processed)} processed, ${formatInteger(outcome.deadLetteredAgain)} back in the DLQ, ${formatInteger(outcome.pending)} pending`;
}

/** Records done (sent or failed) of those selected, 0..1; a selection of none is done. */
export function progressRatio(r: Pick<Redrive, 'selected' | 'sent' | 'failed'>): number {
  return r.selected === 0 ? 1 : Math.min(1, (r.sent + r.failed) / r.selected);
}
