/**
 * Saga flow diagram in plain SVG: one lane per service, a shared time axis (offsets from the
 * first publish), and per hop an arrow from the publishing service to the consuming one.
 * On the consuming lane a thin amber bar is the time the event waited in the topic (queue
 * time) and a solid bar the time the service spent on it (processing). Failed / DLQ'd,
 * compensation, retried, duplicate and pending hops are marked in shape and words, not only
 * colour. Every hop is a button: click or Enter selects it.
 */
import { ArrowMarker } from '../../components/ArrowMarker.tsx';
import { useEffect, useRef, useState } from 'react';
import { formatCount, formatDuration, formatSeconds } from '../../lib/format.ts';
import {
  AXIS_HEIGHT,
  LABEL_WIDTH,
  LANE_HEIGHT,
  labelAnchor,
  labelWidth,
  layoutFlow,
  placeLabels,
  type LaidOutHop,
} from './flow-layout.ts';
import { type FlowStep } from './flow-model.ts';

function useWidth(fallback: number) {
  const ref = useRef<HTMLDivElement>(null);
  const [width, setWidth] = useState(fallback);
  useEffect(() => {
    const el = ref.current;
    if (!el || typeof ResizeObserver === 'undefined') return;
    const ro = new ResizeObserver((entries) => {
      const w = entries[0]?.contentRect.width;
      if (w && w > 0) setWidth(Math.round(w));
    });
    ro.observe(el);
    return () => ro.disconnect();
  }, []);
  return [ref, width] as const;
}

export function hopDescription(h: FlowStep): string {
  const parts = [`${h.eventType} from ${h.fromService}`];
  if (h.group) parts.push(`to ${h.toService ?? h.group}`);
  const position = h.pending?.position ?? null;
  const wait = h.pending?.estimatedWaitSeconds ?? null;
  if (h.outcome === 'pending') {
    parts.push('pending');
    if (position !== null) parts.push(`${formatCount(position)} messages ahead`);
    if (wait !== null) parts.push(`about ${formatSeconds(wait)} to go`);
  } else if (h.outcome === 'unconsumed') {
    parts.push('no consumer');
  } else {
    parts.push(h.outcome.replace('_', '-'));
    parts.push(`queue ${formatDuration(h.queueMs)}`);
    parts.push(`processing ${formatDuration(h.processingMs)}`);
  }
  if (h.compensation) parts.push('compensation');
  if (h.attempts > 1) parts.push(`${h.attempts} attempts`);
  if (h.dlqTopic) parts.push(`dead-lettered to ${h.dlqTopic}`);
  return parts.join(', ');
}

function hopLabel(l: LaidOutHop): string {
  const h = l.step;
  const marks: string[] = [];
  if (h.compensation) marks.push('↺');
  if (h.outcome === 'dead_lettered') marks.push('✕ DLQ');
  if (h.outcome === 'failed') marks.push('✕ failed');
  if (h.outcome === 'duplicate') marks.push('duplicate');
  if (h.attempts > 1) marks.push(`×${h.attempts}`);
  if (l.kind === 'pending') {
    const position = h.pending?.position ?? null;
    const wait = h.pending?.estimatedWaitSeconds ?? null;
    const ahead = position !== null ? `${formatCount(position)} ahead` : 'waiting';
    return `${h.eventType} · pending · ${ahead}${wait !== null ? ` · ~${formatSeconds(wait)}` : ''}`;
  }
  return [h.eventType, ...marks].join(' ');
}

/**
 * Where a click selects a hop without landing on one of its bars: a wide transparent stroke
 * along its arrow and a box behind its label. Every hop's hit area lies in one layer below all
 * visible hops, so a hit area can never cover another hop's bar (a payment hop's arrow crossing
 * the inventory lane used to catch the clicks meant for a dead-lettered step there).
 */
function HopHitArea({ l, labelDy, onSelect }: { l: LaidOutHop; labelDy: number; onSelect: (key: string) => void }) {
  const xEnd = l.x2 ?? l.x1;
  const anchor = labelAnchor(l);
  return (
    <g className="hop-hit" aria-hidden="true" data-testid={`hop-hit-${l.key}`} onClick={() => onSelect(l.key)}>
      <path
        d={`M ${l.x0} ${l.y0} L ${l.x1} ${l.y1} L ${xEnd} ${l.y1}`}
        stroke="transparent"
        strokeWidth={12}
        fill="none"
      />
      <rect x={anchor.x} y={anchor.y + labelDy - 11} width={labelWidth(hopLabel(l))} height={14} fill="transparent" />
    </g>
  );
}

/** A hop's visible shapes; only its bars, dot and marker take clicks (arrow and label lie over other hops). */
function HopShape({
  l,
  labelDy,
  selected,
  onSelect,
}: {
  l: LaidOutHop;
  labelDy: number;
  selected: boolean;
  onSelect: (key: string) => void;
}) {
  const h = l.step;
  const classes = ['hop', l.kind];
  if (h.compensation) classes.push('compensation');
  if (selected) classes.push('selected');
  const barH = 8;
  const xEnd = l.x2 ?? l.x1;
  const anchor = labelAnchor(l);
  return (
    <g
      className={classes.join(' ')}
      role="button"
      tabIndex={0}
      aria-pressed={selected}
      // A label with marks (✕ DLQ, ×3) ends the name too, so what is seen is what is said.
      aria-label={hopLabel(l) === h.eventType ? hopDescription(h) : `${hopDescription(h)}; shown as ${hopLabel(l)}`}
      data-testid={`hop-${l.key}`}
      onClick={() => onSelect(l.key)}
      onKeyDown={(e) => {
        if (e.key === 'Enter' || e.key === ' ') {
          e.preventDefault();
          onSelect(l.key);
        }
      }}
    >
      <title>{hopDescription(h)}</title>
      {l.kind !== 'unconsumed' ? (
        <>
          {/* queue time on the target lane: publish -> delivery start */}
          <rect
            className="queue"
            x={Math.min(l.x0, l.x1)}
            y={l.y1 - 2}
            width={Math.max(1, Math.abs(l.x1 - l.x0))}
            height={4}
          />
          <path className="hop-arrow" d={`M ${l.x0} ${l.y0} L ${l.x1} ${l.y1}`} markerEnd="url(#arrowhead)" />
          {l.x2 !== null ? (
            <rect
              className="processing"
              x={l.x1}
              y={l.y1 - barH / 2}
              width={Math.max(2, l.x2 - l.x1)}
              height={barH}
              rx={2}
            />
          ) : null}
          {l.kind === 'failed' ? (
            // A drawn cross, not a ✕ glyph: the hop's visible text stays its label (which its name contains).
            <path
              className="marker-dlq"
              d={`M ${xEnd + 3} ${l.y1 - 14} l 7 7 m -7 0 l 7 -7`}
              strokeWidth={2}
              strokeLinecap="round"
            />
          ) : null}
        </>
      ) : null}
      <circle className="publish-dot" cx={l.x0} cy={l.y0} r={3.5} />
      <text className="hop-label" x={anchor.x} y={anchor.y + labelDy}>
        {hopLabel(l)}
      </text>
    </g>
  );
}

/** Indexes of `hops` in drawing order: unconsumed ones first, the rest in time order. */
export function drawOrder(hops: readonly LaidOutHop[]): number[] {
  const idx = hops.map((_, i) => i);
  return [...idx.filter((i) => hops[i]!.kind === 'unconsumed'), ...idx.filter((i) => hops[i]!.kind !== 'unconsumed')];
}

export function FlowDiagram({
  hops,
  selected,
  onSelect,
}: {
  hops: FlowStep[];
  selected: string | null;
  onSelect: (key: string) => void;
}) {
  const [ref, width] = useWidth(1000);
  const layout = layoutFlow(hops, width);
  const labels = layout.hops.map((l) => ({ ...labelAnchor(l), width: labelWidth(hopLabel(l)) }));
  const labelDys = placeLabels(labels, AXIS_HEIGHT);
  // The SVG grows to hold every label: a label pushed below the last lane or past the right
  // edge would otherwise be clipped.
  const svgWidth = Math.ceil(Math.max(layout.width, ...labels.map((b) => b.x + b.width + 4)));
  const svgHeight = Math.ceil(Math.max(layout.height, ...labels.map((b, i) => b.y + (labelDys[i] ?? 0) + 6)));
  return (
    <div className="flow-diagram" ref={ref}>
      {layout.compressed ? (
        <p className="muted axis-caption" data-testid="axis-compressed">
          Compressed time axis: hops are too close in time to tell apart, so each instant gets its own slot (order kept,
          distances not to scale).
        </p>
      ) : null}
      <svg
        width={svgWidth}
        height={svgHeight}
        viewBox={`0 0 ${svgWidth} ${svgHeight}`}
        role="group"
        aria-label={`Saga flow: ${layout.lanes.length} services, ${hops.length} hops`}
      >
        <defs>
          <ArrowMarker id="arrowhead" fill="var(--muted)" />
        </defs>
        {layout.lanes.map((lane, i) => (
          <g key={lane.name} data-testid={`lane-${lane.name}`}>
            {i % 2 === 0 ? (
              <rect className="lane" x={0} y={lane.y - LANE_HEIGHT / 2} width={layout.width} height={LANE_HEIGHT} />
            ) : null}
            <text className="lane-label" x={10} y={lane.y + 4}>
              {lane.name.length > 20 ? `${lane.name.slice(0, 19)}…` : lane.name}
            </text>
          </g>
        ))}
        <g className="axis" aria-hidden="true">
          {layout.ticks.map((t) => (
            <g key={t.x}>
              <line x1={t.x} x2={t.x} y1={AXIS_HEIGHT - 6} y2={layout.height} />
              <text x={t.x} y={14} textAnchor="middle">
                +{formatDuration(t.label)}
              </text>
            </g>
          ))}
          <line x1={LABEL_WIDTH} x2={layout.width} y1={AXIS_HEIGHT - 6} y2={AXIS_HEIGHT - 6} />
        </g>
        {/* Every hit area below every visible hop; then hops without a consumer (a DLQ
            re-publish) first, so their dot lies under the failed step's bar it starts from. */}
        <g className="hit-areas">
          {drawOrder(layout.hops).map((i) => {
            const l = layout.hops[i]!;
            return <HopHitArea key={l.key} l={l} labelDy={labelDys[i] ?? 0} onSelect={onSelect} />;
          })}
        </g>
        {drawOrder(layout.hops).map((i) => {
          const l = layout.hops[i]!;
          return (
            <HopShape key={l.key} l={l} labelDy={labelDys[i] ?? 0} selected={selected === l.key} onSelect={onSelect} />
          );
        })}
      </svg>
    </div>
  );
}

export function FlowLegend() {
  return (
    <div className="legend" aria-label="Legend">
      <span>
        <span className="swatch" style={{ background: 'var(--queue)', height: 4 }} />
        queue time (waiting in the topic)
      </span>
      <span>
        <span className="swatch" style={{ background: 'var(--processing)' }} />
        processing time
      </span>
      <span>
        <span className="swatch" style={{ background: 'var(--bad)' }} />✕ failed / dead-lettered
      </span>
      <span>↺ dashed: compensation</span>
      <span>dotted: pending (messages ahead of it)</span>
      <span>×n: attempts</span>
    </div>
  );
}
