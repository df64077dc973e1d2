import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { lazy, type ReactNode, useState } from 'react';
import { BrowserRouter, Link, Route, Routes } from 'react-router';
import { ApiError } from './api/client.ts';
import { useLiveUpdates } from './api/live.ts';
import { LiveStatusContext } from './api/live-context.ts';
import { Layout } from './components/Layout.tsx';
import { Empty } from './components/states.tsx';
import { AuthGate } from './features/auth/AuthGate.tsx';

// Each page is its own chunk, loaded on first visit (recharts only with the pages that chart).
const AuditPage = lazy(() => import('./features/audit/AuditPage.tsx').then((m) => ({ default: m.AuditPage })));
const AuditLogPage = lazy(() =>
  import('./features/audit-log/AuditLogPage.tsx').then((m) => ({ default: m.AuditLogPage })),
);
const DlqDetailPage = lazy(() =>
  import('./features/dlqs/DlqDetailPage.tsx').then((m) => ({ default: m.DlqDetailPage })),
);
const DlqsPage = lazy(() => import('./features/dlqs/DlqsPage.tsx').then((m) => ({ default: m.DlqsPage })));
const EventPage = lazy(() => import('./features/events/EventPage.tsx').then((m) => ({ default: m.EventPage })));
const SearchPage = lazy(() => import('./features/events/SearchPage.tsx').then((m) => ({ default: m.SearchPage })));
const TracePage = lazy(() => import('./features/events/TracePage.tsx').then((m) => ({ default: m.TracePage })));
const FlowMapPage = lazy(() => import('./features/flowmap/FlowMapPage.tsx').then((m) => ({ default: m.FlowMapPage })));
const GroupDetailPage = lazy(() =>
  import('./features/groups/GroupDetailPage.tsx').then((m) => ({ default: m.GroupDetailPage })),
);
const GroupsPage = lazy(() => import('./features/groups/GroupsPage.tsx').then((m) => ({ default: m.GroupsPage })));
const OverviewPage = lazy(() =>
  import('./features/overview/OverviewPage.tsx').then((m) => ({ default: m.OverviewPage })),
);
const SagaDetailPage = lazy(() =>
  import('./features/sagas/SagaDetailPage.tsx').then((m) => ({ default: m.SagaDetailPage })),
);
const SagasPage = lazy(() => import('./features/sagas/SagasPage.tsx').then((m) => ({ default: m.SagasPage })));
const RedrivesPage = lazy(() =>
  import('./features/redrives/RedrivesPage.tsx').then((m) => ({ default: m.RedrivesPage })),
);
const RedriveDetailPage = lazy(() =>
  import('./features/redrives/RedriveDetailPage.tsx').then((m) => ({ default: m.RedriveDetailPage })),
);

export function createQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: {
        staleTime: 5_000,
        // 4xx will not get better by asking again; 5xx might. A collector that cannot be reached
        // (refused, a proxy's 502/504) is said at once, after one quick retry, and one that does
        // not answer after its timeout: the page's polling asks again anyway.
        retry: (count, error) => {
          if (!(error instanceof ApiError)) return count < 3;
          if (error.code === 'TIMEOUT' || (error.status >= 400 && error.status < 500)) return false;
          const unreachable = error.status === 0 || error.status === 502 || error.status === 504;
          return count < (unreachable ? 1 : 3);
        },
        retryDelay: (count, error) =>
          error instanceof ApiError && (error.status === 0 || error.status === 502 || error.status === 504)
            ? 500
            : Math.min(1000 * 2 ** count, 30_000),
        refetchOnWindowFocus: false,
      },
    },
  });
}

function NotFound() {
  return (
    <Empty title="There is no page here.">
      Go to the <Link to="/">overview</Link> or search for an event, trace or correlation id.
    </Empty>
  );
}

/** The routes, without a router: main.tsx wraps them in BrowserRouter, tests in MemoryRouter. */
export function AppRoutes() {
  const live = useLiveUpdates();
  return (
    <LiveStatusContext value={live}>
      <Routes>
        <Route element={<Layout live={live} />}>
          <Route index element={<OverviewPage />} />
          <Route path="groups" element={<GroupsPage />} />
          <Route path="groups/:group" element={<GroupDetailPage />} />
          <Route path="dlqs" element={<DlqsPage />} />
          <Route path="dlqs/:topic" element={<DlqDetailPage />} />
          <Route path="redrives" element={<RedrivesPage />} />
          <Route path="redrives/:id" element={<RedriveDetailPage />} />
          <Route path="sagas" element={<SagasPage />} />
          <Route path="sagas/:correlationId" element={<SagaDetailPage />} />
          <Route path="events/:eventId" element={<EventPage />} />
          <Route path="traces/:traceId" element={<TracePage />} />
          <Route path="search" element={<SearchPage />} />
          <Route path="flows" element={<FlowMapPage />} />
          <Route path="audit" element={<AuditPage />} />
          <Route path="audit-log" element={<AuditLogPage />} />
          <Route path="*" element={<NotFound />} />
        </Route>
      </Routes>
    </LiveStatusContext>
  );
}

export function App({ children }: { children?: ReactNode }) {
  const [client] = useState(createQueryClient);
  return (
    <QueryClientProvider client={client}>
      <BrowserRouter>
        <AuthGate>{children ?? <AppRoutes />}</AuthGate>
      </BrowserRouter>
    </QueryClientProvider>
  );
}
