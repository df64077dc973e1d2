import { Link, useParams } from 'react-router';
import { useSaga } from '../../api/queries.ts';
import { SagaBadge } from '../../components/StatusBadge.tsx';
import { Figure } from '../../components/Tile.tsx';
import { Empty, QueryView } from '../../components/states.tsx';
import { formatDateTime, formatDuration, formatRelative } from '../../lib/format.ts';
import { useUrlParam } from '../../lib/url-state.ts';
import { FlowDiagram, FlowLegend } from './FlowDiagram.tsx';
import { HopDetails } from './HopDetails.tsx';
import { stepsFromHops } from './flow-model.ts';
import { CopyButton } from '../../components/CopyButton.tsx';

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
        <CopyButton text={correlationId} label="correlation id" />
        {query.data ? <SagaBadge status={query.data.status} /> : null}
        {query.data?.sagaType ? <span className="subtle">{query.data.sagaType}</span> : null}
      </div>
      <QueryView query={query} what={`saga ${correlationId}`}>
        {(d) => {
          const steps = stepsFromHops(d.hops);
          const step = steps.find((x) => x.key === selected);
          const queueTotal = steps.reduce((sum, x) => sum + (x.queueMs ?? 0), 0);
          const procTotal = steps.reduce((sum, x) => sum + (x.processingMs ?? 0), 0);
          const finished = d.endToEndMs !== null;
          return (
            <>
              <div className="panel figures">
                <Figure
                  label={finished ? 'end to end' : 'running for'}
                  value={formatDuration(finished ? d.endToEndMs : d.lastActivityMs - d.startMs)}
                />
                <Figure label="waiting in topics (sum)" value={formatDuration(queueTotal)} />
                <Figure label="processing (sum)" value={formatDuration(procTotal)} />
                <Figure label="events" value={String(d.hopCount)} />
                <Figure
                  label="pending deliveries"
                  value={String(d.pendingCount)}
                  tone={d.pendingCount ? 'warn' : undefined}
                />
                <Figure
                  label="compensations"
                  value={String(d.compensations.length)}
                  tone={d.compensations.length ? 'warn' : undefined}
                />
                <Figure
                  label="dead-lettered steps"
                  value={String(d.dlqSteps.length)}
                  tone={d.dlqSteps.length ? 'bad' : undefined}
                />
                <Figure
                  label={`started, last activity ${formatRelative(d.lastActivityMs)}`}
                  value={formatDateTime(d.startMs)}
                />
              </div>
              <div className="saga-layout" style={{ marginTop: 14 }}>
                <section className="panel" aria-label="Flow diagram">
                  <h2>Flow</h2>
                  <FlowLegend />
                  {steps.length === 0 ? (
                    <Empty title="No hops recorded for this saga yet." />
                  ) : (
                    <FlowDiagram hops={steps} selected={step ? selected : null} onSelect={setSelected} />
                  )}
                </section>
                {step ? (
                  <HopDetails step={step} correlationId={d.correlationId} />
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
