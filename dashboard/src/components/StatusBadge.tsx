import { type HopOutcome, type LagStatus, type SagaStatus } from '../api/types.ts';

const LAG_TITLES: Record<LagStatus, string> = {
  OK: 'Consuming and keeping up',
  WARN: 'Lag is growing while the group consumes',
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
  'in-flight': 'badge-info',
  completed: 'badge-ok',
  compensated: 'badge-warn',
  failed: 'badge-stop',
  stuck: 'badge-stall',
};

export function SagaBadge({ status }: { status: SagaStatus }) {
  return <span className={`badge ${SAGA_CLASS[status]}`}>{status}</span>;
}

const OUTCOME_CLASS: Record<HopOutcome, string> = {
  processed: 'badge-ok',
  duplicate: 'badge-warn',
  retried: 'badge-warn',
  dead_lettered: 'badge-stop',
  pending: 'badge-info',
};

export function OutcomeBadge({ outcome }: { outcome: HopOutcome | 'retrying' }) {
  const cls = outcome === 'retrying' ? 'badge-warn' : OUTCOME_CLASS[outcome];
  return <span className={`badge ${cls}`}>{outcome.replace('_', '-')}</span>;
}
