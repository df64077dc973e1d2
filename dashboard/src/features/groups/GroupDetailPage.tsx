import { Link, useParams } from 'react-router';
import { ApiError } from '../../api/client.ts';
import { useGroup } from '../../api/queries.ts';
import { RangePicker } from '../../components/RangePicker.tsx';
import { LagBadge } from '../../components/StatusBadge.tsx';
import { Figure } from '../../components/Tile.tsx';
import { TimeSeriesChart, type Series } from '../../components/TimeSeriesChart.tsx';
import { Empty, QueryView } from '../../components/states.tsx';
import { useClusterLink } from '../../lib/cluster-param.ts';
import { formatCount, formatInteger, formatRate, formatRelative, formatSeconds } from '../../lib/format.ts';
import { useChartRange, useRange, useUrlParam } from '../../lib/url-state.ts';
import { ClusterNote } from '../clusters/Clusters.tsx';
import { OTHERS, pivotHistory, pivotPartitions, topSeries } from './pivot.ts';
import { GoneGroup, GroupRelated } from './GroupRelated.tsx';
import { RebalanceTimeline } from './RebalanceTimeline.tsx';
import './group-detail.css';

const COLORS = ['--series-1', '--series-2', '--series-3', '--series-4', '--series-5', '--series-6'];

/** Series drawn at most (the rest folded into "others"): more cannot be told apart by colour. */
const TOP_SERIES = 5;

function seriesOf(names: string[]): Series[] {
  return names.map((s, i) => ({
    key: s,
    label: s,
    color: s === OTHERS ? 'var(--muted)' : `var(${COLORS[i % COLORS.length] ?? '--series-1'})`,
  }));
}

/** "9 topics, 27 partitions" for a long assignment; each topic's partitions in the details. */
/** Whether two assignments name the same partitions (KIP-848: current vs target). */
function sameAssignment(
  a: { topic: string; partitions: number[] }[],
  b: { topic: string; partitions: number[] }[],
): boolean {
  const key = (x: { topic: string; partitions: number[] }[]) =>
    x
      .flatMap((t) => t.partitions.map((p) => `${t.topic}\u0000${p}`))
      .sort()
      .join('\n');
  return key(a) === key(b);
}

function Assignment({ assignment }: { assignment: { topic: string; partitions: number[] }[] }) {
  if (assignment.length === 0) return <>nothing</>;
  const parts = assignment.reduce((n, a) => n + a.partitions.length, 0);
  const lines = assignment.map((a) => `${a.topic} [${a.partitions.join(', ')}]`);
  if (assignment.length === 1) return <span className="assignment">{lines[0]}</span>;
  return (
    <details className="assignment">
      <summary>
        {assignment.length} topics, {parts} partitions
      </summary>
      <ul>
        {lines.map((l) => (
          <li key={l}>{l}</li>
        ))}
      </ul>
    </details>
  );
}

const SOURCE_TEXT: Record<string, string> = {
  record: 'read from the record at the committed offset',
  interpolated: 'interpolated from the offset/time table',
  'lower-bound': 'at least: older than the offset/time table reaches',
  'caught-up': 'caught up',
  unknown: 'unknown',
};

export function GroupDetailPage() {
  const { group = '' } = useParams();
  const range = useRange();
  const chartRange = useChartRange();
  const [metric, setMetric] = useUrlParam('metric', 'lagSeconds');
  const query = useGroup(group);
  // Not in the last Kafka poll: finished or deleted (the audit links to such groups).
  const gone = query.data === undefined && query.error instanceof ApiError && query.error.status === 404;
  const m = metric === 'lag' ? 'lag' : 'lagSeconds';
  const g = query.data?.group;
  const link = useClusterLink();

  return (
    <>
      <div className="breadcrumb">
        <Link to={link('/groups')}>Consumer groups</Link> /
      </div>
      <div className="page-header">
        <h1>{group}</h1>
        {g ? <LagBadge status={g.status} /> : null}
        {g ? (
          <span className="subtle">
            {g.groupType} group · {g.state}
            {g.protocol ? ` · ${g.protocol}` : ''}
            {g.groupEpoch !== null ? ` · group epoch ${g.groupEpoch}` : ''}
          </span>
        ) : null}
        <ClusterNote cluster={query.data?.cluster} />
        <span className="spacer" />
        <RangePicker />
      </div>
      <GroupRelated group={group} />
      {gone ? (
        <GoneGroup group={group} />
      ) : (
        <QueryView query={query} what={`group ${group}`}>
          {({ group: d, snapshotTime }) => {
            const history = topSeries(pivotHistory(d.history, m, snapshotTime - range.seconds * 1000), TOP_SERIES);
            const partitions = topSeries(pivotPartitions(d.partitions), TOP_SERIES);
            return (
              <>
                {d.error ? (
                  <div className="state state-error" role="alert">
                    <strong>The collector could not read this group's offsets.</strong>
                    <div>{d.error}</div>
                  </div>
                ) : null}
                <div className="panel figures">
                  <Figure label="lag (messages)" value={formatCount(d.lag)} />
                  <Figure
                    label={`${d.lagSecondsIsLowerBound ? 'behind (at least)' : 'behind'}${
                      d.lagBudgetSeconds !== null ? `, budget ${formatSeconds(d.lagBudgetSeconds)}` : ''
                    }`}
                    value={`${d.lagSecondsIsLowerBound ? '≥ ' : ''}${formatSeconds(d.lagSeconds)}`}
                    tone={d.status === 'OK' ? 'ok' : d.status === 'WARN' ? 'warn' : 'bad'}
                  />
                  <Figure label="consume rate" value={formatRate(d.consumeRate)} />
                  <Figure
                    label="time to catch up"
                    value={
                      d.lag === 0
                        ? 'caught up'
                        : d.timeToCatchUpSeconds === null
                          ? 'not catching up'
                          : formatSeconds(d.timeToCatchUpSeconds)
                    }
                  />
                  <Figure label="members" value={String(d.memberCount)} />
                  <Figure label="rebalances seen" value={String(d.rebalanceCount)} />
                  <Figure label="snapshot" value={formatRelative(snapshotTime)} />
                </div>
                <div className="grid-2" style={{ marginTop: 14 }}>
                  <section className="panel" aria-label="Lag per topic over time">
                    <div className="page-header">
                      <h2>Lag per topic over time</h2>
                      <span className="spacer" />
                      <div className="segmented" role="group" aria-label="Lag unit">
                        <button type="button" aria-pressed={m === 'lagSeconds'} onClick={() => setMetric('lagSeconds')}>
                          seconds
                        </button>
                        <button type="button" aria-pressed={m === 'lag'} onClick={() => setMetric('lag')}>
                          messages
                        </button>
                      </div>
                    </div>
                    <TimeSeriesChart
                      {...chartRange}
                      title="Lag per topic"
                      loading={false}
                      error={null}
                      data={history.rows}
                      series={seriesOf(history.series)}
                      format={m === 'lagSeconds' ? (v) => formatSeconds(v) : (v) => formatCount(v)}
                      height={history.folded ? 300 : 240}
                      emptyText="No lag history in this range yet; it fills in with every poll."
                    />
                    {history.folded ? (
                      <p className="subtle">
                        The {TOP_SERIES} topics with the most lag; "others": the highest of {history.folded} more.
                      </p>
                    ) : null}
                  </section>
                  <section className="panel" aria-label="Lag per partition">
                    <h2>Lag per partition (last {d.statusWindow} polls)</h2>
                    <TimeSeriesChart
                      {...chartRange}
                      title="Lag per partition"
                      loading={false}
                      error={null}
                      data={partitions.rows}
                      series={seriesOf(partitions.series)}
                      format={(v) => formatCount(v)}
                      integer
                      height={partitions.folded ? 300 : 240}
                      emptyText="No partition samples yet."
                    />
                    {partitions.folded ? (
                      <p className="subtle" data-testid="partition-caption">
                        Top {TOP_SERIES} of {d.partitions.length} partitions by lag; "others": the highest of{' '}
                        {partitions.folded} more.
                      </p>
                    ) : null}
                  </section>
                </div>
                <section className="panel table-wrap" aria-label="Partitions" style={{ marginTop: 14 }}>
                  <h2>Partitions</h2>
                  {d.partitions.length === 0 ? (
                    <Empty title="The group has no committed offsets." />
                  ) : (
                    <table>
                      <thead>
                        <tr>
                          <th>Topic</th>
                          <th className="num">Partition</th>
                          <th>Status</th>
                          <th className="num">Committed</th>
                          <th className="num">End</th>
                          <th className="num">Lag (msgs)</th>
                          <th className="num">Lag (time)</th>
                          <th className="num">Rate</th>
                          <th>Owner</th>
                        </tr>
                      </thead>
                      <tbody>
                        {d.partitions.map((p) => (
                          <tr key={`${p.topic}-${p.partition}`}>
                            <td>
                              <Link
                                to={`/groups?q=${encodeURIComponent(p.topic)}`}
                                title={`Groups consuming ${p.topic}`}
                              >
                                {p.topic}
                              </Link>
                            </td>
                            <td className="num">{p.partition}</td>
                            <td>
                              <LagBadge status={p.status} />
                            </td>
                            <td className="num">{formatInteger(p.committedOffset)}</td>
                            <td className="num">{formatInteger(p.endOffset)}</td>
                            <td className="num">{formatCount(p.lag)}</td>
                            <td className="num" title={SOURCE_TEXT[p.lagSecondsSource]}>
                              {p.lagSecondsIsLowerBound ? '≥ ' : ''}
                              {formatSeconds(p.lagSeconds)}
                            </td>
                            <td className="num">{formatRate(p.consumeRate)}</td>
                            <td title={p.owner?.memberId}>
                              {p.owner ? `${p.owner.clientId} (${p.owner.host})` : 'unassigned'}
                            </td>
                          </tr>
                        ))}
                      </tbody>
                    </table>
                  )}
                </section>
                <div className="grid-2" style={{ marginTop: 14 }}>
                  <section className="panel table-wrap" aria-label="Members">
                    <h2>Members and assignment</h2>
                    {d.members.length === 0 ? (
                      <Empty title="No active members.">
                        The group is down or empty; its lag keeps growing until a consumer joins.
                      </Empty>
                    ) : (
                      <table>
                        <thead>
                          <tr>
                            <th>Client</th>
                            <th>Host</th>
                            {d.members.some((m) => m.processId !== null) ? <th>Streams process</th> : null}
                            {d.members.some((m) => m.memberEpoch !== null) ? <th className="num">Epoch</th> : null}
                            <th>Assignment</th>
                          </tr>
                        </thead>
                        <tbody>
                          {d.members.map((mem) => (
                            <tr key={mem.memberId}>
                              <td title={mem.memberId}>{mem.clientId}</td>
                              <td>{mem.host}</td>
                              {d.members.some((m) => m.processId !== null) ? <td>{mem.processId ?? '-'}</td> : null}
                              {d.members.some((m) => m.memberEpoch !== null) ? (
                                <td className="num">{mem.memberEpoch ?? '-'}</td>
                              ) : null}
                              <td>
                                <Assignment assignment={mem.assignment} />
                                {mem.targetAssignment && !sameAssignment(mem.assignment, mem.targetAssignment) ? (
                                  <div className="subtle">
                                    reconciling to <Assignment assignment={mem.targetAssignment} />
                                  </div>
                                ) : null}
                                {mem.standbyAssignment?.length ? (
                                  <div className="subtle">
                                    standby <Assignment assignment={mem.standbyAssignment} />
                                  </div>
                                ) : null}
                                {mem.warmupAssignment?.length ? (
                                  <div className="subtle">
                                    warming up <Assignment assignment={mem.warmupAssignment} />
                                  </div>
                                ) : null}
                              </td>
                            </tr>
                          ))}
                        </tbody>
                      </table>
                    )}
                  </section>
                  <section className="panel" aria-label="Rebalances">
                    <h2>Rebalances</h2>
                    <RebalanceTimeline rebalances={d.rebalances} />
                  </section>
                </div>
              </>
            );
          }}
        </QueryView>
      )}
    </>
  );
}
