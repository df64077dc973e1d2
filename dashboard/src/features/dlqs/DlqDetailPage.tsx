import { Link, useParams } from 'react-router';
import { useDlq, useMarkDlq } from '../../api/queries.ts';
import { RangePicker } from '../../components/RangePicker.tsx';
import { Figure } from '../../components/Tile.tsx';
import { TimeSeriesChart } from '../../components/TimeSeriesChart.tsx';
import { Empty, ErrorState, QueryView } from '../../components/states.tsx';
import { formatCount, formatRate, formatRelative } from '../../lib/format.ts';
import { useRange, useUrlParam } from '../../lib/url-state.ts';
import { DlqRecordView } from './DlqRecordView.tsx';
import { ReasonBars } from './ReasonBars.tsx';

export function DlqDetailPage() {
  const { topic = '' } = useParams();
  const range = useRange();
  const query = useDlq(topic, range.seconds);
  const mark = useMarkDlq(topic);
  const [reason, setReason] = useUrlParam('reason');

  return (
    <>
      <div className="breadcrumb">
        <Link to="/dlqs">Dead-letter queues</Link> /
      </div>
      <div className="page-header">
        <h1>{topic}</h1>
        <span className="spacer" />
        <button type="button" onClick={() => mark.mutate()} disabled={mark.isPending}>
          Set mark now
        </button>
        <RangePicker />
      </div>
      {mark.isError ? <ErrorState error={mark.error} what="the mark" /> : null}
      <QueryView query={query} what={`DLQ ${topic}`}>
        {(d) => {
          const records = d.records.filter((r) => !reason || r.errorClass === reason);
          return (
            <>
              <div className="panel figures">
                <Figure
                  label="records in the DLQ"
                  value={formatCount(d.summary.depth)}
                  tone={d.summary.depth ? 'bad' : 'ok'}
                />
                <Figure label="added last poll" value={formatCount(d.summary.addedLastInterval)} />
                <Figure label="growth" value={formatRate(d.summary.growthPerMinute, '/min')} />
                <Figure
                  label={
                    d.summary.markTime === null
                      ? 'since mark (no mark set)'
                      : `since mark (${formatRelative(d.summary.markTime)})`
                  }
                  value={d.summary.addedSinceMark === null ? '—' : formatCount(d.summary.addedSinceMark)}
                />
              </div>
              <div className="grid-2" style={{ marginTop: 14 }}>
                <section className="panel" aria-label="Depth over time">
                  <h2>Depth and growth</h2>
                  <TimeSeriesChart
                    title="DLQ depth"
                    loading={query.isFetching}
                    error={query.error}
                    data={d.history as unknown as Record<string, number | null>[]}
                    series={[
                      { key: 'depth', label: 'depth', color: 'var(--series-3)' },
                      { key: 'added', label: 'added per poll', color: 'var(--series-2)' },
                    ]}
                    format={(v) => formatCount(v)}
                    emptyText="No depth history in this range yet."
                  />
                </section>
                <section className="panel" aria-label="Reasons">
                  <h2>Why records failed</h2>
                  <ReasonBars reasons={d.summary.reasons} />
                  {d.summary.originalTopics.length ? (
                    <p className="subtle">From {d.summary.originalTopics.join(', ')}</p>
                  ) : null}
                </section>
              </div>
              <section className="panel" aria-label="Latest records" style={{ marginTop: 14 }}>
                <div className="page-header">
                  <h2>Latest records</h2>
                  <span className="spacer" />
                  <select aria-label="Error class" value={reason} onChange={(e) => setReason(e.target.value)}>
                    <option value="">every reason</option>
                    {d.summary.reasons.map((r) => (
                      <option key={r.errorClass} value={r.errorClass}>
                        {r.errorClass}
                      </option>
                    ))}
                  </select>
                </div>
                {records.length === 0 ? (
                  <Empty title="No records to show.">
                    {d.summary.depth === 0
                      ? 'The DLQ is empty.'
                      : 'Records may have aged out or no record has this reason.'}
                  </Empty>
                ) : (
                  records.map((r, i) => <DlqRecordView key={`${r.partition}-${r.offset}`} record={r} open={i === 0} />)
                )}
              </section>
            </>
          );
        }}
      </QueryView>
    </>
  );
}
