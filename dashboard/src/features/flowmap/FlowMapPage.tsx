import { useMemo } from 'react';
import { useDlqs, useFlowMap, useGroups } from '../../api/queries.ts';
import { FLOW_MAP_MAX_SECONDS } from '../../api/types.ts';
import { RangePicker } from '../../components/RangePicker.tsx';
import { useRange, useUrlParam } from '../../lib/url-state.ts';
import { ClusterNote } from '../clusters/Clusters.tsx';
import { FlowMapGraph } from './FlowMapGraph.tsx';
import { lagIndex } from './health.ts';
import { NodePanel } from './NodePanel.tsx';

export function FlowMapPage() {
  const range = useRange();
  // The collector keeps the map for the last hour; a longer range shows that hour and says so.
  const seconds = Math.min(range.seconds, FLOW_MAP_MAX_SECONDS);
  const query = useFlowMap(seconds);
  // Lag and DLQs come from the Kafka snapshot; without one the map still shows the spans' view.
  const groups = useGroups();
  const dlqs = useDlqs();
  const lag = useMemo(() => lagIndex(groups.data), [groups.data]);
  const [nodeId, setNodeId] = useUrlParam('node');
  const node = query.data?.nodes.find((n) => n.id === nodeId);
  return (
    <>
      <div className="page-header">
        <h1>Flow map</h1>
        <span className="subtle">services (rounded) and topics, with rate and p50/p95 per edge</span>
        {/* The spans draw the map; lag and status colours come from this cluster's groups. */}
        <ClusterNote cluster={groups.data?.cluster} remark="lag from its groups" />
        <span className="spacer" />
        <RangePicker />
      </div>
      {seconds < range.seconds ? (
        <p className="subtle">The collector keeps the flow map for the last hour; showing that hour.</p>
      ) : null}
      <div className={`flowmap-layout${node ? ' with-panel' : ''}`}>
        <section className="panel">
          <FlowMapGraph
            loading={query.isPending}
            error={query.error}
            data={query.data}
            lag={lag}
            selected={node?.id}
            onSelect={(id) => setNodeId(id === nodeId ? '' : id)}
          />
        </section>
        {node && query.data ? (
          <NodePanel node={node} edges={query.data.edges} lag={lag} dlqs={dlqs.data} onClose={() => setNodeId('')} />
        ) : null}
      </div>
    </>
  );
}
