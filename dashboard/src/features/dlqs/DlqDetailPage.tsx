import { useState } from 'react';
import { Link, useParams } from 'react-router';
import { useDlq, useDlqCauses, useDlqHistory, useDlqUnmasked, useMarkDlq, useRedrives } from '../../api/queries.ts';
import { GroupLinks } from '../../components/NameLinks.tsx';
import { RangePicker } from '../../components/RangePicker.tsx';
import { Figure } from '../../components/Tile.tsx';
import { TimeSeriesChart } from '../../components/TimeSeriesChart.tsx';
import { Empty, ErrorState, QueryView } from '../../components/states.tsx';
import { formatCount, formatGrowth, formatInteger, formatRelative } from '../../lib/format.ts';
import { useChartRange, useRange, useUrlParam } from '../../lib/url-state.ts';
import { useCanWrite } from '../auth/session.ts';
import { ClusterNote } from '../clusters/Clusters.tsx';
import { RedrivesTable } from '../redrives/RedrivesTable.tsx';
import { CausesTable } from './CausesTable.tsx';
import { DlqRecordView } from './DlqRecordView.tsx';
import { type PickedRecord, RedriveDialog, type RedrivePreset } from './RedriveDialog.tsx';
import { ReasonBars } from './ReasonBars.tsx';

export function DlqDetailPage() {
  const { topic = '' } = useParams();
  const live = useDlq(topic);
  const { canWrite, why } = useCanWrite();
  // Operators may see masked fields and headers in clear: read once, audited by the collector.
  const [unmask, setUnmask] = useState(false);
  const unmasked = useDlqUnmasked(topic, canWrite && unmask);
  const query = canWrite && unmask ? unmasked : live;
  const mark = useMarkDlq(topic);
  const [reason, setReason] = useUrlParam('reason');
  const history = useDlqHistory(topic);
  const causes = useDlqCauses(topic);
  const redrives = useRedrives();
  // The open redrive dialog and what it starts from; records picked in the list, by "partition@offset".
  const [redrive, setRedrive] = useState<RedrivePreset | null>(null);
  const [picked, setPicked] = useState<ReadonlyMap<string, PickedRecord>>(new Map());
  const togglePick = (p: PickedRecord) =>
    setPicked((prev) => {
      const next = new Map(prev);
      const k = `${p.partition}@${p.offset}`;
      if (!next.delete(k)) next.set(k, p);
      return next;
    });
  const ours = redrives.data?.redrives.filter((r) => r.dlqTopic === topic) ?? [];
  const range = useRange();
  const chartRange = useChartRange();
  // A new array per answer (recharts keeps, and freezes, what it is given).
  // Presets show the samples of that last stretch; a custom window or a drag, those of the window.
  const since = Date.now() - range.seconds * 1000;
  const dlqCluster = query.data?.cluster;
  const samples = history.data?.samples
    .filter((s) => chartRange.window !== null || s.time >= since)
    .map((s) => ({ time: s.time, depth: s.depth, added: s.added }));

  return (
    <>
      <div className="breadcrumb">
        <Link to="/dlqs">Dead-letter queues</Link> /
      </div>
      <div className="page-header">
        <h1>{topic}</h1>
        <ClusterNote cluster={dlqCluster} />
        <span className="spacer" />
        <RangePicker />
        <button type="button" onClick={() => mark.mutate()} disabled={mark.isPending || !canWrite} title={why}>
          Set mark now
        </button>
        {/* Unmask and redrive are for operators only: a viewer does not get the buttons at all. */}
        {canWrite ? (
          <button
            type="button"
            aria-pressed={unmask}
            onClick={() => setUnmask(!unmask)}
            title="Shows masked payload fields and headers in clear; the collector writes each use to the audit log."
          >
            Show masked values
          </button>
        ) : null}
        {canWrite ? (
          <button type="button" className="primary" onClick={() => setRedrive({ picked: [...picked.values()] })}>
            Redrive…
          </button>
        ) : null}
      </div>
      {mark.isError ? <ErrorState error={mark.error} what="the mark" /> : null}
      {canWrite && unmask && unmasked.data ? (
        <p className="subtle" role="status">
          Masked values in clear, as read {formatRelative(unmasked.dataUpdatedAt)} (written to the audit log); this view
          does not update live.
        </p>
      ) : null}
      <QueryView query={query} what={`DLQ ${topic}`}>
        {({ cluster, dlq }) => {
          const records = dlq.latest.filter((r) => !reason || r.errorClass === reason);
          // Keyed by data (an error class may be named `constructor`): no inherited keys.
          const examples: Record<string, string> = Object.create(null) as Record<string, string>;
          for (const r of dlq.latest)
            if (r.errorClass && r.errorMessage && !Object.hasOwn(examples, r.errorClass))
              examples[r.errorClass] = r.errorMessage;
          return (
            <>
              <div className="panel figures">
                <Figure label="records in the DLQ" value={formatCount(dlq.depth)} tone={dlq.depth ? 'bad' : 'ok'} />
                <Figure label="added last poll" value={formatCount(dlq.addedLastInterval)} />
                <Figure label="growth" value={formatGrowth(dlq.growthPerSecond)} />
                <Figure label="added since the collector started" value={formatCount(dlq.addedTotal)} />
                <Figure
                  label={dlq.mark === null ? 'since mark (no mark set)' : `since mark (${formatRelative(dlq.mark.at)})`}
                  value={dlq.addedSinceMark === null ? '—' : formatCount(dlq.addedSinceMark)}
                />
                <Figure
                  label="last growth"
                  value={dlq.lastGrowthAt === null ? 'not seen' : formatRelative(dlq.lastGrowthAt)}
                />
              </div>
              <div className="grid-2" style={{ marginTop: 14 }}>
                <section className="panel" aria-label="Depth over time">
                  <h2>Depth and records added per poll</h2>
                  <TimeSeriesChart
                    {...chartRange}
                    title="DLQ depth"
                    loading={history.isPending}
                    error={history.error}
                    data={samples}
                    series={[
                      { key: 'depth', label: 'depth', color: 'var(--series-3)' },
                      { key: 'added', label: 'added per poll', color: 'var(--series-2)' },
                    ]}
                    format={(v) => formatCount(v)}
                    integer
                    emptyText="Waiting for the next poll."
                  />
                  {history.data ? (
                    <p className="subtle">
                      One sample per poll; the collector keeps the last {formatInteger(history.data.capacity)} polls.
                    </p>
                  ) : null}
                </section>
                <section className="panel" aria-label="Reasons">
                  <h2>Why the latest {formatCount(dlq.latest.length)} records failed</h2>
                  <ReasonBars errorClasses={dlq.errorClasses} examples={examples} />
                  {dlq.groups.length ? (
                    <p className="subtle">
                      Dead-lettered by <GroupLinks groups={dlq.groups} cluster={cluster} />
                    </p>
                  ) : null}
                </section>
              </div>
              {redrive ? (
                <RedriveDialog
                  topic={topic}
                  errorClasses={Object.keys(dlq.errorClasses)}
                  groups={dlq.groups}
                  preset={redrive}
                  onClose={() => setRedrive(null)}
                />
              ) : null}
              <section className="panel table-wrap" aria-label="Causes" style={{ marginTop: 14 }}>
                <h2>Causes</h2>
                <QueryView query={causes} what="causes">
                  {(c) => (
                    <CausesTable
                      cluster={c.cluster}
                      causes={c.causes}
                      untracked={c.untracked}
                      showDlqs={false}
                      onRedrive={canWrite ? (cause) => setRedrive({ errorClass: cause.errorClass }) : undefined}
                    />
                  )}
                </QueryView>
              </section>
              {ours.length ? (
                <section className="panel" aria-label="Redrives of this DLQ" style={{ marginTop: 14 }}>
                  <h2>Redrives</h2>
                  <RedrivesTable redrives={ours} showDlq={false} />
                </section>
              ) : null}
              <section className="panel" aria-label="Latest records" style={{ marginTop: 14 }}>
                <div className="page-header">
                  <h2>Latest records</h2>
                  <span className="spacer" />
                  <select aria-label="Error class" value={reason} onChange={(e) => setReason(e.target.value)}>
                    <option value="">every reason</option>
                    {Object.keys(dlq.errorClasses).map((cls) => (
                      <option key={cls} value={cls}>
                        {cls}
                      </option>
                    ))}
                  </select>
                </div>
                {records.length === 0 ? (
                  <Empty title="No records to show.">
                    {dlq.depth === 0 ? 'The DLQ is empty.' : 'No record of the latest has this reason.'}
                  </Empty>
                ) : (
                  records.map((r, i) => (
                    <DlqRecordView
                      key={`${r.partition}-${r.offset}`}
                      record={r}
                      cluster={cluster}
                      open={i === 0}
                      picked={canWrite ? picked.has(`${r.partition}@${r.offset}`) : undefined}
                      onPick={
                        canWrite ? () => togglePick({ partition: r.partition, offset: String(r.offset) }) : undefined
                      }
                    />
                  ))
                )}
              </section>
            </>
          );
        }}
      </QueryView>
    </>
  );
}
