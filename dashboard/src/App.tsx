import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { type ReactNode, useState } from 'react';
import { BrowserRouter, Link, Route, Routes } from 'react-router';
import { ApiError } from './api/client.ts';
import { useLiveUpdates } from './api/live.ts';
import { LiveStatusContext } from './api/live-context.ts';
import { Layout } from './components/Layout.tsx';
import { Empty } from './components/states.tsx';
import { AuditPage } from './features/audit/AuditPage.tsx';
import { DlqDetailPage } from './features/dlqs/DlqDetailPage.tsx';
import { DlqsPage } from './features/dlqs/DlqsPage.tsx';
import { EventPage } from './features/events/EventPage.tsx';
import { SearchPage } from './features/events/SearchPage.tsx';
import { TracePage } from './features/events/TracePage.tsx';
import { FlowMapPage } from './features/flowmap/FlowMapPage.tsx';
import { GroupDetailPage } from './features/groups/GroupDetailPage.tsx';
import { GroupsPage } from './features/groups/GroupsPage.tsx';
import { OverviewPage } from './features/overview/OverviewPage.tsx';
import { SagaDetailPage } from './features/sagas/SagaDetailPage.tsx';
import { SagasPage } from './features/sagas/SagasPage.tsx';

export function createQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: {
        staleTime: 5_000,
        // 4xx will not get better by asking again; network and 5xx might.
        retry: (count, error) => count < 3 && !(error instanceof ApiError && error.status >= 400 && error.status < 500),
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
          <Route path="sagas" element={<SagasPage />} />
          <Route path="sagas/:correlationId" element={<SagaDetailPage />} />
          <Route path="events/:eventId" element={<EventPage />} />
          <Route path="traces/:traceId" element={<TracePage />} />
          <Route path="search" element={<SearchPage />} />
          <Route path="flows" element={<FlowMapPage />} />
          <Route path="audit" element={<AuditPage />} />
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
      <BrowserRouter>{children ?? <AppRoutes />}</BrowserRouter>
    </QueryClientProvider>
  );
}
