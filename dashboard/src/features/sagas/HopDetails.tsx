import { Link } from 'react-router';
import { type Hop } from '../../api/types.ts';
import { OutcomeBadge } from '../../components/StatusBadge.tsx';
import { formatClockMs, formatCount, formatDuration, formatInteger, formatSeconds } from '../../lib/format.ts';
import { Headers } from '../dlqs/DlqRecordView.tsx';

/** The selected hop: event, timings, headers, spans and trace id. */
export function HopDetails({ hop }: { hop: Hop }) {
  const enc = encodeURIComponent;
  return (
    <section className="panel" aria-label="Hop details">
      <h2>
        {hop.eventType} <OutcomeBadge outcome={hop.outcome} />
      </h2>
      <dl className="kv" style={{ marginTop: 8 }}>
        <dt>Event id</dt>
        <dd className="mono">
          <Link to={`/events/${enc(hop.eventId)}`}>{hop.eventId}</Link>
        </dd>
        <dt>From</dt>
        <dd>{hop.fromService}</dd>
        <dt>Topic</dt>
        <dd>
          {hop.topic} / {hop.partition ?? '?'} @ {formatInteger(hop.offset)}
        </dd>
        <dt>To</dt>
        <dd>
          {hop.group ? (
            <>
              {hop.toService ?? 'unknown service'} (group <Link to={`/groups/${enc(hop.group)}`}>{hop.group}</Link>)
            </>
          ) : (
            'no consumer group'
          )}
        </dd>
        <dt>Published</dt>
        <dd>{formatClockMs(hop.publishedAt)}</dd>
        {hop.outcome === 'pending' ? (
          <>
            <dt>Position</dt>
            <dd>
              {hop.position === null ? 'unknown' : `${formatCount(hop.position)} messages ahead of it`}
              {hop.estimatedWaitSeconds !== null ? `, about ${formatSeconds(hop.estimatedWaitSeconds)} to go` : ''}
            </dd>
          </>
        ) : (
          <>
            <dt>Queue time</dt>
            <dd>{formatDuration(hop.queueMs)}</dd>
            <dt>Processing</dt>
            <dd>{formatDuration(hop.processingMs)}</dd>
          </>
        )}
        <dt>Attempts</dt>
        <dd>{hop.attempts}</dd>
        {hop.compensation ? (
          <>
            <dt>Step</dt>
            <dd>compensation</dd>
          </>
        ) : null}
        {hop.dlqTopic ? (
          <>
            <dt>DLQ</dt>
            <dd>
              <Link to={`/dlqs/${enc(hop.dlqTopic)}`}>{hop.dlqTopic}</Link>
            </dd>
          </>
        ) : null}
        <dt>Trace id</dt>
        <dd className="mono">{hop.traceId ? <Link to={`/traces/${enc(hop.traceId)}`}>{hop.traceId}</Link> : 'none'}</dd>
      </dl>
      <h3>Headers</h3>
      <Headers headers={hop.headers} />
      <h3>Spans</h3>
      {hop.spans.length === 0 ? (
        <p className="subtle">No spans received for this hop.</p>
      ) : (
        <div className="table-wrap">
          <table aria-label="Spans">
            <thead>
              <tr>
                <th>Span</th>
                <th>Service</th>
                <th className="num">Duration</th>
                <th>Span id</th>
              </tr>
            </thead>
            <tbody>
              {hop.spans.map((s) => (
                <tr
                  key={s.spanId}
                  title={Object.entries(s.attributes)
                    .map(([k, v]) => `${k}=${String(v)}`)
                    .join('\n')}
                >
                  <td>{s.name}</td>
                  <td>{s.service}</td>
                  <td className="num">{formatDuration(s.endAt - s.startAt)}</td>
                  <td className="mono">{s.spanId}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
