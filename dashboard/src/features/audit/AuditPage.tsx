import { Link } from 'react-router';
import { useAudit } from '../../api/queries.ts';
import { Figure } from '../../components/Tile.tsx';
import { Empty, QueryView } from '../../components/states.tsx';
import { formatCount, formatInteger, formatRelative, shortId } from '../../lib/format.ts';
import { useUrlParam } from '../../lib/url-state.ts';

/** Loss and duplicate audit: records a group skipped without a delivery or DLQ entry, and double deliveries. */
export function AuditPage() {
  const query = useAudit();
  const [kind, setKind] = useUrlParam('kind', '');
  return (
    <>
      <div className="page-header">
        <h1>Loss and duplicate audit</h1>
        <span className="spacer" />
        <label>
          Show{' '}
          <select value={kind} onChange={(e) => setKind(e.target.value)} aria-label="Kind">
            <option value="">everything</option>
            <option value="duplicate">duplicates</option>
            <option value="unaccounted">unaccounted</option>
          </select>
        </label>
      </div>
      <QueryView query={query} what="the audit">
        {(data) => {
          const items = data.items.filter((i) => !kind || i.kind === kind);
          return (
            <>
              <div className="panel figures">
                <Figure
                  label="duplicate deliveries"
                  value={formatCount(data.duplicates)}
                  tone={data.duplicates ? 'warn' : 'ok'}
                />
                <Figure
                  label="unaccounted records"
                  value={formatCount(data.unaccounted)}
                  tone={data.unaccounted ? 'bad' : 'ok'}
                />
              </div>
              <div className="panel">
                {items.length === 0 ? (
                  <Empty title="Nothing found.">
                    The audit covers instrumented groups only: a group whose consumer spans reach the collector.
                  </Empty>
                ) : (
                  <div className="table-wrap">
                    <table>
                      <thead>
                        <tr>
                          <th>Kind</th>
                          <th>Group</th>
                          <th>Topic / partition</th>
                          <th className="num">Offset</th>
                          <th>Event</th>
                          <th className="num">Count</th>
                          <th>Detected</th>
                        </tr>
                      </thead>
                      <tbody>
                        {items.map((i, n) => (
                          <tr key={`${i.kind}-${i.group}-${i.topic}-${i.partition}-${i.offset ?? n}`}>
                            <td>{i.kind}</td>
                            <td>
                              <Link to={`/groups/${encodeURIComponent(i.group)}`}>{i.group}</Link>
                            </td>
                            <td>
                              {i.topic} / {i.partition}
                            </td>
                            <td className="num">{formatInteger(i.offset)}</td>
                            <td>
                              {i.eventId ? (
                                <Link to={`/events/${encodeURIComponent(i.eventId)}`} title={i.eventId}>
                                  {shortId(i.eventId)}
                                </Link>
                              ) : (
                                '—'
                              )}
                            </td>
                            <td className="num">{formatCount(i.count)}</td>
                            <td>{formatRelative(i.detectedAt)}</td>
                          </tr>
                        ))}
                      </tbody>
                    </table>
                  </div>
                )}
              </div>
            </>
          );
        }}
      </QueryView>
    </>
  );
}
