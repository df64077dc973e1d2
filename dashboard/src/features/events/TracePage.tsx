import { Link, useParams } from 'react-router';
import { useTrace } from '../../api/queries.ts';
import { OutcomeBadge } from '../../components/StatusBadge.tsx';
import { Empty, QueryView } from '../../components/states.tsx';
import { formatClockMs, formatDuration, shortId } from '../../lib/format.ts';

const enc = encodeURIComponent;

/** A trace's publishes and deliveries, and the sagas and events it touches (eachBatch consumers make many traces per saga). */
export function TracePage() {
  const { traceId = '' } = useParams();
  const query = useTrace(traceId);
  return (
    <>
      <div className="page-header">
        <h1>
          Trace <span className="mono">{traceId}</span>
        </h1>
      </div>
      <QueryView query={query} what={`trace ${traceId}`}>
        {(d) => {
          const rows = [
            ...d.publishes.map((p) => ({
              key: p.spanId,
              at: p.timeMs,
              what: `send ${p.topic}`,
              service: p.service,
              outcome: null,
              duration: p.endMs - p.timeMs,
              eventId: p.eventId,
            })),
            ...d.deliveries.map((x) => ({
              key: x.spanId,
              at: x.startMs,
              what: `process ${x.topic} (${x.group}, attempt ${x.attempt})`,
              service: x.service,
              outcome: x.outcome,
              duration: x.processingTimeMs,
              eventId: x.eventId,
            })),
          ].sort((a, b) => a.at - b.at);
          return (
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
              </section>
              <section className="panel table-wrap">
                <h2>Spans</h2>
                {rows.length === 0 ? (
                  <Empty title="No spans stored for this trace." />
                ) : (
                  <table aria-label="Spans">
                    <thead>
                      <tr>
                        <th>Start</th>
                        <th>Span</th>
                        <th>Service</th>
                        <th>Outcome</th>
                        <th className="num">Duration</th>
                        <th>Event</th>
                      </tr>
                    </thead>
                    <tbody>
                      {rows.map((r) => (
                        <tr key={r.key}>
                          <td>{formatClockMs(r.at)}</td>
                          <td>{r.what}</td>
                          <td>{r.service}</td>
                          <td>{r.outcome ? <OutcomeBadge outcome={r.outcome} /> : 'published'}</td>
                          <td className="num">{formatDuration(r.duration)}</td>
                          <td className="mono">
                            {r.eventId ? (
                              <Link to={`/events/${enc(r.eventId)}`} title={r.eventId}>
                                {shortId(r.eventId)}
                              </Link>
                            ) : (
                              '—'
                            )}
                          </td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                )}
              </section>
            </>
          );
        }}
      </QueryView>
    </>
  );
}
