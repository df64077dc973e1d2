import { Link } from 'react-router';
import { useClusters } from '../../api/queries.ts';
import { type DlqsResponse, type FlowEdge, type FlowNode } from '../../api/types.ts';
import { GroupLink } from '../../components/NameLinks.tsx';
import { LagBadge } from '../../components/StatusBadge.tsx';
import { formatCount, formatDuration, formatRate, formatSeconds } from '../../lib/format.ts';
import {
  edgeHealth,
  HEALTH_TEXT,
  lagOf,
  onOtherCluster,
  topicOf,
  worst,
  type GroupTopicLag,
  type LagIndex,
} from './health.ts';

const enc = encodeURIComponent;

function sum(list: (number | null)[]): number | null {
  const known = list.filter((v): v is number => v !== null);
  return known.length ? known.reduce((a, b) => a + b, 0) : null;
}

function maxOf(list: (number | null)[]): number | null {
  const known = list.filter((v): v is number => v !== null);
  return known.length ? Math.max(...known) : null;
}

function nameOf(id: string): string {
  return id.slice(id.indexOf(':') + 1);
}

function LagText({ lag }: { lag: GroupTopicLag | null }) {
  if (!lag) return <span className="subtle">no Kafka snapshot</span>;
  return (
    <>
      <LagBadge status={lag.status} /> {formatCount(lag.lag)} msgs, {formatSeconds(lag.lagSeconds)} behind
    </>
  );
}

/**
 * What one node of the flow map does: rate in and out, latency, the lag of the consumer groups
 * on its edges and their DLQs, with links to the group and DLQ pages. Each consumer group links
 * to its page on its own Kafka cluster, named when there are several; `lag` is that of the
 * cluster picked, so a group on another cluster shows none.
 */
export function NodePanel({
  node,
  edges,
  lag,
  dlqs,
  onClose,
}: {
  node: FlowNode;
  edges: FlowEdge[];
  lag: LagIndex;
  dlqs: DlqsResponse | undefined;
  onClose: () => void;
}) {
  const clusters = useClusters().data?.clusters ?? [];
  const incoming = edges.filter((e) => e.to === node.id);
  const outgoing = edges.filter((e) => e.from === node.id);
  const all = [...incoming, ...outgoing];
  const health = worst(all.map((e) => edgeHealth(e, lag).health));
  const topic = topicOf(node.id);
  // Consume edges: topic -> service with a group; on a topic node, those leaving it.
  const consumes = (topic ? outgoing : incoming).filter((e) => e.group);
  const showCluster = clusters.length > 1 || new Set(consumes.map((e) => e.cluster)).size > 1;
  const groups = [...new Set(consumes.map((e) => e.group!))].sort();
  const groupSet = new Set(groups);
  const dlqList = (dlqs?.dlqs ?? []).filter(
    (d) => d.groups.some((g) => groupSet.has(g)) || (topic !== null && d.topic === topic),
  );

  return (
    <aside className="panel flowmap-panel" aria-label="Node details">
      <div className="page-header">
        <h2>
          {node.kind} {node.name}
        </h2>
        <span className="spacer" />
        <button type="button" onClick={onClose} aria-label="Close node details">
          ×
        </button>
      </div>
      <dl>
        <dt>health</dt>
        <dd className={`health-text health-${health}`}>{HEALTH_TEXT[health]}</dd>
        <dt>rate in</dt>
        <dd>{formatRate(sum(incoming.map((e) => e.ratePerSecond)))}</dd>
        <dt>rate out</dt>
        <dd>{formatRate(sum(outgoing.map((e) => e.ratePerSecond)))}</dd>
        <dt>errors</dt>
        <dd>{formatRate(sum(all.map((e) => e.errorsPerSecond)))}</dd>
        <dt>{topic ? 'queue time p95' : 'queue time p95 (in)'}</dt>
        <dd>{formatDuration(maxOf((topic ? outgoing : incoming).map((e) => e.p95Ms)))}</dd>
      </dl>
      {consumes.length ? (
        <>
          <h3>Consumer groups</h3>
          <ul aria-label="Consumer groups">
            {consumes.map((e) => {
              const t = topicOf(e.from) ?? '';
              return (
                <li key={JSON.stringify([e.from, e.to, e.group, e.cluster])}>
                  <GroupLink group={e.group!} cluster={e.cluster ?? undefined} />
                  {showCluster && e.cluster !== null ? ` (cluster ${e.cluster})` : ''} on{' '}
                  <Link to={`/groups?q=${enc(t)}`}>{t}</Link>
                  {topic ? ` → ${nameOf(e.to)}` : ''}: {formatRate(e.ratePerSecond)}, p95 {formatDuration(e.p95Ms)}
                  <br />
                  {onOtherCluster(e, lag) ? (
                    <span className="subtle">lag on cluster {e.cluster}: pick it to see</span>
                  ) : (
                    <LagText lag={lagOf(e, lag)} />
                  )}
                </li>
              );
            })}
          </ul>
        </>
      ) : null}
      {(topic ? incoming : outgoing).length ? (
        <>
          <h3>{topic ? 'Published by' : 'Publishes to'}</h3>
          <ul aria-label={topic ? 'Published by' : 'Publishes to'}>
            {(topic ? incoming : outgoing).map((e) => {
              const other = topic ? nameOf(e.from) : nameOf(e.to);
              return (
                <li key={`${e.from}-${e.to}`}>
                  {topic ? other : <Link to={`/groups?q=${enc(other)}`}>{other}</Link>}: {formatRate(e.ratePerSecond)},
                  send p95 {formatDuration(e.p95Ms)}
                </li>
              );
            })}
          </ul>
        </>
      ) : null}
      <h3>DLQs</h3>
      {dlqList.length ? (
        <ul aria-label="DLQs">
          {dlqList.map((d) => (
            <li key={d.topic}>
              <Link to={`/dlqs/${enc(d.topic)}`}>{d.topic}</Link>: {formatCount(d.depth)} records
            </li>
          ))}
        </ul>
      ) : (
        <p className="subtle">{dlqs ? 'No DLQ of these groups.' : 'No DLQ data (no Kafka snapshot yet).'}</p>
      )}
      {topic ? (
        <p>
          <Link to={`/groups?q=${enc(topic)}`}>Groups consuming {topic}</Link>
        </p>
      ) : null}
    </aside>
  );
}
