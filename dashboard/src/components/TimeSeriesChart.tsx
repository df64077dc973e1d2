/**
 * Presentational time-series chart: `{loading, error, data}` in, SVG out. Knows nothing about
 * queries. Under the chart, a one-line caption states the latest values in words, so the
 * figures are readable without hovering (and testable in jsdom, where charts have no size).
 */
import { useState } from 'react';
import {
  Area,
  AreaChart,
  CartesianGrid,
  Legend,
  Line,
  LineChart,
  ReferenceArea,
  Tooltip,
  XAxis,
  YAxis,
  type MouseHandlerDataParam,
} from 'recharts';
import { formatClock } from '../lib/format.ts';
import { type TimeWindow } from '../lib/url-state.ts';
import { Empty, ErrorState, Loading } from './states.tsx';
import './time-range.css';

export interface Series {
  key: string;
  label: string;
  /** CSS colour, normally a variable: `var(--series-1)`. */
  color: string;
}

export interface TimeSeriesChartProps {
  loading: boolean;
  error: unknown;
  data: Record<string, number | null>[] | undefined;
  series: Series[];
  /** Formats y values (axis, tooltip, caption). */
  format: (v: number) => string;
  title: string;
  emptyText?: string;
  height?: number;
  kind?: 'line' | 'area';
  /** x field, epoch ms. */
  xKey?: string;
  /** Counts: no 0.5-message ticks. */
  integer?: boolean;
  /** An absolute window to show (rows outside it are left out), or null/undefined for all rows. */
  window?: TimeWindow | null;
  /** Drag across the chart to select a window; called with it (epoch ms). */
  onSelectRange?: (w: TimeWindow) => void;
}

const asNumber = (v: unknown): number | null => {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v !== '' ? Number(v) : NaN;
  return Number.isFinite(n) ? n : null;
};

export function TimeSeriesChart({
  loading,
  error,
  data,
  series,
  format,
  title,
  emptyText = 'No data in this time range yet.',
  height = 220,
  kind = 'line',
  xKey = 'time',
  integer = false,
  window: win = null,
  onSelectRange,
}: TimeSeriesChartProps) {
  // Drag to zoom: the x values under the pointer at press and now.
  const [drag, setDrag] = useState<{ from: number; to: number } | null>(null);
  if (error && !data) return <ErrorState error={error} what={title.toLowerCase()} />;
  if (loading && !data) return <Loading what={title.toLowerCase()} />;
  if (!data || data.length === 0) return <Empty title={emptyText} />;
  const rows = win
    ? data.filter((r) => {
        const x = r[xKey];
        return typeof x === 'number' && x >= win.fromMs && x <= win.toMs;
      })
    : data;
  if (rows.length === 0) return <Empty title="No data in the selected window." />;

  const last = rows[rows.length - 1] ?? {};
  // Many series: the 3 highest now, so the caption stays a line and not a paragraph.
  const CAPTION_MAX = 3;
  const valued = series.map((s) => ({ s, v: last[s.key] }));
  const shown =
    valued.length > CAPTION_MAX + 1
      ? [...valued]
          .sort((a, b) => (typeof b.v === 'number' ? b.v : -Infinity) - (typeof a.v === 'number' ? a.v : -Infinity))
          .slice(0, CAPTION_MAX)
      : valued;
  const caption =
    shown.map(({ s, v }) => `${s.label} ${typeof v === 'number' ? format(v) : '—'}`).join(', ') +
    (shown.length < valued.length ? ` (highest ${CAPTION_MAX} of ${valued.length})` : '');

  const zoom = onSelectRange
    ? {
        className: 'zoomable',
        onMouseDown: (s: MouseHandlerDataParam) => {
          const x = asNumber(s.activeLabel);
          if (x !== null) setDrag({ from: x, to: x });
        },
        onMouseMove: (s: MouseHandlerDataParam) => {
          const x = asNumber(s.activeLabel);
          if (drag && x !== null && x !== drag.to) setDrag({ ...drag, to: x });
        },
        onMouseUp: () => {
          if (drag && drag.from !== drag.to) {
            onSelectRange({ fromMs: Math.min(drag.from, drag.to), toMs: Math.max(drag.from, drag.to) });
          }
          setDrag(null);
        },
        onMouseLeave: () => setDrag(null),
      }
    : {};
  const common = {
    data: rows,
    responsive: true,
    style: { width: '100%', height },
    margin: { top: 8, right: 16, bottom: 0, left: 0 },
    ...zoom,
  };
  const axes = [
    <CartesianGrid key="grid" stroke="var(--grid)" strokeDasharray="3 3" />,
    <XAxis
      key="x"
      dataKey={xKey}
      type="number"
      scale="time"
      domain={win ? [win.fromMs, win.toMs] : ['dataMin', 'dataMax']}
      allowDataOverflow={win !== null}
      tickFormatter={(v: number) => formatClock(v)}
      stroke="var(--muted)"
      fontSize={12}
    />,
    <YAxis
      key="y"
      allowDecimals={!integer}
      tickFormatter={(v: number) => format(v)}
      stroke="var(--muted)"
      fontSize={12}
      width={64}
    />,
    <Tooltip
      key="tip"
      labelFormatter={(v) => formatClock(Number(v))}
      formatter={(v) => (typeof v === 'number' ? format(v) : String(v))}
      contentStyle={{ background: 'var(--surface)', border: '1px solid var(--border)', color: 'var(--text)' }}
    />,
    series.length > 1 ? <Legend key="legend" /> : null,
    drag && drag.from !== drag.to ? (
      <ReferenceArea
        key="zoom"
        x1={Math.min(drag.from, drag.to)}
        x2={Math.max(drag.from, drag.to)}
        className="zoom-selection"
        fill="var(--accent)"
        fillOpacity={0.15}
        stroke="var(--accent)"
        ifOverflow="hidden"
      />
    ) : null,
  ];

  return (
    <figure className="chart" aria-label={title}>
      {kind === 'area' ? (
        <AreaChart {...common}>
          {axes}
          {series.map((s) => (
            <Area
              key={s.key}
              dataKey={s.key}
              name={s.label}
              stroke={s.color}
              fill={s.color}
              fillOpacity={0.2}
              isAnimationActive={false}
              type="linear"
              connectNulls
            />
          ))}
        </AreaChart>
      ) : (
        <LineChart {...common}>
          {axes}
          {series.map((s) => (
            <Line
              key={s.key}
              dataKey={s.key}
              name={s.label}
              stroke={s.color}
              dot={false}
              isAnimationActive={false}
              type="linear"
              connectNulls
            />
          ))}
        </LineChart>
      )}
      <figcaption className="chart-caption">
        Latest: {caption}
        {onSelectRange ? <span className="chart-zoom-hint"> · drag across the chart to zoom</span> : null}
      </figcaption>
    </figure>
  );
}
