import { Link } from 'react-router';
import { GroupLinks } from '../../components/NameLinks.tsx';
import { useDlqCauses, useDlqs } from '../../api/queries.ts';
import { Empty, QueryView } from '../../components/states.tsx';
import { withCluster } from '../../lib/cluster-param.ts';
import { formatCount, formatGrowth, formatRelative } from '../../lib/format.ts';
import { ClusterNote } from '../clusters/Clusters.tsx';
import { DlqPatternName } from '../overview/DlqPatternName.tsx';
import { CausesTable } from './CausesTable.tsx';

export function DlqsPage() {
  const query = useDlqs();
  const causes = useDlqCauses(null);
  return (
    <>
      <div className="page-header">
        <h1>Dead-letter queues</h1>
        <ClusterNote cluster={query.data?.cluster} />
        {query.data?.snapshotTime ? (
          <span className="subtle">snapshot {formatRelative(query.data.snapshotTime)}</span>
        ) : null}
        <span className="spacer" />
        <Link to="/redrives">Redrives</Link>
      </div>
      <QueryView query={query} what="DLQs">
        {(data) =>
          data.dlqs.length === 0 ? (
            <Empty title="No DLQ topics found.">
              The collector watches topics matching <DlqPatternName /> (<code>EVENTSCOPE_DLQ_PATTERN</code>, see the
              configuration reference). A DLQ appears here once a consumer dead-letters a record.
            </Empty>
          ) : (
            <div className="panel table-wrap">
              <table aria-label="DLQ topics">
                <thead>
                  <tr>
                    <th>Topic</th>
                    <th className="num">Depth</th>
                    <th className="num">Added (last poll)</th>
                    <th className="num">Growth</th>
                    <th className="num">Since mark</th>
                    <th>Last growth</th>
                    <th>Groups</th>
                    <th>Top reasons</th>
                  </tr>
                </thead>
                <tbody>
                  {[...data.dlqs]
                    .sort((a, b) => b.depth - a.depth)
                    .map((d) => (
                      <tr key={d.topic}>
                        <td>
                          <Link to={withCluster(`/dlqs/${encodeURIComponent(d.topic)}`, data.cluster)}>{d.topic}</Link>
                        </td>
                        <td className="num">{formatCount(d.depth)}</td>
                        <td className="num">{formatCount(d.addedLastInterval)}</td>
                        <td className="num">{formatGrowth(d.growthPerSecond)}</td>
                        <td className="num">{d.addedSinceMark === null ? 'no mark' : formatCount(d.addedSinceMark)}</td>
                        <td>{d.lastGrowthAt === null ? 'not seen' : formatRelative(d.lastGrowthAt)}</td>
                        <td>
                          <GroupLinks groups={d.groups} cluster={data.cluster} />
                        </td>
                        <td>
                          {Object.entries(d.errorClasses)
                            .sort((a, b) => b[1] - a[1])
                            .slice(0, 3)
                            .map(([cls, n]) => `${cls} (${formatCount(n)})`)
                            .join(', ') || '—'}
                        </td>
                      </tr>
                    ))}
                </tbody>
              </table>
            </div>
          )
        }
      </QueryView>
      {query.data?.dlqs.length ? (
        <section className="panel table-wrap" aria-label="Causes across every DLQ" style={{ marginTop: 14 }}>
          <h2>Causes across every DLQ</h2>
          <QueryView query={causes} what="causes">
            {(c) => <CausesTable cluster={c.cluster} causes={c.causes} untracked={c.untracked} showDlqs />}
          </QueryView>
        </section>
      ) : null}
    </>
  );
}
