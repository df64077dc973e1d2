import { Link, useParams } from 'react-router';
import { useGroup } from '../../api/queries.ts';
import { type GroupDetail } from '../../api/types.ts';
import { RangePicker } from '../../components/RangePicker.tsx';
import { LagBadge } from '../../components/StatusBadge.tsx';
import { Figure } from '../../components/Tile.tsx';
import { TimeSeriesChart } from '../../components/TimeSeriesChart.tsx';
import { Empty, QueryView } from '../../components/states.tsx';
import { formatCount, formatInteger, formatRate, formatRelative, formatSeconds } from '../../lib/format.ts';
import { useRange, useUrlParam } from '../../lib/url-state.ts';
import { pivotLag } from './pivot.ts';
import { RebalanceTimeline } from './RebalanceTimeline.tsx';

const COLORS = ['--series-1', '--series-2', '--series-3', '--series-4', '--series-5', '--series-6'];

function PartitionLagChart({
  detail,
  loading,
  error,
  metric,
}: {
  detail: GroupDetail | undefined;
  loading: boolean;
  error: unknown;
  metric: 'lagMessages' | 'lagSeconds';
}) {
  const pivot = detail ? pivotLag(detail.history, metric) : undefined;
  return (
    <TimeSeriesChart
      title="Per-partition lag"
      loading={loading}
      error={error}
      data={pivot?.rows}
      series={(pivot?.series ?? []).map((s, i) => ({
        key: s,
        label: s,
        color: `var(${COLORS[i % COLORS.length] ?? '--series-1'})`,
      }))}
      format={metric === 'lagSeconds' ? (v) => formatSeconds(v) : (v) => formatCount(v)}
      height={260}
      emptyText="No lag history in this range yet; it fills in with every poll."
    />
  );
}

export function GroupDetailPage() {
  const { group = '' } = useParams();
  const range = useRange();
  const [metric, setMetric] = useUrlParam('metric', 'lagSeconds');
  const query = useGroup(group, range.seconds);
  const m = metric === 'lagMessages' ? 'lagMessages' : 'lagSeconds';

  return (
    <>
      <div className="breadcrumb">
        <Link to="/groups">Consumer groups</Link> /
      </div>
      <div className="page-header">
        <h1>{group}</h1>
        {query.data ? <LagBadge status={query.data.summary.status} /> : null}
        {query.data ? <span className="subtle">{query.data.summary.state}</span> : null}
        <span className="spacer" />
        <RangePicker />
      </div>
      <QueryView query={query} what={`group ${group}`}>
        {(d) => (
          <>
            <div className="panel figures">
              <Figure label="lag (messages)" value={formatCount(d.summary.lagMessages)} />
              <Figure
                label={d.summary.lagSecondsLowerBound ? 'behind (at least)' : 'behind'}
                value={formatSeconds(d.summary.lagSeconds)}
                tone={d.summary.status === 'OK' ? 'ok' : d.summary.status === 'WARN' ? 'warn' : 'bad'}
              />
              <Figure label="consume rate" value={formatRate(d.summary.consumeRate)} />
              <Figure
                label="time to catch up"
                value={d.summary.lagMessages === 0 ? 'caught up' : formatSeconds(d.summary.timeToCatchUpSeconds)}
              />
              <Figure label="members" value={String(d.summary.members)} />
              <Figure
                label="last rebalance"
                value={d.summary.lastRebalanceAt === null ? 'none' : formatRelative(d.summary.lastRebalanceAt)}
              />
            </div>
            <section className="panel" aria-label="Per-partition lag over time">
              <div className="page-header">
                <h2>Lag per partition over time</h2>
                <span className="spacer" />
                <div className="segmented" role="group" aria-label="Lag unit">
                  <button type="button" aria-pressed={m === 'lagSeconds'} onClick={() => setMetric('lagSeconds')}>
                    seconds
                  </button>
                  <button type="button" aria-pressed={m === 'lagMessages'} onClick={() => setMetric('lagMessages')}>
                    messages
                  </button>
                </div>
              </div>
              <PartitionLagChart detail={d} loading={query.isFetching} error={query.error} metric={m} />
            </section>
            <section className="panel table-wrap" aria-label="Partitions">
              <h2>Partitions</h2>
              {d.partitions.length === 0 ? (
                <Empty title="The group has no committed offsets or assignment." />
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
                      <th>Member</th>
                    </tr>
                  </thead>
                  <tbody>
                    {d.partitions.map((p) => (
                      <tr key={`${p.topic}-${p.partition}`}>
                        <td>{p.topic}</td>
                        <td className="num">{p.partition}</td>
                        <td>
                          <LagBadge status={p.status} />
                        </td>
                        <td className="num">
                          {p.committedOffset === null ? 'none' : formatInteger(p.committedOffset)}
                        </td>
                        <td className="num">{formatInteger(p.endOffset)}</td>
                        <td className="num">{formatCount(p.lagMessages)}</td>
                        <td className="num">
                          {p.lagSecondsLowerBound ? '≥ ' : ''}
                          {formatSeconds(p.lagSeconds)}
                        </td>
                        <td className="mono">{p.memberId ?? 'unassigned'}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              )}
            </section>
            <div className="grid-2" style={{ marginTop: 14 }}>
              <section className="panel" aria-label="Members">
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
                        <th>Assignment</th>
                      </tr>
                    </thead>
                    <tbody>
                      {d.members.map((mem) => (
                        <tr key={mem.memberId}>
                          <td title={mem.memberId}>{mem.clientId}</td>
                          <td>{mem.host}</td>
                          <td>
                            {mem.assignment.map((a) => `${a.topic} [${a.partitions.join(', ')}]`).join('; ') ||
                              'nothing'}
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
        )}
      </QueryView>
    </>
  );
}
