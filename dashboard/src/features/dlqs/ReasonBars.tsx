import { type ReasonCount } from '../../api/types.ts';
import { Empty } from '../../components/states.tsx';
import { formatCount } from '../../lib/format.ts';

/** Error reasons (`dlq-error-class`) as horizontal bars, largest first. */
export function ReasonBars({ reasons }: { reasons: ReasonCount[] }) {
  if (reasons.length === 0) return <Empty title="No reasons recorded yet." />;
  const sorted = [...reasons].sort((a, b) => b.count - a.count);
  const max = Math.max(...sorted.map((r) => r.count), 1);
  return (
    <ul className="bars" aria-label="Error reasons">
      {sorted.map((r) => (
        <li key={r.errorClass} title={r.message ?? undefined}>
          <span>
            <strong>{r.errorClass}</strong>
            {r.message ? <div className="subtle">{r.message}</div> : null}
          </span>
          <span className="bar" style={{ width: `${Math.max(2, (r.count / max) * 100)}%` }} aria-hidden="true" />
          <span className="mono">{formatCount(r.count)}</span>
        </li>
      ))}
    </ul>
  );
}
