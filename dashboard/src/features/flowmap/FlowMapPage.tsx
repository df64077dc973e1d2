import { useFlowMap } from '../../api/queries.ts';
import { FLOW_MAP_MAX_SECONDS } from '../../api/types.ts';
import { RangePicker } from '../../components/RangePicker.tsx';
import { useRange } from '../../lib/url-state.ts';
import { FlowMapGraph } from './FlowMapGraph.tsx';

export function FlowMapPage() {
  const range = useRange();
  // The collector keeps the map for the last hour; a longer range shows that hour and says so.
  const seconds = Math.min(range.seconds, FLOW_MAP_MAX_SECONDS);
  const query = useFlowMap(seconds);
  return (
    <>
      <div className="page-header">
        <h1>Flow map</h1>
        <span className="subtle">services (rounded) and topics, with rate and queue-time p50/p95 per edge</span>
        <span className="spacer" />
        <RangePicker />
      </div>
      {seconds < range.seconds ? (
        <p className="subtle">The collector keeps the flow map for the last hour; showing that hour.</p>
      ) : null}
      <section className="panel">
        <FlowMapGraph loading={query.isPending} error={query.error} data={query.data} />
      </section>
    </>
  );
}
