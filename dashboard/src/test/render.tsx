/**
 * Renders the real routes at a path, with the collector's answers supplied per API path.
 * Nothing is mocked but `fetch`: query hooks, routing and URL state run as in the browser.
 */
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { render } from '@testing-library/react';
import { MemoryRouter, useLocation } from 'react-router';
import { vi } from 'vitest';
import { AppRoutes } from '../App.tsx';

export interface ApiStub {
  /** Every request made, as path + query string. */
  calls: string[];
}

export function errorAnswer(status: number, body: unknown): { status: number; body: unknown; __error: true } {
  return { status, body, __error: true };
}

function isErrorAnswer(a: unknown): a is { status: number; body: unknown; __error: true } {
  return typeof a === 'object' && a !== null && (a as { __error?: boolean }).__error === true;
}

/** An answer that depends on the query string (e.g. `?cluster=`): called with the request's URL. */
export function byQuery(answer: (params: URLSearchParams) => unknown): { __byQuery: (url: URL) => unknown } {
  return { __byQuery: (url) => answer(url.searchParams) };
}

function isByQuery(a: unknown): a is { __byQuery: (url: URL) => unknown } {
  return typeof a === 'object' && a !== null && typeof (a as { __byQuery?: unknown }).__byQuery === 'function';
}

/**
 * Stubs fetch: `answers` maps a pathname (no query) to the JSON body, or to errorAnswer(), or
 * to byQuery() of either.
 */
export function stubApi(answers: Record<string, unknown>): ApiStub {
  const calls: string[] = [];
  vi.stubGlobal(
    'fetch',
    vi.fn((input: RequestInfo | URL) => {
      const url = new URL(
        typeof input === 'string' ? input : input instanceof URL ? input.href : input.url,
        'http://localhost',
      );
      calls.push(url.pathname + url.search);
      const stubbed = answers[url.pathname];
      const answer = isByQuery(stubbed) ? stubbed.__byQuery(url) : stubbed;
      if (answer === undefined)
        return Promise.resolve(
          new Response(JSON.stringify({ error: 'NOT_FOUND', message: `no route GET ${url.pathname}` }), {
            status: 404,
          }),
        );
      if (isErrorAnswer(answer))
        return Promise.resolve(
          new Response(typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body), {
            status: answer.status,
          }),
        );
      return Promise.resolve(new Response(JSON.stringify(answer), { status: 200 }));
    }),
  );
  return { calls };
}

function LocationProbe() {
  const loc = useLocation();
  // Decoded, so tests read `hop=e1~payments` rather than `hop=e1%7Epayments`.
  return <output data-testid="location">{decodeURIComponent(loc.pathname + loc.search)}</output>;
}

export function renderAt(path: string) {
  const client = new QueryClient({ defaultOptions: { queries: { retry: false, staleTime: Infinity } } });
  const utils = render(
    <QueryClientProvider client={client}>
      <MemoryRouter initialEntries={[path]}>
        <AppRoutes />
        <LocationProbe />
      </MemoryRouter>
    </QueryClientProvider>,
  );
  return { ...utils, client };
}
