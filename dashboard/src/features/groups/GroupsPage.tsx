import { Link, useNavigate } from 'react-router';
import type { GroupSummary } from '../../api/types.ts';
import { useGroups } from '../../api/queries.ts';
import { Breakable } from '../../components/Breakable.tsx';
import { LagBadge } from '../../components/StatusBadge.tsx';
import { Empty, QueryView } from '../../components/states.tsx';
import { useClusterLink } from '../../lib/cluster-param.ts';
import { formatCount, formatRate, formatRelative, formatSeconds } from '../../lib/format.ts';
import { ClusterNote } from '../clusters/Clusters.tsx';
import { useSort, useUrlParam } from '../../lib/url-state.ts';
import { GROUP_SORT_KEYS, STATUS_OPTIONS, filterGroups, sortGroups, type GroupSortKey } from './sort-groups.ts';

const COLUMNS: { key: GroupSortKey; label: string; num?: boolean }[] = [
  { key: 'group', label: 'Group' },
  { key: 'status', label: 'Status' },
  { key: 'lag', label: 'Lag (msgs)', num: true },
  { key: 'lagSeconds', label: 'Lag (time)', num: true },
  { key: 'memberCount', label: 'Members', num: true },
  { key: 'consumeRate', label: 'Rate', num: true },
  { key: 'timeToCatchUpSeconds', label: 'Catch up in', num: true },
  { key: 'retentionRisk', label: 'Retention' },
  { key: 'lastRebalance', label: 'Last rebalance' },
];

/** What each Kafka group type is, for the badge's tooltip. */
const GROUP_TYPE_TITLES: Readonly<Record<GroupSummary['groupType'], string>> = {
  classic: 'Classic consumer group (JoinGroup/SyncGroup rebalance protocol)',
  consumer: 'Consumer-protocol group (KIP-848: the broker assigns partitions)',
  share: 'Share group (KIP-932: lag counts from the share-partition start offset)',
  streams: 'Kafka Streams group (KIP-1071)',
};

/** Data-loss risk from retention: records deleted before the group read them, or about to be. */
function RetentionCell({ g }: { g: GroupSummary }) {
  if (g.retentionRisk === 'lost')
    return (
      <span
        className="badge badge-err"
        title="Committed below the log start: retention deleted records the group never read"
      >
        {formatCount(g.recordsLostToRetention)} lost
      </span>
    );
  if (g.retentionRisk === 'at-risk')
    return (
      <span
        className="badge badge-warn"
        title="A lagging partition committed within the oldest tenth of its retained log: retention deletes it next"
      >
        at risk
      </span>
    );
  return <span className="subtle">ok</span>;
}

function GroupTypeBadge({ type }: { type: GroupSummary['groupType'] }) {
  return (
    <span className="badge badge-info group-type" title={GROUP_TYPE_TITLES[type]}>
      {type}
    </span>
  );
}

/** Topics shown by name under a group before "+N more" (all of them in the tooltip and on the group page). */
const TOPICS_SHOWN = 3;

/**
 * The group's state and its first topics, each a link to the groups consuming it. A long topic
 * list stays on its own lines in a bounded column: it never pushes the rate, catch-up and
 * rebalance columns out of sight.
 */
function TopicsLine({ state, topics }: { state: string; topics: string[] }) {
  const link = useClusterLink();
  const shown = topics.slice(0, TOPICS_SHOWN);
  const more = topics.length - shown.length;
  return (
    <div className="subtle topics-line" title={topics.join(', ')}>
      {state} ·{' '}
      {shown.length === 0
        ? 'no topics'
        : shown.map((t, i) => (
            <span key={t}>
              {i > 0 ? ', ' : ''}
              <Link to={link(`/groups?q=${encodeURIComponent(t)}`)} title={`Groups consuming ${t}`}>
                <Breakable text={t} />
              </Link>
            </span>
          ))}
      {more > 0 ? ` +${more} more` : ''}
    </div>
  );
}

export function GroupsPage() {
  const query = useGroups();
  const navigate = useNavigate();
  const link = useClusterLink();
  const [text, setText] = useUrlParam('q');
  const [status, setStatus] = useUrlParam('status');
  const sort = useSort(GROUP_SORT_KEYS, 'status', 'desc');

  return (
    <>
      <div className="page-header">
        <h1>Consumer groups</h1>
        <ClusterNote cluster={query.data?.cluster} />
        {query.data?.snapshotTime ? (
          <span className="subtle">snapshot {formatRelative(query.data.snapshotTime)}</span>
        ) : null}
      </div>
      <div className="filters">
        <input
          type="search"
          aria-label="Filter groups by name or topic"
          placeholder="Filter by group or topic"
          value={text}
          onChange={(e) => setText(e.target.value)}
        />
        <select aria-label="Status" value={status} onChange={(e) => setStatus(e.target.value)}>
          <option value="">any status</option>
          {STATUS_OPTIONS.map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </select>
      </div>
      <QueryView query={query} what="consumer groups">
        {(data) => {
          if (data.groups.length === 0)
            return (
              <Empty title="No consumer groups yet.">
                {data.snapshotTime === null
                  ? 'The collector has not finished its first Kafka poll; this page updates when it does.'
                  : 'Kafka reports no groups. Start a consumer (e.g. the demo: `npm start`).'}
              </Empty>
            );
          const rows = sortGroups(filterGroups(data.groups, text, status), sort.key, sort.dir);
          return (
            <div className="panel table-wrap">
              {data.missingGroupTypes.length > 0 ? (
                <p className="subtle" role="note" aria-label="Group types this broker lacks">
                  Not on this broker: {data.missingGroupTypes.join('; ')}.
                </p>
              ) : null}
              <table aria-label="Consumer groups">
                <thead>
                  <tr>
                    {COLUMNS.map((c) => (
                      <th
                        key={c.key}
                        className={c.num ? 'num' : undefined}
                        aria-sort={sort.key === c.key ? (sort.dir === 'asc' ? 'ascending' : 'descending') : 'none'}
                      >
                        <button type="button" className="sort" onClick={() => sort.toggle(c.key)}>
                          {c.label}
                          {sort.key === c.key ? (sort.dir === 'asc' ? ' ▲' : ' ▼') : ''}
                        </button>
                      </th>
                    ))}
                  </tr>
                </thead>
                <tbody>
                  {rows.map((g) => {
                    const to = link(`/groups/${encodeURIComponent(g.group)}`);
                    return (
                      <tr key={g.group} className="clickable" onDoubleClick={() => void navigate(to)}>
                        <td className="group-cell">
                          <Link to={to}>{g.group}</Link> <GroupTypeBadge type={g.groupType} />
                          <TopicsLine state={g.state} topics={g.topics.map((t) => t.topic)} />
                        </td>
                        <td>
                          <LagBadge status={g.status} />
                        </td>
                        <td className="num">{formatCount(g.lag)}</td>
                        <td className="num" title={g.lagSecondsIsLowerBound ? 'at least (lower bound)' : undefined}>
                          {g.lagSecondsIsLowerBound ? '≥ ' : ''}
                          {formatSeconds(g.lagSeconds)}
                        </td>
                        <td className="num">{g.memberCount}</td>
                        <td className="num">{formatRate(g.consumeRate)}</td>
                        <td className="num">
                          {g.lag === 0
                            ? 'caught up'
                            : g.timeToCatchUpSeconds === null
                              ? 'not catching up'
                              : formatSeconds(g.timeToCatchUpSeconds)}
                        </td>
                        <td>
                          <RetentionCell g={g} />
                        </td>
                        <td>{g.lastRebalance === null ? 'none seen' : formatRelative(g.lastRebalance.startedAt)}</td>
                      </tr>
                    );
                  })}
                </tbody>
              </table>
              {rows.length === 0 ? <Empty title="No group matches these filters." /> : null}
            </div>
          );
        }}
      </QueryView>
    </>
  );
}
