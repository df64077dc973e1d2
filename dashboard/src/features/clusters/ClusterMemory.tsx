/**
 * Keeps the cluster picked from page to page. A link that does not carry `?cluster=` (most
 * in-app links do not know it) would drop back to the collector's primary cluster; instead the
 * cluster last picked in this tab stays in force, and is put back into the URL at once so the
 * address bar can be shared as it is. A page opened afresh without the parameter shows the
 * primary.
 */
import { type ReactNode, useEffect, useState } from 'react';
import { useLocation, useNavigate, useSearchParams } from 'react-router';
import { CLUSTER_PARAM, ClusterContext, clusterOf } from '../../lib/cluster-param.ts';

export function ClusterMemory({ children }: { children: ReactNode }) {
  const [params] = useSearchParams();
  const fromUrl = clusterOf(params);
  const [remembered, setRemembered] = useState<string | null>(fromUrl);
  // Derived state, updated while rendering (React's pattern for it): the pages below read the
  // new cluster in this same render.
  if (fromUrl !== null && fromUrl !== remembered) setRemembered(fromUrl);

  const location = useLocation();
  const { pathname, search, hash } = location;
  const locationState: unknown = location.state;
  const navigate = useNavigate();
  useEffect(() => {
    if (fromUrl !== null || remembered === null) return;
    // set, not append: `?cluster=` (empty) is replaced, not followed by a second one.
    const sp = new URLSearchParams(search);
    sp.set(CLUSTER_PARAM, remembered);
    void navigate({ pathname, search: `?${sp.toString()}`, hash }, { replace: true, state: locationState });
  }, [fromUrl, remembered, pathname, search, hash, locationState, navigate]);

  return <ClusterContext value={remembered}>{children}</ClusterContext>;
}
