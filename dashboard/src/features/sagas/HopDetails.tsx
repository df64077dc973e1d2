import { Link } from 'react-router';
import { OutcomeBadge } from '../../components/StatusBadge.tsx';
import { formatClockMs, formatCount, formatDuration, formatInteger, formatSeconds } from '../../lib/format.ts';
import { Headers } from '../dlqs/DlqRecordView.tsx';
import { type FlowStep } from './flow-model.ts';
import { CopyButton } from '../../components/CopyButton.tsx';

/**
 * The envelope headers as the spans recorded them (docs/event-contract.md). The collector
 * stores span attributes, not raw record headers, so this is what it can vouch for.
 */
export function envelopeHeaders(step: FlowStep, correlationId: string): Record<string, string> {
  const h: Record<string, string> = {};
  if (step.eventId) h['event-id'] = step.eventId;
  if (step.hop.eventType) h['event-type'] = step.hop.eventType;
  h['correlation-id'] = correlationId;
  if (step.hop.causationId) h['causation-id'] = step.hop.causationId;
  if (step.hop.traceId && step.hop.spanId) h.traceparent = `00-${step.hop.traceId}-${step.hop.spanId}-01`;
  return h;
}

/** The selected hop: event, timings, headers, spans and trace id. */
export function HopDetails({ step, correlationId }: { step: FlowStep; correlationId: string }) {
  const enc = encodeURIComponent;
  const hop = step.hop;
  const outcome = step.outcome === 'unconsumed' ? null : step.outcome;
  return (
    <section className="panel" aria-label="Hop details">
      <h2>
        {step.eventType} {outcome ? <OutcomeBadge outcome={outcome} /> : null}
        {step.compensation ? <span className="badge badge-warn">compensation</span> : null}
      </h2>
      <dl className="kv" style={{ marginTop: 8 }}>
        <dt>Event id</dt>
        <dd className="mono">
          {step.eventId ? (
            <>
              <Link to={`/events/${enc(step.eventId)}`}>{step.eventId}</Link>
              <CopyButton text={step.eventId} label="event id" />
            </>
          ) : (
            'unknown (no event-id)'
          )}
        </dd>
        <dt>From</dt>
        <dd>{step.fromService}</dd>
        <dt>Topic</dt>
        <dd>
          {hop.topic} / {hop.partition ?? '?'} @ {formatInteger(hop.offset)}
        </dd>
        <dt>To</dt>
        <dd>
          {step.group ? (
            <>
              {step.toService ?? 'service not seen yet'} (group{' '}
              <Link to={`/groups/${enc(step.group)}`}>{step.group}</Link>)
            </>
          ) : (
            'no consumer group reads it'
          )}
        </dd>
        <dt>Published</dt>
        <dd>{hop.publishedMs === null ? 'publish span not received' : formatClockMs(hop.publishedMs)}</dd>
        {step.pending ? (
          <>
            <dt>Position</dt>
            <dd>
              {step.pending.position === null
                ? 'unknown'
                : `${formatCount(step.pending.position)} messages ahead of it in ${step.pending.topic}/${step.pending.partition}`}
              {step.pending.estimatedWaitSeconds !== null
                ? `, about ${formatSeconds(step.pending.estimatedWaitSeconds)} to go`
                : ''}
            </dd>
          </>
        ) : null}
        {step.startedAt !== null ? (
          <>
            <dt>Queue time</dt>
            <dd>{formatDuration(step.queueMs)}</dd>
            <dt>Processing</dt>
            <dd>{formatDuration(step.processingMs)}</dd>
          </>
        ) : null}
        <dt>Attempts</dt>
        <dd>{step.attempts}</dd>
        {step.dlqTopic ? (
          <>
            <dt>DLQ</dt>
            <dd>
              <Link to={`/dlqs/${enc(step.dlqTopic)}`}>{step.dlqTopic}</Link>
            </dd>
          </>
        ) : null}
        <dt>Trace id</dt>
        <dd className="mono">{hop.traceId ? <Link to={`/traces/${enc(hop.traceId)}`}>{hop.traceId}</Link> : 'none'}</dd>
      </dl>
      <h3>Headers</h3>
      <Headers headers={envelopeHeaders(step, correlationId)} />
      <h3>Spans</h3>
      <div className="table-wrap">
        <table aria-label="Spans">
          <thead>
            <tr>
              <th>Span</th>
              <th>Service</th>
              <th>Outcome</th>
              <th className="num">Duration</th>
              <th>Span id</th>
            </tr>
          </thead>
          <tbody>
            {hop.spanId ? (
              <tr title={`span ${hop.spanId}`}>
                <td>send {hop.topic}</td>
                <td>{hop.service}</td>
                <td>published</td>
                <td className="num">—</td>
              </tr>
            ) : null}
            {step.deliveries.map((d) => (
              <tr key={d.spanId} title={`span ${d.spanId} in trace ${d.traceId}`}>
                <td>
                  {d.traceId !== hop.traceId ? (
                    <Link to={`/traces/${enc(d.traceId)}`}>
                      process {d.topic} (attempt {d.attempt})
                    </Link>
                  ) : (
                    <>
                      process {d.topic} (attempt {d.attempt})
                    </>
                  )}
                </td>
                <td>{d.service}</td>
                <td>
                  <OutcomeBadge outcome={d.outcome} />
                </td>
                <td className="num">{formatDuration(d.processingTimeMs)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
