import { Link } from 'react-router';
import { type DlqCause } from '../../api/types.ts';
import { GroupLinks } from '../../components/NameLinks.tsx';
import { Empty } from '../../components/states.tsx';
import { withCluster } from '../../lib/cluster-param.ts';
import { formatCount, formatDateTime, formatDuration, formatInteger, formatRelative } from '../../lib/format.ts';
import './redrive.css';

/** A cause's records per bucket as small bars, oldest first; the numbers are in the label. */
function Trend({ trend, bucketMs }: { trend: readonly number[]; bucketMs: number }) {
  const max = Math.max(1, ...trend);
  const w = 4;
  const h = 20;
  return (
    <svg
      className="cause-trend"
      width={trend.length * w}
      height={h}
      role="img"
      aria-label={`Records per ${formatDuration(bucketMs)}, oldest first: ${trend.join(', ')}`}
    >
      {trend.map((n, i) => {
        const bh = n === 0 ? 0 : Math.max(2, (n / max) * h);
        return <rect key={i} x={i * w} y={h - bh} width={w - 1} height={bh} />;
      })}
    </svg>
  );
}

/**
 * DLQ records grouped by cause, most records first, of the DLQs of `cluster` (the answer's: its
 * DLQs and groups link there). `onRedrive` (operators only) offers a redrive of the cause's
 * error class from its DLQ.
 */
export function CausesTable({
  cluster,
  causes,
  untracked,
  showDlqs,
  onRedrive,
}: {
  cluster: string;
  causes: readonly DlqCause[];
  untracked: number;
  showDlqs: boolean;
  onRedrive?: ((cause: DlqCause) => void) | undefined;
}) {
  if (causes.length === 0) return <Empty title="No causes yet.">Dead-lettered records appear here by cause.</Empty>;
  const dlqHref = (topic: string) => withCluster(`/dlqs/${encodeURIComponent(topic)}`, cluster);
  const headings = [
    'Cause',
    'Records',
    'First seen',
    'Last seen',
    ...(showDlqs ? ['DLQs'] : []),
    'Topics',
    'Groups',
    'Trend',
    'Sample',
  ];
  return (
    <>
      <div className="table-wrap">
        <table aria-label="Causes">
          <thead>
            <tr>
              {headings.map((h) => (
                <th key={h} className={h === 'Records' ? 'num' : undefined}>
                  {h}
                </th>
              ))}
              {onRedrive ? (
                <th>
                  <span className="visually-hidden">Actions</span>
                </th>
              ) : null}
            </tr>
          </thead>
          <tbody>
            {causes.map((c) => (
              <tr key={c.fingerprint}>
                <td>
                  <strong>{c.errorClass}</strong>
                  <div className="mono subtle">{c.template}</div>
                </td>
                <td className="num">{formatCount(c.count)}</td>
                <td title={formatDateTime(c.firstSeenMs)}>{formatRelative(c.firstSeenMs)}</td>
                <td title={formatDateTime(c.lastSeenMs)}>{formatRelative(c.lastSeenMs)}</td>
                {showDlqs ? (
                  <td>
                    {c.dlqs.map((t, i) => (
                      <span key={t}>
                        {i > 0 ? ', ' : null}
                        <Link to={dlqHref(t)}>{t}</Link>
                      </span>
                    ))}
                  </td>
                ) : null}
                <td>{c.topics.join(', ') || '—'}</td>
                <td>
                  <GroupLinks groups={c.groups} cluster={cluster} />
                </td>
                <td>
                  <Trend trend={c.trend} bucketMs={c.bucketMs} />
                </td>
                <td>
                  <div className="mono">{c.sample.message}</div>
                  <span className="subtle">
                    <Link to={dlqHref(c.sample.topic)}>{c.sample.topic}</Link> {c.sample.partition}@{c.sample.offset}
                  </span>
                </td>
                {onRedrive ? (
                  <td>
                    <button type="button" onClick={() => onRedrive(c)} aria-label={`Redrive ${c.errorClass} records`}>
                      Redrive…
                    </button>
                  </td>
                ) : null}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {untracked > 0 ? (
        <p className="subtle">
          {formatInteger(untracked)} records not grouped: the collector tracks a limited number of distinct causes.
        </p>
      ) : null}
    </>
  );
}
