import { Link, useParams } from 'react-router';
import { useEventLookup } from '../../api/queries.ts';
import { type GroupProgress } from '../../api/types.ts';
import { OutcomeBadge } from '../../components/StatusBadge.tsx';
import { Empty, QueryView } from '../../components/states.tsx';
import {
  formatClockMs,
  formatCount,
  formatDateTime,
  formatDuration,
  formatInteger,
  formatSeconds,
} from '../../lib/format.ts';
import { Headers } from '../dlqs/DlqRecordView.tsx';

const enc = encodeURIComponent;

function Where({ g }: { g: GroupProgress }) {
  if (g.state === 'pending')
    return (
      <>
        not yet: {g.position === null ? 'position unknown' : `${formatCount(g.position)} messages ahead`}
        {g.estimatedWaitSeconds !== null ? `, about ${formatSeconds(g.estimatedWaitSeconds)} to go` : ''}
      </>
    );
  if (g.state === 'dead_lettered')
    return (
      <>
        dead-lettered
        {g.dlqTopic ? (
          <>
            {' '}
            to <Link to={`/dlqs/${enc(g.dlqTopic)}`}>{g.dlqTopic}</Link>
          </>
        ) : null}
      </>
    );
  const last = g.deliveries[g.deliveries.length - 1];
  if (g.state === 'retrying') return <>retrying (attempt {last?.attempt ?? '?'})</>;
  return (
    <>
      processed {last ? `at ${formatClockMs(last.endedAt ?? last.startedAt)}` : ''}
      {last && last.endedAt !== null ? ` in ${formatDuration(last.endedAt - last.startedAt)}` : ''}
    </>
  );
}

/** "Where is event X": every group that has and has not processed it. */
export function EventPage() {
  const { eventId = '' } = useParams();
  const query = useEventLookup(eventId);
  return (
    <>
      <div className="breadcrumb">Event lookup /</div>
      <div className="page-header">
        <h1>
          Event <span className="mono">{eventId}</span>
        </h1>
      </div>
      <QueryView query={query} what={`event ${eventId}`}>
        {(d) => {
          const done = d.groups.filter((g) => g.state === 'processed');
          const notDone = d.groups.filter((g) => g.state !== 'processed');
          return (
            <>
              <section className="panel" aria-label="Event">
                <h2>{d.event.eventType}</h2>
                <dl className="kv" style={{ marginTop: 8 }}>
                  <dt>Topic</dt>
                  <dd>
                    {d.event.topic} / {d.event.partition ?? '?'} @ {formatInteger(d.event.offset)}
                  </dd>
                  <dt>Published</dt>
                  <dd>
                    {formatDateTime(d.event.publishedAt)} by {d.event.service ?? 'unknown service'}
                  </dd>
                  <dt>Key</dt>
                  <dd className="mono">{d.event.key ?? 'null'}</dd>
                  <dt>Saga</dt>
                  <dd className="mono">
                    {d.event.correlationId ? (
                      <Link to={`/sagas/${enc(d.event.correlationId)}?hop=${enc(`${d.event.eventId}~`)}`}>
                        {d.event.correlationId}
                      </Link>
                    ) : (
                      'none (no correlation-id header)'
                    )}
                  </dd>
                  <dt>Caused by</dt>
                  <dd className="mono">
                    {d.event.causationId ? (
                      <Link to={`/events/${enc(d.event.causationId)}`}>{d.event.causationId}</Link>
                    ) : (
                      'nothing (first event)'
                    )}
                  </dd>
                  <dt>Trace</dt>
                  <dd className="mono">
                    {d.event.traceId ? <Link to={`/traces/${enc(d.event.traceId)}`}>{d.event.traceId}</Link> : 'none'}
                  </dd>
                </dl>
              </section>
              <section className="panel" aria-label="Where is it">
                <h2>
                  Where is it: processed by {done.length} of {d.groups.length} group{d.groups.length === 1 ? '' : 's'}
                </h2>
                {d.groups.length === 0 ? (
                  <Empty title="No consumer group reads this topic." />
                ) : (
                  <table aria-label="Groups">
                    <thead>
                      <tr>
                        <th>Group</th>
                        <th>Service</th>
                        <th>State</th>
                        <th>Where</th>
                        <th className="num">Deliveries</th>
                      </tr>
                    </thead>
                    <tbody>
                      {[...notDone, ...done].map((g) => (
                        <tr key={g.group}>
                          <td>
                            <Link to={`/groups/${enc(g.group)}`}>{g.group}</Link>
                          </td>
                          <td>{g.service ?? '—'}</td>
                          <td>
                            <OutcomeBadge outcome={g.state === 'processed' ? 'processed' : g.state} />
                            {g.duplicate ? (
                              <>
                                {' '}
                                <OutcomeBadge outcome="duplicate" />
                              </>
                            ) : null}
                          </td>
                          <td>
                            <Where g={g} />
                          </td>
                          <td className="num">{g.deliveries.length}</td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                )}
              </section>
              <section className="panel" aria-label="Headers">
                <h2>Headers</h2>
                <Headers headers={d.event.headers} />
              </section>
            </>
          );
        }}
      </QueryView>
    </>
  );
}
