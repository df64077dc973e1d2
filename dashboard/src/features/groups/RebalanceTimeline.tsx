import { type Rebalance } from '../../api/types.ts';
import { Empty } from '../../components/states.tsx';
import { formatDateTime, formatDuration, formatRelative } from '../../lib/format.ts';

/** Rebalances, newest first, on a vertical timeline. */
export function RebalanceTimeline({ rebalances }: { rebalances: Rebalance[] }) {
  if (rebalances.length === 0)
    return (
      <Empty title="No rebalance seen.">
        Rebalances are detected between polls, from the group state and from member changes.
      </Empty>
    );
  const sorted = [...rebalances].sort((a, b) => b.startedAt - a.startedAt);
  return (
    <ol className="timeline" aria-label="Rebalance timeline">
      {sorted.map((r) => (
        <li key={r.startedAt}>
          <strong title={formatDateTime(r.startedAt)}>{formatRelative(r.startedAt)}</strong>
          {' · '}
          {r.endedAt === null
            ? 'still rebalancing'
            : r.durationMs === null
              ? 'duration unknown'
              : `took ${formatDuration(r.durationMs)}`}
          {` · members ${r.membersBefore} → ${r.membersAfter ?? '?'}`}
          <span className="subtle">
            {' '}
            ({r.detectedBy === 'state' ? 'seen rebalancing' : 'member set changed between polls'})
          </span>
        </li>
      ))}
    </ol>
  );
}
