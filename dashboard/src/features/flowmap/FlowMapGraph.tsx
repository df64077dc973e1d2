import {
  useCallback,
  useEffect,
  useLayoutEffect,
  useMemo,
  useRef,
  useState,
  type KeyboardEvent,
  type PointerEvent,
} from 'react';
import { ArrowMarker } from '../../components/ArrowMarker.tsx';
import { type FlowEdge, type FlowMapResponse } from '../../api/types.ts';
import { Empty, ErrorState, Loading } from '../../components/states.tsx';
import { formatDuration, formatRate, formatSeconds } from '../../lib/format.ts';
import { bestLayout, edgeKey, edgeName, edgePath, fitScale, NODE_H, type GraphLayout } from './graph-layout.ts';
import { edgeHealth, HEALTH_TEXT, lagIndex, worst, type GroupTopicLag, type Health, type LagIndex } from './health.ts';
import './flowmap.css';

/** Rate (errors, and the group's lag when it is not OK) on the first line, latency on the second. */
export function edgeLines(e: FlowEdge, lag?: GroupTopicLag | null): [string, string] {
  const parts = [formatRate(e.ratePerSecond)];
  if (e.errorsPerSecond) parts.push(`${formatRate(e.errorsPerSecond)} errors`);
  if (lag && lag.status !== 'OK')
    parts.push(`lag ${lag.lagSeconds !== null ? formatSeconds(lag.lagSeconds) : lag.status}`);
  const rate = parts.join(' · ');
  const latency =
    e.p50Ms !== null || e.p95Ms !== null ? `p50 ${formatDuration(e.p50Ms)} / p95 ${formatDuration(e.p95Ms)}` : '';
  return [rate, latency];
}

export function edgeLabel(e: FlowEdge): string {
  return edgeLines(e).filter(Boolean).join(' · ');
}

interface View {
  k: number;
  x: number;
  y: number;
}

/** One empty map (not a new one per render, which would lay the graph out again on every render). */
const NO_LAG = lagIndex(undefined);

const MIN_K = 0.2;
const MAX_K = 3;
const clampK = (k: number) => Math.min(MAX_K, Math.max(MIN_K, k));

/** Below this a fitted map's 12 px labels would be under 8.4 px: it is drawn at this scale and panned instead. */
export const MIN_FIT_SCALE = 0.7;

/** The whole map, centred, unless that needs a scale under MIN_FIT_SCALE: then its top left corner at that scale. */
export function fitView(layout: GraphLayout, box: { width: number; height: number }): View {
  const k = Math.max(fitScale(layout, box), MIN_FIT_SCALE);
  const w = layout.width * k;
  const h = layout.height * k;
  return { k, x: w <= box.width ? (box.width - w) / 2 : 0, y: h <= box.height ? (box.height - h) / 2 : 0 };
}

export interface FlowMapGraphProps {
  loading: boolean;
  error: unknown;
  data: FlowMapResponse | undefined;
  /** One cluster's lag from its Kafka snapshot (empty without one); edges of groups on other clusters get none. */
  lag?: LagIndex;
  selected?: string;
  onSelect?: (nodeId: string) => void;
}

/**
 * Presentational: services (rounded) and topics, with rate and latency on every edge and
 * health colours; laid out by dagre to fit its box, zoomed with the wheel or the buttons,
 * panned by dragging; a click (or Enter) on a node selects it.
 */
export function FlowMapGraph({ loading, error, data, lag, selected, onSelect }: FlowMapGraphProps) {
  if (error && !data) return <ErrorState error={error} what="the flow map" />;
  if (loading && !data) return <Loading what="the flow map" />;
  if (!data || data.nodes.length === 0)
    return (
      <Empty title="No flows in this time range.">
        The map is built from producer and consumer spans; check that services export OTLP to the collector.
      </Empty>
    );
  return <Graph data={data} lag={lag ?? NO_LAG} selected={selected} onSelect={onSelect} />;
}

function Graph({
  data,
  lag,
  selected,
  onSelect,
}: {
  data: FlowMapResponse;
  lag: LagIndex;
  selected: string | undefined;
  onSelect: ((nodeId: string) => void) | undefined;
}) {
  const boxRef = useRef<HTMLDivElement>(null);
  const svgRef = useRef<SVGSVGElement>(null);
  const [box, setBox] = useState({ width: 0, height: 0 });
  useLayoutEffect(() => {
    const el = boxRef.current;
    if (!el) return;
    // The map takes the window's height below its top (at least 320 px): no scroll, no blank page.
    const measure = () => {
      const top = el.getBoundingClientRect().top + window.scrollY;
      const height = Math.max(320, Math.floor(window.innerHeight - top - 56));
      el.style.height = `${height}px`;
      setBox({ width: el.clientWidth, height });
    };
    measure();
    // jsdom (unit tests) has no ResizeObserver: the first measure is all there is.
    if (typeof ResizeObserver === 'undefined') return;
    const ro = new ResizeObserver(measure);
    ro.observe(el);
    window.addEventListener('resize', measure);
    return () => {
      ro.disconnect();
      window.removeEventListener('resize', measure);
    };
  }, []);

  const health = useMemo(() => {
    const edges = new Map(data.edges.map((e) => [edgeKey(e), edgeHealth(e, lag)]));
    const nodes = new Map<string, Health>();
    for (const e of data.edges) {
      const h = edges.get(edgeKey(e))?.health ?? 'unknown';
      for (const id of [e.from, e.to]) nodes.set(id, worst([nodes.get(id) ?? 'unknown', h]));
    }
    return { edges, nodes };
  }, [data, lag]);
  const layout = useMemo(
    () =>
      bestLayout(data.nodes, data.edges, (e) => edgeLines(e, health.edges.get(edgeKey(e))?.lag).filter(Boolean), box),
    [data, box, health],
  );

  // The user's zoom and pan; null: fit to the box (again after every relayout).
  const [userView, setUserView] = useState<View | null>(null);
  const view = userView ?? fitView(layout, box);
  const viewRef = useRef(view);
  viewRef.current = view;

  const zoomAt = useCallback((factor: number, cx: number, cy: number) => {
    const v = viewRef.current;
    const k = clampK(v.k * factor);
    setUserView({ k, x: cx - ((cx - v.x) * k) / v.k, y: cy - ((cy - v.y) * k) / v.k });
  }, []);

  // Wheel zoom around the pointer; a non-passive listener, so the page does not scroll meanwhile.
  useEffect(() => {
    const svg = svgRef.current;
    if (!svg) return;
    const onWheel = (ev: WheelEvent) => {
      ev.preventDefault();
      const r = svg.getBoundingClientRect();
      zoomAt(Math.exp(-ev.deltaY * 0.0015), ev.clientX - r.left, ev.clientY - r.top);
    };
    svg.addEventListener('wheel', onWheel, { passive: false });
    return () => svg.removeEventListener('wheel', onWheel);
  }, [zoomAt]);

  // Drag to pan. A press that moves less than 4 px stays a click (on a node: select it).
  const drag = useRef<{ id: number; sx: number; sy: number; v: View; moved: boolean } | null>(null);
  const onPointerDown = (ev: PointerEvent<SVGSVGElement>) => {
    if (ev.button !== 0) return;
    drag.current = { id: ev.pointerId, sx: ev.clientX, sy: ev.clientY, v: viewRef.current, moved: false };
  };
  const onPointerMove = (ev: PointerEvent<SVGSVGElement>) => {
    const d = drag.current;
    if (!d || d.id !== ev.pointerId) return;
    const dx = ev.clientX - d.sx;
    const dy = ev.clientY - d.sy;
    if (!d.moved && Math.hypot(dx, dy) < 4) return;
    if (!d.moved) {
      d.moved = true;
      ev.currentTarget.setPointerCapture(ev.pointerId);
    }
    setUserView({ k: d.v.k, x: d.v.x + dx, y: d.v.y + dy });
  };
  const endDrag = (ev: PointerEvent<SVGSVGElement>) => {
    const d = drag.current;
    if (d?.moved && ev.currentTarget.hasPointerCapture(ev.pointerId))
      ev.currentTarget.releasePointerCapture(ev.pointerId);
    // Keep `moved` until the click that follows has been ignored.
    if (d && !d.moved) drag.current = null;
  };
  const select = (id: string) => {
    if (drag.current?.moved) {
      drag.current = null;
      return;
    }
    drag.current = null;
    onSelect?.(id);
  };

  const centre = () => ({ cx: box.width / 2, cy: box.height / 2 });
  // Keyboard: arrows pan (the drawing moves the other way, as when dragging the map), + and - zoom, 0 fits.
  const onKeyDown = (ev: KeyboardEvent<SVGSVGElement>) => {
    const v = viewRef.current;
    const step = 40;
    const pan: Record<string, [number, number]> = {
      ArrowLeft: [step, 0],
      ArrowRight: [-step, 0],
      ArrowUp: [0, step],
      ArrowDown: [0, -step],
    };
    const d = Object.hasOwn(pan, ev.key) ? pan[ev.key] : undefined;
    if (d) setUserView({ k: v.k, x: v.x + d[0], y: v.y + d[1] });
    else if (ev.key === '+' || ev.key === '=') zoomAt(1.25, box.width / 2, box.height / 2);
    else if (ev.key === '-') zoomAt(0.8, box.width / 2, box.height / 2);
    else if (ev.key === '0') setUserView(null);
    else return;
    ev.preventDefault();
  };
  const pct = Math.round(view.k * 100);
  return (
    <div className="flowmap">
      <div className="flowmap-toolbar" role="toolbar" aria-label="Flow map zoom">
        <button type="button" aria-label="Zoom in" onClick={() => zoomAt(1.25, centre().cx, centre().cy)}>
          +
        </button>
        <button type="button" aria-label="Zoom out" onClick={() => zoomAt(0.8, centre().cx, centre().cy)}>
          −
        </button>
        <button type="button" onClick={() => setUserView(null)} aria-pressed={userView === null}>
          Fit
        </button>
        <span className="subtle" data-testid="flowmap-zoom">
          {pct}%
        </span>
        <span className="spacer" />
        <ul className="flowmap-legend" aria-label="Health colours">
          <li className="health-ok">healthy</li>
          <li className="health-warn">p95 ≥ 250 ms or lag WARN</li>
          <li className="health-bad">errors, p95 ≥ 1 s or lag behind</li>
          <li className="subtle">scroll to zoom, drag to pan, click a node</li>
        </ul>
      </div>
      <div className="flowmap-viewport" ref={boxRef}>
        <svg
          ref={svgRef}
          role="group"
          aria-label="Flow map"
          aria-description="Arrow keys pan, + and - zoom, 0 fits; Tab reaches each node, Enter opens it."
          tabIndex={0}
          onKeyDown={onKeyDown}
          data-direction={layout.direction}
          onPointerDown={onPointerDown}
          onPointerMove={onPointerMove}
          onPointerUp={endDrag}
          onPointerCancel={endDrag}
        >
          <defs>
            {(['ok', 'warn', 'bad', 'unknown'] as const).map((h) => (
              <ArrowMarker key={h} id={`fm-arrow-${h}`} className={`arrow health-${h}`} />
            ))}
          </defs>
          <g transform={`translate(${view.x} ${view.y}) scale(${view.k})`} data-testid="flowmap-canvas">
            {layout.edges.map(({ edge: e, points }) => {
              const h = health.edges.get(edgeKey(e));
              const hl = h?.health ?? 'unknown';
              return (
                <path
                  key={edgeKey(e)}
                  className={`edge-line health-${hl}${e.errorsPerSecond ? ' errors' : ''}`}
                  d={edgePath(points)}
                  markerEnd={`url(#fm-arrow-${hl})`}
                  data-edge={edgeName(e)}
                />
              );
            })}
            {layout.nodes.map((n) => {
              const h = health.nodes.get(n.id) ?? 'unknown';
              const isSel = n.id === selected;
              return (
                <g
                  key={n.id}
                  className={`node node-${n.kind} health-${h}${isSel ? ' selected' : ''}`}
                  transform={`translate(${n.x - n.width / 2} ${n.y - n.height / 2})`}
                  role="button"
                  tabIndex={0}
                  aria-pressed={isSel}
                  aria-label={`${n.kind} ${n.name}: ${HEALTH_TEXT[h]}`}
                  data-node={n.id}
                  onClick={() => select(n.id)}
                  onKeyDown={(ev) => {
                    if (ev.key === 'Enter' || ev.key === ' ') {
                      ev.preventDefault();
                      onSelect?.(n.id);
                    }
                  }}
                >
                  <title>{`${n.kind} ${n.name}`}</title>
                  <rect width={n.width} height={NODE_H} rx={n.kind === 'service' ? 10 : 2} />
                  <text x={n.width / 2} y={NODE_H / 2 + 4} textAnchor="middle">
                    {n.label}
                  </text>
                </g>
              );
            })}
            {layout.edges.map(({ edge: e, labelX, labelY, labelWidth }) => {
              const h = health.edges.get(edgeKey(e));
              const [l1, l2] = edgeLines(e, h?.lag);
              return (
                <g
                  key={edgeKey(e)}
                  className={`edge-label health-${h?.health ?? 'unknown'}`}
                  data-edge={edgeName(e)}
                  transform={`translate(${labelX} ${labelY})`}
                >
                  <title>{`${e.from} → ${e.to}${e.group ? ` (group ${e.group})` : ''}: ${edgeLabel(e)}${
                    h?.reasons.length ? ` — ${h.reasons.join(', ')}` : ''
                  }`}</title>
                  <rect x={-labelWidth / 2 - 2} y={l2 ? -14 : -8} width={labelWidth + 4} height={l2 ? 28 : 16} rx={3} />
                  <text textAnchor="middle" y={l2 ? -3 : 4}>
                    <tspan x={0}>{l1}</tspan>
                    {l2 ? (
                      <tspan x={0} dy={12}>
                        {l2}
                      </tspan>
                    ) : null}
                  </text>
                </g>
              );
            })}
          </g>
        </svg>
      </div>
      {/* A table ignores height and overflow: the wrapper hides it (a hidden table made a page of blank scroll). */}
      <div className="visually-hidden">
        <table aria-label="Flow edges">
          <tbody>
            {data.edges.map((e) => {
              const h = health.edges.get(edgeKey(e));
              return (
                <tr key={edgeKey(e)}>
                  <td>
                    {e.from} → {e.to}
                  </td>
                  <td>{edgeLabel(e)}</td>
                  <td>{`${HEALTH_TEXT[h?.health ?? 'unknown']}${h?.reasons.length ? `: ${h.reasons.join(', ')}` : ''}`}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
    </div>
  );
}
