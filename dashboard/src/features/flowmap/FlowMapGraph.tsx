import { type FlowMapResponse } from '../../api/types.ts';
import { Empty, ErrorState, Loading } from '../../components/states.tsx';
import { formatDuration, formatRate } from '../../lib/format.ts';
import { labelWidth, placeLabels } from '../sagas/flow-layout.ts';
import { NODE_H, NODE_W, layoutGraph } from './graph-layout.ts';

type Edge = FlowMapResponse['edges'][number];

/** Rate (and errors) on the first line, latency on the second, so labels fit between columns. */
export function edgeLines(e: Edge): [string, string] {
  const rate = e.errorsPerSecond
    ? `${formatRate(e.ratePerSecond)} · ${formatRate(e.errorsPerSecond)} errors`
    : formatRate(e.ratePerSecond);
  const latency =
    e.p50Ms !== null || e.p95Ms !== null ? `p50 ${formatDuration(e.p50Ms)} / p95 ${formatDuration(e.p95Ms)}` : '';
  return [rate, latency];
}

export function edgeLabel(e: Edge): string {
  return edgeLines(e).filter(Boolean).join(' · ');
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
  const edges = data.edges.flatMap((e) => {
    const a = pos.get(e.from);
    const b = pos.get(e.to);
    if (!a || !b) return [];
    const x1 = a.x + NODE_W;
    const y1 = a.y + NODE_H / 2;
    const y2 = b.y + NODE_H / 2;
    const label = edgeLabel(e);
    if (b.column > a.column) {
      const x2 = b.x;
      const mx = (x1 + x2) / 2;
      return [{ e, d: `M ${x1} ${y1} C ${mx} ${y1}, ${mx} ${y2}, ${x2} ${y2}`, label, lx: mx, ly: (y1 + y2) / 2 - 14 }];
    }
    // Back edge (a cycle): leave below the source, loop under the rows, enter the target from below.
    const sx = a.x + NODE_W / 2;
    const tx = b.x + NODE_W / 2;
    const bottom = layout.height - 14;
    return [
      {
        e,
        d: `M ${sx} ${a.y + NODE_H} C ${sx} ${bottom}, ${tx} ${bottom}, ${tx} ${b.y + NODE_H}`,
        label,
        lx: (sx + tx) / 2,
        ly: bottom - 2,
      },
    ];
  });
  const dys = placeLabels(
    edges.map((x) => {
      const w = Math.max(...edgeLines(x.e).map(labelWidth));
      return { x: x.lx - w / 2, y: x.ly, width: w };
    }),
  );
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
        {edges.map(({ e, d, label, lx, ly }, i) => (
          <g key={`${e.from}->${e.to}-${e.group ?? ''}`} className={`edge${e.errorsPerSecond ? ' errors' : ''}`}>
            <title>{`${e.from} → ${e.to}${e.group ? ` (group ${e.group})` : ''}: ${label}`}</title>
            <path d={d} markerEnd="url(#fm-arrow)" />
            <text x={lx} y={ly + (dys[i] ?? 0)} textAnchor="middle">
              <tspan x={lx}>{edgeLines(e)[0]}</tspan>
              {edgeLines(e)[1] ? (
                <tspan x={lx} dy={12}>
                  {edgeLines(e)[1]}
                </tspan>
              ) : null}
            </text>
          </g>
        ))}
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
