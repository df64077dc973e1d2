import { type FlowMapResponse } from '../../api/types.ts';
import { Empty, ErrorState, Loading } from '../../components/states.tsx';
import { formatDuration, formatRate } from '../../lib/format.ts';
import { NODE_H, NODE_W, layoutGraph } from './graph-layout.ts';

export function edgeLabel(e: FlowMapResponse['edges'][number]): string {
  const parts = [formatRate(e.ratePerSecond)];
  if (e.p50Ms !== null || e.p95Ms !== null)
    parts.push(`p50 ${formatDuration(e.p50Ms)} / p95 ${formatDuration(e.p95Ms)}`);
  if (e.errorsPerSecond) parts.push(`${formatRate(e.errorsPerSecond)} errors`);
  return parts.join(' · ');
}

/** Presentational: services and topics with rate and latency per edge. */
export function FlowMapGraph({
  loading,
  error,
  data,
}: {
  loading: boolean;
  error: unknown;
  data: FlowMapResponse | undefined;
}) {
  if (error && !data) return <ErrorState error={error} what="the flow map" />;
  if (loading && !data) return <Loading what="the flow map" />;
  if (!data || data.nodes.length === 0)
    return (
      <Empty title="No flows in this time range.">
        The map is built from producer and consumer spans; check that services export OTLP to the collector.
      </Empty>
    );
  const layout = layoutGraph(data.nodes, data.edges);
  const pos = new Map(layout.nodes.map((n) => [n.id, n]));
  return (
    <div className="flowmap">
      <svg
        viewBox={`0 0 ${layout.width} ${layout.height}`}
        role="group"
        aria-label="Flow map"
        style={{ maxWidth: layout.width }}
      >
        <defs>
          <marker id="fm-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto">
            <path d="M 0 0 L 10 5 L 0 10 z" fill="var(--muted)" />
          </marker>
        </defs>
        {data.edges.map((e) => {
          const a = pos.get(e.from);
          const b = pos.get(e.to);
          if (!a || !b) return null;
          const x1 = a.x + NODE_W;
          const y1 = a.y + NODE_H / 2;
          let x2 = b.x;
          const y2 = b.y + NODE_H / 2;
          // Backward edge (a cycle): enter the node from its right side.
          const backward = b.x <= a.x;
          if (backward) x2 = b.x + NODE_W;
          const mx = (x1 + x2) / 2;
          const d = backward
            ? `M ${x1} ${y1} C ${x1 + 60} ${y1 + 50}, ${x2 + 60} ${y2 + 50}, ${x2} ${y2}`
            : `M ${x1} ${y1} C ${mx} ${y1}, ${mx} ${y2}, ${x2} ${y2}`;
          const label = edgeLabel(e);
          return (
            <g key={`${e.from}->${e.to}-${e.group ?? ''}`} className={`edge${e.errorsPerSecond ? ' errors' : ''}`}>
              <title>{`${e.from} → ${e.to}${e.group ? ` (group ${e.group})` : ''}: ${label}`}</title>
              <path d={d} markerEnd="url(#fm-arrow)" />
              <text x={mx} y={(y1 + y2) / 2 - 4} textAnchor="middle">
                {label}
              </text>
            </g>
          );
        })}
        {layout.nodes.map((n) => (
          <g key={n.id} className={`node node-${n.kind}`} transform={`translate(${n.x}, ${n.y})`}>
            <rect width={NODE_W} height={NODE_H} rx={n.kind === 'service' ? 8 : 2} />
            <text x={NODE_W / 2} y={NODE_H / 2 + 4} textAnchor="middle">
              {n.name.length > 22 ? `${n.name.slice(0, 21)}…` : n.name}
            </text>
          </g>
        ))}
      </svg>
      <table className="visually-hidden" aria-label="Flow edges">
        <tbody>
          {data.edges.map((e) => (
            <tr key={`${e.from}->${e.to}-${e.group ?? ''}`}>
              <td>
                {e.from} → {e.to}
              </td>
              <td>{edgeLabel(e)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
