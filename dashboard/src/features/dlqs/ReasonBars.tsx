import { Empty } from '../../components/states.tsx';
import { formatCount } from '../../lib/format.ts';

/** Error classes (`dlq-error-class`) of the latest records as horizontal bars, largest first. */
export function ReasonBars({
  errorClasses,
  examples,
}: {
  errorClasses: Record<string, number>;
  examples?: Record<string, string>;
}) {
  const sorted = Object.entries(errorClasses).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  if (sorted.length === 0) return <Empty title="No reasons recorded yet." />;
  const max = Math.max(...sorted.map(([, n]) => n), 1);
  return (
    <ul className="bars" aria-label="Error reasons">
      {sorted.map(([cls, count]) => (
        <li key={cls}>
          <span>
            <strong>{cls}</strong>
            {examples?.[cls] ? <div className="subtle">{examples[cls]}</div> : null}
          </span>
          <span className="bar" style={{ width: `${Math.max(2, (count / max) * 100)}%` }} aria-hidden="true" />
          <span className="mono">{formatCount(count)}</span>
        </li>
      ))}
    </ul>
  );
}

/** The most frequent error class, or the placeholder. */
export function topReason(errorClasses: Record<string, number>): string {
  const top = Object.entries(errorClasses).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0];
  return top ? top[0] : '—';
}
