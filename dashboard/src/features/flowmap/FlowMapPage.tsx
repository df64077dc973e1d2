import { useFlowMap } from '../../api/queries.ts';
import { RangePicker } from '../../components/RangePicker.tsx';
import { useRange } from '../../lib/url-state.ts';
import { FlowMapGraph } from './FlowMapGraph.tsx';

export function FlowMapPage() {
  const range = useRange();
  const query = useFlowMap(range.seconds);
  return (
    <>
      <div className="page-header">
        <h1>Flow map</h1>
        <span className="subtle">services (rounded) and topics, with rate and queue-time p50/p95 per edge</span>
        <span className="spacer" />
        <RangePicker />
      </div>
      <section className="panel">
        <FlowMapGraph loading={query.isPending} error={query.error} data={query.data} />
      </section>
    </>
  );
}
