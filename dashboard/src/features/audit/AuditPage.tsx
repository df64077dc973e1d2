import { Link } from 'react-router';
import { useAudit } from '../../api/queries.ts';
import { Figure } from '../../components/Tile.tsx';
import { Empty, QueryView } from '../../components/states.tsx';
import { formatCount, formatDateTime, formatInteger, formatRelative, shortId } from '../../lib/format.ts';

const enc = encodeURIComponent;

/** Loss and duplicate audit: events processed twice by one group, records a group skipped. */
export function AuditPage() {
  const query = useAudit();
  return (
    <>
      <div className="page-header">
        <h1>Loss and duplicate audit</h1>
        <span className="subtle">instrumented groups only: a group whose consumer spans reach the collector</span>
      </div>
      <QueryView query={query} what="the audit">
        {(data) => (
          <>
            <div className="panel figures">
              <Figure
                label="events processed twice (latest)"
                value={formatCount(data.duplicates.length)}
                tone={data.duplicates.length ? 'warn' : 'ok'}
              />
              <Figure
                label="unaccounted records (latest)"
                value={formatCount(data.unaccounted.length)}
                tone={data.unaccounted.length ? 'bad' : 'ok'}
              />
            </div>
            <section className="panel table-wrap" aria-label="Unaccounted records">
              <h2>Unaccounted: a committed offset passed the record with no delivery and no DLQ entry</h2>
              {data.unaccounted.length === 0 ? (
                <Empty title="No unaccounted records." />
              ) : (
                <table>
                  <thead>
                    <tr>
                      <th>Group</th>
                      <th>Topic / partition</th>
                      <th className="num">Offset</th>
                      <th>Event</th>
                      <th>Saga</th>
                      <th>Detected</th>
                    </tr>
                  </thead>
                  <tbody>
                    {data.unaccounted.map((u) => (
                      <tr key={`${u.group}-${u.topic}-${u.partition}-${u.offset}`}>
                        <td>
                          <Link to={`/groups/${enc(u.group)}`}>{u.group}</Link>
                        </td>
                        <td>
                          {u.topic} / {u.partition}
                        </td>
                        <td className="num">{formatInteger(u.offset)}</td>
                        <td className="mono">
                          {u.eventId ? (
                            <Link to={`/events/${enc(u.eventId)}`} title={u.eventId}>
                              {shortId(u.eventId)}
                            </Link>
                          ) : (
                            '—'
                          )}
                        </td>
                        <td className="mono">
                          {u.correlationId ? <Link to={`/sagas/${enc(u.correlationId)}`}>{u.correlationId}</Link> : '—'}
                        </td>
                        <td title={formatDateTime(u.detectedMs)}>{formatRelative(u.detectedMs)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              )}
            </section>
            <section className="panel table-wrap" aria-label="Duplicates">
              <h2>Duplicates: one event processed more than once by one group</h2>
              {data.duplicates.length === 0 ? (
                <Empty title="No duplicate processing found." />
              ) : (
                <table>
                  <thead>
                    <tr>
                      <th>Event</th>
                      <th>Group</th>
                      <th className="num">Times processed</th>
                      <th>First</th>
                      <th>Last</th>
                    </tr>
                  </thead>
                  <tbody>
                    {data.duplicates.map((d) => (
                      <tr key={`${d.eventId}-${d.group}`}>
                        <td className="mono">
                          <Link to={`/events/${enc(d.eventId)}`} title={d.eventId}>
                            {shortId(d.eventId)}
                          </Link>
                        </td>
                        <td>
                          <Link to={`/groups/${enc(d.group)}`}>{d.group}</Link>
                        </td>
                        <td className="num">{d.count}</td>
                        <td>{formatDateTime(d.firstMs)}</td>
                        <td>{formatRelative(d.lastMs)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              )}
            </section>
          </>
        )}
      </QueryView>
    </>
  );
}
