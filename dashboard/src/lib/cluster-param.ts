/**
 * The Kafka cluster the pages show: `?cluster=<name>`, the collector's name for it (absent: the
 * collector answers for its primary cluster). It is link-worthy state, so it lives in the URL
 * and stays there from page to page: links that know it carry it (`useClusterLink`), and
 * `ClusterMemory` (features/clusters) puts it back on a page reached by a link that does not.
 */
import { createContext, useCallback, useContext } from 'react';
import { useSearchParams } from 'react-router';

export const CLUSTER_PARAM = 'cluster';

/** The cluster last picked in this tab (null: none yet), while the URL says none. */
export const ClusterContext = createContext<string | null>(null);

/** `?cluster=` of a query string, or null when absent or empty. */
export function clusterOf(params: URLSearchParams): string | null {
  const v = params.get(CLUSTER_PARAM);
  return v === null || v === '' ? null : v;
}

/** The cluster picked, or '' for none (the collector's primary cluster). */
export function useClusterParam(): string {
  const [params] = useSearchParams();
  const remembered = useContext(ClusterContext);
  return clusterOf(params) ?? remembered ?? '';
}

/** `to` (a path with an optional query string) with `cluster` added; unchanged for ''. */
export function withCluster(to: string, cluster: string): string {
  if (cluster === '') return to;
  return `${to}${to.includes('?') ? '&' : '?'}${CLUSTER_PARAM}=${encodeURIComponent(cluster)}`;
}

/** Adds the cluster picked to an in-app link, so it opens on the same cluster (also in a new tab). */
export function useClusterLink(): (to: string) => string {
  const cluster = useClusterParam();
  return useCallback((to: string) => withCluster(to, cluster), [cluster]);
}
