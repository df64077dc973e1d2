import { Link, useParams } from 'react-router';
import { useTrace } from '../../api/queries.ts';
import { type TraceView } from '../../api/types.ts';
import { OutcomeBadge } from '../../components/StatusBadge.tsx';
import { DataTable } from '../../components/DataTable.tsx';
import { QueryView } from '../../components/states.tsx';
import { formatClockMs, formatDuration, shortId } from '../../lib/format.ts';
import './trace.css';
import { CopyButton } from '../../components/CopyButton.tsx';
import { EventIdLink } from '../../components/NameLinks.tsx';

const enc = encodeURIComponent;

type Outcome = TraceView['deliveries'][number]['outcome'];

export interface WaterfallRow {
  key: string;
  kind: 'publish' | 'delivery';
  what: string;
  service: string;
  traceId: string;
  eventId: string | null;
  outcome: Outcome | null;
  startMs: number;
  endMs: number;
  /** Deliveries: when the record was published (start of the queue segment). */
  queuedFromMs: number | null;
  /** Steps along the event flow: a publish, its deliveries one deeper, what they publish one deeper again. */
  depth: number;
}

/**
 * Spans of a trace (joined with its linked traces by the collector) as waterfall rows in the
 * order of the event flow: each publish, then the deliveries of that record, then what those
 * consumers published (by causation id), and so on; rows at the same depth in time order.
 */
export function waterfallRows(d: TraceView): WaterfallRow[] {
  const pubDepth = new Map<string, number>();
  const byEvent = new Map<string, TraceView['publishes'][number]>();
  for (const p of d.publishes) if (p.eventId) byEvent.set(p.eventId, p);
  const depthOf = (eventId: string | null, seen = new Set<string>()): number => {
    if (!eventId) return 0;
    const cached = pubDepth.get(eventId);
    if (cached !== undefined) return cached;
    const p = byEvent.get(eventId);
    if (!p?.causationId || seen.has(eventId) || !byEvent.has(p.causationId)) return 0;
    seen.add(eventId);
    const depth = depthOf(p.causationId, seen) + 2;
    pubDepth.set(eventId, depth);
    return depth;
  };
  const rows: WaterfallRow[] = [
    ...d.publishes.map((p): WaterfallRow => ({
      key: p.spanId,
      kind: 'publish',
      what: `send ${p.topic}`,
      service: p.service,
      traceId: p.traceId,
      eventId: p.eventId,
      outcome: null,
      startMs: p.timeMs,
      endMs: p.endMs,
      queuedFromMs: null,
      depth: depthOf(p.eventId),
    })),
    ...d.deliveries.map((x): WaterfallRow => ({
      key: x.spanId,
      kind: 'delivery',
      what: `process ${x.topic} (${x.group}, attempt ${x.attempt})`,
      service: x.service,
      traceId: x.traceId,
      eventId: x.eventId,
      outcome: x.outcome,
      startMs: x.startMs,
      endMs: x.endMs,
      queuedFromMs: x.queueTimeMs === null ? null : x.startMs - x.queueTimeMs,
      depth: depthOf(x.eventId) + 1,
    })),
  ];
  return rows.sort((a, b) => a.startMs - b.startMs || a.depth - b.depth);
}

function Bar({ row, t0, span }: { row: WaterfallRow; t0: number; span: number }) {
  const pct = (ms: number) => `${Math.max(0, Math.min(100, ((ms - t0) / span) * 100))}%`;
  const width = (from: number, to: number) => `max(2px, ${Math.max(0, ((to - from) / span) * 100)}%)`;
  return (
    <div className="wf-track">
      {row.queuedFromMs !== null ? (
        <span
          className="wf-queue"
          style={{ left: pct(row.queuedFromMs), width: width(row.queuedFromMs, row.startMs) }}
          title={`queued ${formatDuration(row.startMs - row.queuedFromMs)}`}
        />
      ) : null}
      <span
        className={`wf-bar wf-${row.kind}${row.outcome && row.outcome !== 'processed' ? ' wf-failed' : ''}`}
        style={{ left: pct(row.startMs), width: width(row.startMs, row.endMs) }}
        title={`${row.what}: ${formatDuration(row.endMs - row.startMs)}`}
      />
    </div>
  );
}

/** The sagas the trace belongs to and the linked traces joined with it. */
function BelongsTo({ d, rows }: { d: TraceView; rows: WaterfallRow[] }) {
  const linked = [...new Set(rows.map((r) => r.traceId))].filter((t) => t !== d.traceId);
  return (
    <section className="panel">
      <h2>Belongs to</h2>
      {d.correlationIds.length === 0 ? (
        <p className="subtle">No saga: the spans carry no correlation id.</p>
      ) : (
        <ul>
          {d.correlationIds.map((c) => (
            <li key={c}>
              saga <Link to={`/sagas/${enc(c)}`}>{c}</Link>
            </li>
          ))}
        </ul>
      )}
      {linked.length ? (
        <p data-testid="linked-traces">
          Joined with {linked.length} linked {linked.length === 1 ? 'trace' : 'traces'} (consumers that link to the
          producer span instead of continuing its trace):{' '}
          {linked.map((t, i) => (
            <span key={t}>
              {i ? ', ' : ''}
              <Link to={`/traces/${t}`} className="mono" title={t}>
                {shortId(t)}
              </Link>
              <CopyButton text={t} label={`trace id ${t}`} />
            </span>
          ))}
        </p>
      ) : null}
    </section>
  );
}

/** The spans on one time axis from the first queued record to the last span's end. */
function Waterfall({ d, rows }: { d: TraceView; rows: WaterfallRow[] }) {
  const own = d.traceId;
  const t0 = Math.min(...rows.map((r) => r.queuedFromMs ?? r.startMs));
  const t1 = Math.max(...rows.map((r) => r.endMs));
  const span = Math.max(t1 - t0, 0.001);
  return (
    <section className="panel table-wrap" aria-label="Waterfall">
      <h2>
        Waterfall <span className="subtle">{formatDuration(t1 - t0)}, queue time shaded</span>
      </h2>
      <DataTable
        rows={rows}
        columns={[
          'Start',
          'Span',
          'Service',
          'Trace',
          'Outcome',
          { label: 'Duration', className: 'num' },
          'Event',
          { label: 'Timeline', className: 'wf-col' },
        ]}
        empty="No spans stored for this trace."
        label="Spans"
        className="waterfall"
      >
        {(r) => (
          <tr key={r.key} data-trace={r.traceId === own ? 'own' : 'linked'}>
            <td title={formatClockMs(r.startMs)}>+{formatDuration(r.startMs - t0)}</td>
            <td>
              <span className={`wf-indent wf-depth-${Math.min(r.depth, 8)}`}>
                {r.kind === 'delivery' ? '↳ ' : ''}
                {r.what}
              </span>
            </td>
            <td>{r.service}</td>
            <td className="mono">
              {r.traceId === own ? (
                'this'
              ) : (
                <Link to={`/traces/${r.traceId}`} title={`linked trace ${r.traceId}`}>
                  {r.traceId.slice(0, 8)}
                </Link>
              )}
            </td>
            <td>{r.outcome ? <OutcomeBadge outcome={r.outcome} /> : 'published'}</td>
            <td className="num">{formatDuration(r.endMs - r.startMs)}</td>
            <td className="mono">
              <EventIdLink eventId={r.eventId} />
            </td>
            <td className="wf-col">
              <Bar row={r} t0={t0} span={span} />
            </td>
          </tr>
        )}
      </DataTable>
    </section>
  );
}

/** One trace and the traces linked to it (eachBatch consumers), as one waterfall with the event flow. */
export function TracePage() {
  const { traceId = '' } = useParams();
  const query = useTrace(traceId);
  return (
    <>
      <div className="page-header">
        <h1>
          Trace <span className="mono">{traceId}</span>
        </h1>
        <CopyButton text={traceId} label="trace id" />
      </div>
      <QueryView query={query} what={`trace ${traceId}`}>
        {(d) => {
          const rows = waterfallRows(d);
          return (
            <>
              <BelongsTo d={d} rows={rows} />
              <Waterfall d={d} rows={rows} />
            </>
          );
        }}
      </QueryView>
    </>
  );
}
