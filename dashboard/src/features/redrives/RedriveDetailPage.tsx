import { Link, useParams } from 'react-router';
import { useCancelRedrive, useRedrive } from '../../api/queries.ts';
import { useRedriveEvents } from '../../api/redrive-events.ts';
import { Figure } from '../../components/Tile.tsx';
import { ErrorState, QueryView } from '../../components/states.tsx';
import { withCluster } from '../../lib/cluster-param.ts';
import { formatDateTime, formatDuration, formatInteger, formatPercent, shortId } from '../../lib/format.ts';
import { useCanWrite } from '../auth/session.ts';
import '../dlqs/redrive.css';
import { describeOutcome, describeSelect, describeTarget, progressRatio, RedriveBadge } from './describe.tsx';

/** Without the event stream, a running redrive is polled this often. */
const POLL_MS = 2_000;

export function RedriveDetailPage() {
  const { id = '' } = useParams();
  const stream = useRedriveEvents(id, true);
  const query = useRedrive(id, stream === 'live' ? false : POLL_MS);
  const cancel = useCancelRedrive(id);
  const { canWrite } = useCanWrite();

  return (
    <>
      <div className="breadcrumb">
        <Link to="/redrives">Redrives</Link> /
      </div>
      <QueryView query={query} what={`redrive ${id}`}>
        {({ redrive: r }) => {
          const ratio = progressRatio(r);
          const done = r.sent + r.failed;
          return (
            <>
              <div className="page-header">
                <h1 title={r.id}>Redrive {shortId(r.id)}</h1>
                <RedriveBadge status={r.status} />
                <span className="spacer" />
                {canWrite && r.status === 'running' ? (
                  <button type="button" onClick={() => cancel.mutate()} disabled={cancel.isPending}>
                    Cancel redrive
                  </button>
                ) : null}
              </div>
              {cancel.isError ? <ErrorState error={cancel.error} what="the cancel" /> : null}
              <section className="panel" aria-label="Progress">
                <h2>Progress</h2>
                <progress
                  className="redrive-progress"
                  aria-label="Records redriven"
                  max={Math.max(r.selected, 1)}
                  value={r.selected === 0 ? 1 : done}
                />
                <p aria-live="polite">
                  {formatInteger(r.sent)} of {formatInteger(r.selected)} sent ({formatPercent(ratio)})
                  {r.failed ? `, ${formatInteger(r.failed)} failed` : ''}
                  {r.status === 'running' ? ` · at most ${formatInteger(r.ratePerSecond)}/s` : ` · ${r.status}`}
                </p>
                {r.error ? <p className="mono">{r.error}</p> : null}
              </section>
              <section className="panel" aria-label="Outcome" style={{ marginTop: 14 }}>
                <h2>What happened next</h2>
                <div className="figures">
                  <Figure label="processed" value={formatInteger(r.outcome.processed)} tone="ok" />
                  <Figure
                    label="back in the DLQ"
                    value={formatInteger(r.outcome.deadLetteredAgain)}
                    tone={r.outcome.deadLetteredAgain ? 'bad' : undefined}
                  />
                  <Figure label="no delivery seen yet" value={formatInteger(r.outcome.pending)} />
                </div>
                <p className="subtle">{describeOutcome(r.outcome)}, by event id.</p>
              </section>
              <section className="panel" aria-label="Details" style={{ marginTop: 14 }}>
                <h2>Details</h2>
                <dl className="kv">
                  <dt>DLQ</dt>
                  <dd>
                    <Link to={withCluster(`/dlqs/${encodeURIComponent(r.dlqTopic)}`, r.cluster)}>{r.dlqTopic}</Link>
                  </dd>
                  <dt>Cluster</dt>
                  <dd>{r.cluster}</dd>
                  <dt>Records</dt>
                  <dd>{describeSelect(r.select)}</dd>
                  <dt>Target</dt>
                  <dd>{describeTarget(r.target)}</dd>
                  <dt>Rate limit</dt>
                  <dd>{formatInteger(r.ratePerSecond)} records/s</dd>
                  <dt>Started</dt>
                  <dd>
                    {formatDateTime(r.createdAtMs)} by {r.createdBy}
                  </dd>
                  <dt>Finished</dt>
                  <dd>
                    {r.finishedAtMs === null
                      ? 'not yet'
                      : `${formatDateTime(r.finishedAtMs)} (took ${formatDuration(r.finishedAtMs - r.createdAtMs)})`}
                  </dd>
                  <dt>Id</dt>
                  <dd className="mono">{r.id}</dd>
                </dl>
              </section>
            </>
          );
        }}
      </QueryView>
    </>
  );
}
