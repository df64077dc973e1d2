import { type Rebalance } from '../../api/types.ts';
import { Empty } from '../../components/states.tsx';
import { formatDateTime, formatDuration, formatRelative } from '../../lib/format.ts';

/** Rebalances (generation changes), newest first, on a vertical timeline. */
export function RebalanceTimeline({ rebalances }: { rebalances: Rebalance[] }) {
  if (rebalances.length === 0)
    return <Empty title="No rebalance seen.">Rebalances are detected from generation changes between polls.</Empty>;
  const sorted = [...rebalances].sort((a, b) => b.at - a.at);
  return (
    <ol className="timeline" aria-label="Rebalance timeline">
      {sorted.map((r) => (
        <li key={`${r.generation}-${r.at}`}>
          <strong>generation {r.generation}</strong> <span title={formatDateTime(r.at)}>{formatRelative(r.at)}</span>
          {' · '}
          {r.durationMs === null ? 'in progress or unknown duration' : `took ${formatDuration(r.durationMs)}`}
          {r.membersBefore !== null && r.membersAfter !== null
            ? ` · members ${r.membersBefore} → ${r.membersAfter}`
            : ''}
        </li>
      ))}
    </ol>
  );
}
