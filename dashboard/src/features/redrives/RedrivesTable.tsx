import { Link } from 'react-router';
import { type Redrive } from '../../api/types.ts';
import { withCluster } from '../../lib/cluster-param.ts';
import { formatDateTime, formatInteger, formatRelative, shortId } from '../../lib/format.ts';
import { describeOutcome, describeSelect, describeTarget, RedriveBadge } from './describe.tsx';

/** Redrives, newest first: status, who, what, where to, how far, and what happened next. */
export function RedrivesTable({ redrives, showDlq = true }: { redrives: readonly Redrive[]; showDlq?: boolean }) {
  const headings = [
    'Redrive',
    ...(showDlq ? ['DLQ'] : []),
    'Status',
    'Started',
    'By',
    'Records',
    'Target',
    'Sent',
    'Outcome',
  ];
  return (
    <div className="table-wrap">
      <table aria-label="Redrives">
        <thead>
          <tr>
            {headings.map((h) => (
              <th key={h} className={h === 'Sent' ? 'num' : undefined}>
                {h}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {redrives.map((r) => (
            <tr key={r.id}>
              <td>
                <Link to={`/redrives/${encodeURIComponent(r.id)}`} title={r.id}>
                  {shortId(r.id)}
                </Link>
              </td>
              {showDlq ? (
                <td>
                  <Link to={withCluster(`/dlqs/${encodeURIComponent(r.dlqTopic)}`, r.cluster)}>{r.dlqTopic}</Link>
                </td>
              ) : null}
              <td>
                <RedriveBadge status={r.status} />
              </td>
              <td title={formatDateTime(r.createdAtMs)}>{formatRelative(r.createdAtMs)}</td>
              <td>{r.createdBy}</td>
              <td>{describeSelect(r.select)}</td>
              <td>{describeTarget(r.target)}</td>
              <td className="num">
                {formatInteger(r.sent)} of {formatInteger(r.selected)}
                {r.failed ? ` (${formatInteger(r.failed)} failed)` : ''}
              </td>
              <td>{describeOutcome(r.outcome)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
