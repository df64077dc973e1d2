/**
 * Which Kafka cluster the pages show. One collector can watch several clusters
 * (`GET /api/clusters`); the one picked is `?cluster=` (lib/cluster-param.ts), and every lag,
 * group, topic and overview query asks for it.
 * - ClusterSwitcher, in the header: a picker when there are several clusters, the name alone
 *   (quietly) when there is one, nothing while the collector has not said.
 * - ClusterProblem: the cluster shown is not connected (or its last poll failed), and why; or
 *   the URL names a cluster the collector does not have.
 * - ClusterNote: in a page's header, the cluster its Kafka figures come from, as the answer says.
 */
import { useSearchParams } from 'react-router';
import { useClusters } from '../../api/queries.ts';
import type { KafkaClusterSummary } from '../../api/types.ts';
import { CLUSTER_PARAM, useClusterParam } from '../../lib/cluster-param.ts';
import { formatRelative } from '../../lib/format.ts';
import './clusters.css';

/** The cluster shown: the one picked, else the collector's primary; undefined when unknown. */
function shown(clusters: readonly KafkaClusterSummary[], picked: string): KafkaClusterSummary | undefined {
  return picked === '' ? (clusters.find((c) => c.primary) ?? clusters[0]) : clusters.find((c) => c.name === picked);
}

function optionText(c: KafkaClusterSummary): string {
  return `${c.name}${c.primary ? ' (primary)' : ''}${c.connected ? '' : ' · not connected'}`;
}

export function ClusterSwitcher() {
  const { data } = useClusters();
  const picked = useClusterParam();
  const [, setParams] = useSearchParams();
  const clusters = data?.clusters ?? [];
  if (clusters.length === 0) return null;
  const current = shown(clusters, picked);
  if (clusters.length === 1 && current) {
    return (
      <span className="cluster-name" title={`Kafka cluster ${current.name}: ${current.brokers.join(', ')}`}>
        {current.name}
      </span>
    );
  }
  const value = current?.name ?? picked;
  return (
    <label className="cluster-switch">
      <span className="cluster-switch-label">Cluster</span>
      <select
        aria-label="Kafka cluster"
        value={value}
        onChange={(e) => {
          const name = e.target.value;
          // A new history entry: Back returns to the cluster seen before.
          setParams((prev) => {
            const sp = new URLSearchParams(prev);
            sp.set(CLUSTER_PARAM, name);
            return sp;
          });
        }}
      >
        {current ? null : (
          <option value={picked} disabled>
            {picked} (not configured)
          </option>
        )}
        {clusters.map((c) => (
          <option key={c.name} value={c.name}>
            {optionText(c)}
          </option>
        ))}
      </select>
    </label>
  );
}

export function ClusterProblem() {
  const { data } = useClusters();
  const picked = useClusterParam();
  const clusters = data?.clusters;
  if (!clusters || clusters.length === 0) return null;
  const c = shown(clusters, picked);
  if (!c) {
    return (
      <div className="state state-error cluster-problem" role="alert">
        <strong>This collector watches no Kafka cluster named {picked}.</strong>
        <div className="state-hint">
          Its clusters: {clusters.map((x) => x.name).join(', ')}. Pick one in the header.
        </div>
      </div>
    );
  }
  // Nothing to say yet: connected, or still connecting (no poll, no failure: a collector just started,
  // or one that does not poll at all, e.g. with its background work off).
  if (c.problem === undefined && (c.connected || c.polledAt === undefined)) return null;
  return (
    <div className="state state-error cluster-problem" role="alert">
      <strong>
        {c.connected ? `The last poll of Kafka cluster ${c.name} failed.` : `Kafka cluster ${c.name} is not connected.`}
      </strong>
      {c.problem ? <div>{c.problem}</div> : null}
      <div className="state-hint">
        {c.polledAt
          ? `Its figures are from the last good poll, ${formatRelative(c.polledAt)}.`
          : 'There are no figures from it yet.'}{' '}
        The collector keeps trying ({c.brokers.join(', ')}); its log and /readyz say more.
      </div>
    </div>
  );
}

/** The Kafka cluster a page's figures come from (the answer's `cluster`), with an optional remark. */
export function ClusterNote({ cluster, remark }: { cluster: string | undefined; remark?: string | undefined }) {
  if (cluster === undefined) return null;
  return (
    <span className="subtle cluster-note" title="The Kafka cluster these figures come from">
      cluster <strong>{cluster}</strong>
      {remark ? ` · ${remark}` : ''}
    </span>
  );
}

/**
 * DLQs are read from the primary cluster only: when another cluster is picked, say so next to
 * the DLQ cluster's name.
 */
export function useDlqClusterRemark(dlqCluster: string | undefined): string | undefined {
  const picked = useClusterParam();
  return picked !== '' && dlqCluster !== undefined && picked !== dlqCluster
    ? 'DLQs are watched on the primary cluster only'
    : undefined;
}
