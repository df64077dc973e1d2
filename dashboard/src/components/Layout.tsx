import { Suspense } from 'react';
import { NavLink, Outlet, useLocation } from 'react-router';
import { type LiveStatus } from '../api/live-context.ts';
import { UserMenu } from '../features/auth/UserMenu.tsx';
import { ClusterMemory } from '../features/clusters/ClusterMemory.tsx';
import { ClusterProblem, ClusterSwitcher } from '../features/clusters/Clusters.tsx';
import { useClusterLink } from '../lib/cluster-param.ts';
import { PageBoundary } from './PageBoundary.tsx';
import { SearchBox } from './SearchBox.tsx';
import { Loading } from './states.tsx';

const NAV = [
  { to: '/', label: 'Overview', end: true },
  { to: '/groups', label: 'Consumer groups', end: false },
  { to: '/dlqs', label: 'DLQs', end: false },
  { to: '/redrives', label: 'Redrives', end: false },
  { to: '/sagas', label: 'Sagas', end: false },
  { to: '/flows', label: 'Flow map', end: false },
  { to: '/audit-log', label: 'Audit log', end: false },
];

const LIVE_TEXT: Record<LiveStatus, string> = {
  live: 'Live',
  connecting: 'Connecting…',
  offline: 'Offline, polling',
};

export function Layout({ live }: { live: LiveStatus }) {
  return (
    // The Kafka cluster picked stays in force from page to page (features/clusters).
    <ClusterMemory>
      <Frame live={live} />
    </ClusterMemory>
  );
}

function Frame({ live }: { live: LiveStatus }) {
  const { pathname } = useLocation();
  const link = useClusterLink();
  return (
    <div className="app">
      <header className="topbar">
        <NavLink to={link('/')} className="brand" end>
          eventscope
        </NavLink>
        <nav aria-label="Main">
          {NAV.map((n) => (
            <NavLink key={n.to} to={link(n.to)} end={n.end}>
              {n.label}
            </NavLink>
          ))}
        </nav>
        <ClusterSwitcher />
        <SearchBox />
        <span
          className={`live live-${live}`}
          title="Updates from the collector's /api/stream"
          aria-label={`Live updates: ${LIVE_TEXT[live]}`}
        >
          <span className="live-dot" aria-hidden="true" />
          {LIVE_TEXT[live]}
        </span>
        <UserMenu />
      </header>
      <main className="content">
        <ClusterProblem />
        <PageBoundary resetKey={pathname}>
          {/* Pages are loaded on first visit (App.tsx); the layout stays while one loads. */}
          <Suspense fallback={<Loading what="the page" />}>
            <Outlet />
          </Suspense>
        </PageBoundary>
      </main>
    </div>
  );
}
