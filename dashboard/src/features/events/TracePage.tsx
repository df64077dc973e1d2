import { Link, useParams } from 'react-router';
import { useTrace } from '../../api/queries.ts';
import { Empty, QueryView } from '../../components/states.tsx';
import { formatClockMs, formatDuration, shortId } from '../../lib/format.ts';

/** A trace's spans and the sagas and events it touches (eachBatch consumers make many traces per saga). */
export function TracePage() {
  const { traceId = '' } = useParams();
  const query = useTrace(traceId);
  const enc = encodeURIComponent;
  return (
    <>
      <div className="page-header">
        <h1>
          Trace <span className="mono">{traceId}</span>
        </h1>
      </div>
      <QueryView query={query} what={`trace ${traceId}`}>
        {(d) => (
          <>
            <section className="panel">
              <h2>Belongs to</h2>
              {d.correlationIds.length === 0 ? (
                <p className="subtle">No saga: the spans carry no correlation id.</p>
              ) : (
                <ul>
                  {d.correlationIds.map((c) => (
                    <li key={c}>
                      saga <Link to={`/sagas/${enc(c)}`}>{c}</Link>
                    </li>
                  ))}
                </ul>
              )}
              {d.eventIds.length ? (
                <p>
                  Events:{' '}
                  {d.eventIds.map((e, i) => (
                    <span key={e}>
                      {i ? ', ' : ''}
                      <Link to={`/events/${enc(e)}`} title={e}>
                        {shortId(e)}
                      </Link>
                    </span>
                  ))}
                </p>
              ) : null}
            </section>
            <section className="panel table-wrap">
              <h2>Spans</h2>
              {d.spans.length === 0 ? (
                <Empty title="No spans stored for this trace." />
              ) : (
                <table aria-label="Spans">
                  <thead>
                    <tr>
                      <th>Start</th>
                      <th>Span</th>
                      <th>Kind</th>
                      <th>Service</th>
                      <th className="num">Duration</th>
                    </tr>
                  </thead>
                  <tbody>
                    {[...d.spans]
                      .sort((a, b) => a.startAt - b.startAt)
                      .map((s) => (
                        <tr key={s.spanId}>
                          <td>{formatClockMs(s.startAt)}</td>
                          <td>{s.name}</td>
                          <td>{s.kind}</td>
                          <td>{s.service}</td>
                          <td className="num">{formatDuration(s.endAt - s.startAt)}</td>
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
