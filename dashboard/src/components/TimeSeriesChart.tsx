/**
 * Presentational time-series chart: `{loading, error, data}` in, SVG out. Knows nothing about
 * queries. Under the chart, a one-line caption states the latest values in words, so the
 * figures are readable without hovering (and testable in jsdom, where charts have no size).
 */
import { CartesianGrid, Legend, Line, LineChart, Tooltip, XAxis, YAxis, Area, AreaChart } from 'recharts';
import { formatClock } from '../lib/format.ts';
import { Empty, ErrorState, Loading } from './states.tsx';

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
}

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
}: TimeSeriesChartProps) {
  if (error && !data) return <ErrorState error={error} what={title.toLowerCase()} />;
  if (loading && !data) return <Loading what={title.toLowerCase()} />;
  if (!data || data.length === 0) return <Empty title={emptyText} />;

  const last = data[data.length - 1] ?? {};
  const caption = series
    .map((s) => {
      const v = last[s.key];
      return `${s.label} ${typeof v === 'number' ? format(v) : '—'}`;
    })
    .join(', ');

  const common = {
    data,
    responsive: true,
    style: { width: '100%', height },
    margin: { top: 8, right: 16, bottom: 0, left: 0 },
  };
  const axes = [
    <CartesianGrid key="grid" stroke="var(--grid)" strokeDasharray="3 3" />,
    <XAxis
      key="x"
      dataKey={xKey}
      type="number"
      scale="time"
      domain={['dataMin', 'dataMax']}
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
              type="monotone"
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
              type="monotone"
              connectNulls
            />
          ))}
        </LineChart>
      )}
      <figcaption className="chart-caption">Latest: {caption}</figcaption>
    </figure>
  );
}
