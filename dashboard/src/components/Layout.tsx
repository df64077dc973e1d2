import { NavLink, Outlet } from 'react-router';
import { type LiveStatus } from '../api/live-context.ts';
import { SearchBox } from './SearchBox.tsx';

const NAV = [
  { to: '/', label: 'Overview', end: true },
  { to: '/groups', label: 'Consumer groups', end: false },
  { to: '/dlqs', label: 'DLQs', end: false },
  { to: '/sagas', label: 'Sagas', end: false },
  { to: '/flows', label: 'Flow map', end: false },
];

const LIVE_TEXT: Record<LiveStatus, string> = {
  live: 'Live',
  connecting: 'Connecting…',
  offline: 'Offline, polling',
};

export function Layout({ live }: { live: LiveStatus }) {
  return (
    <div className="app">
      <header className="topbar">
        <NavLink to="/" className="brand" end>
          eventscope
        </NavLink>
        <nav aria-label="Main">
          {NAV.map((n) => (
            <NavLink key={n.to} to={n.to} end={n.end}>
              {n.label}
            </NavLink>
          ))}
        </nav>
        <SearchBox />
        <span
          className={`live live-${live}`}
          title="Updates from the collector's /api/stream"
          aria-label={`Live updates: ${LIVE_TEXT[live]}`}
        >
          <span className="live-dot" aria-hidden="true" />
          {LIVE_TEXT[live]}
        </span>
      </header>
      <main className="content">
        <Outlet />
      </main>
    </div>
  );
}
