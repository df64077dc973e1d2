import { type DeliveryOutcome, type GroupState, type LagStatus, type SagaStatus } from '../api/types.ts';

const LAG_TITLES: Record<LagStatus, string> = {
  OK: 'Consuming and keeping up',
  WARN: 'Behind: the oldest unconsumed record is older than the lag budget, or lag grows while the group consumes',
  STALL: 'The group commits but its committed offset does not move while lag exists',
  STOP: 'The group has not committed for longer than the window while lag exists',
  REWIND: 'The committed offset moved backwards',
  ERR: 'The collector could not read this group',
};

export function LagBadge({ status }: { status: LagStatus }) {
  return (
    <span className={`badge badge-${status.toLowerCase()}`} title={LAG_TITLES[status]}>
      {status}
    </span>
  );
}

const SAGA_CLASS: Record<SagaStatus, string> = {
  in_flight: 'badge-info',
  completed: 'badge-ok',
  compensated: 'badge-warn',
  failed: 'badge-stop',
  stuck: 'badge-stall',
};

export function SagaBadge({ status }: { status: SagaStatus }) {
  return <span className={`badge ${SAGA_CLASS[status]}`}>{status.replace('_', '-')}</span>;
}

export type OutcomeLike = DeliveryOutcome | GroupState | 'pending';

const OUTCOME_CLASS: Record<OutcomeLike, string> = {
  processed: 'badge-ok',
  duplicate: 'badge-warn',
  retried: 'badge-warn',
  retrying: 'badge-warn',
  dead_lettered: 'badge-stop',
  failed: 'badge-stop',
  pending: 'badge-info',
  passed_without_delivery: 'badge-stop',
};

const OUTCOME_TEXT: Partial<Record<OutcomeLike, string>> = {
  dead_lettered: 'dead-lettered',
  passed_without_delivery: 'skipped (no delivery)',
};

export function OutcomeBadge({ outcome }: { outcome: OutcomeLike }) {
  return <span className={`badge ${OUTCOME_CLASS[outcome]}`}>{OUTCOME_TEXT[outcome] ?? outcome}</span>;
}
