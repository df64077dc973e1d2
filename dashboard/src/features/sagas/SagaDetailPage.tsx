import { Link, useParams } from 'react-router';
import { useSaga } from '../../api/queries.ts';
import { SagaBadge } from '../../components/StatusBadge.tsx';
import { Figure } from '../../components/Tile.tsx';
import { Empty, QueryView } from '../../components/states.tsx';
import { formatDateTime, formatDuration } from '../../lib/format.ts';
import { useUrlParam } from '../../lib/url-state.ts';
import { FlowDiagram, FlowLegend } from './FlowDiagram.tsx';
import { HopDetails } from './HopDetails.tsx';
import { hopKey } from './flow-layout.ts';

export function SagaDetailPage() {
  const { correlationId = '' } = useParams();
  const query = useSaga(correlationId);
  const [selected, setSelected] = useUrlParam('hop');

  return (
    <>
      <div className="breadcrumb">
        <Link to="/sagas">Sagas</Link> /
      </div>
      <div className="page-header">
        <h1>
          Saga <span className="mono">{correlationId}</span>
        </h1>
        {query.data ? <SagaBadge status={query.data.saga.status} /> : null}
        {query.data ? <span className="subtle">{query.data.saga.type}</span> : null}
      </div>
      <QueryView query={query} what={`saga ${correlationId}`}>
        {(d) => {
          const hop = d.hops.find((h) => hopKey(h) === selected);
          const queueTotal = d.hops.reduce((s, h) => s + (h.queueMs ?? 0), 0);
          const procTotal = d.hops.reduce((s, h) => s + (h.processingMs ?? 0), 0);
          return (
            <>
              <div className="panel figures">
                <Figure
                  label={d.saga.endedAt === null ? 'running for' : 'end to end'}
                  value={formatDuration(d.saga.durationMs)}
                />
                <Figure label="waiting in topics" value={formatDuration(queueTotal)} />
                <Figure label="processing" value={formatDuration(procTotal)} />
                <Figure label="hops" value={String(d.hops.length)} />
                <Figure
                  label="compensations"
                  value={String(d.saga.compensations)}
                  tone={d.saga.compensations ? 'warn' : undefined}
                />
                <Figure
                  label="dead-lettered steps"
                  value={String(d.saga.dlqSteps)}
                  tone={d.saga.dlqSteps ? 'bad' : undefined}
                />
                <Figure label="started" value={formatDateTime(d.saga.startedAt)} />
              </div>
              <div className="saga-layout" style={{ marginTop: 14 }}>
                <section className="panel" aria-label="Flow diagram">
                  <h2>Flow</h2>
                  <FlowLegend />
                  {d.hops.length === 0 ? (
                    <Empty title="No hops recorded for this saga yet." />
                  ) : (
                    <FlowDiagram hops={d.hops} selected={hop ? selected : null} onSelect={setSelected} />
                  )}
                </section>
                {hop ? (
                  <HopDetails hop={hop} />
                ) : (
                  <section className="panel">
                    <Empty title="Select a hop">
                      Click an arrow (or focus it with Tab and press Enter) to see its event, headers, spans and trace
                      id.
                    </Empty>
                  </section>
                )}
              </div>
            </>
          );
        }}
      </QueryView>
    </>
  );
}
