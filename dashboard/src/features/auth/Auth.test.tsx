import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { fireEvent, render, screen, waitFor } from '@testing-library/react';
import { MemoryRouter } from 'react-router';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AppRoutes } from '../../App.tsx';
import { csrfToken } from '../../api/client.ts';
import { type MeResponse, type MeUnauthorized } from '../../api/types.ts';
import { DLQ_DETAIL } from '../../test/fixtures.ts';
import { AuthGate } from './AuthGate.tsx';

interface Call {
  path: string;
  method: string;
  headers: Headers;
}

/** fetch answering per path (status, body), recording method and headers of every call. */
function stubFetch(answers: Record<string, [number, unknown]>): Call[] {
  const calls: Call[] = [];
  vi.stubGlobal(
    'fetch',
    vi.fn((input: RequestInfo | URL, init: RequestInit = {}) => {
      const url = new URL(input instanceof Request ? input.url : input, 'http://localhost');
      calls.push({ path: url.pathname, method: init.method ?? 'GET', headers: new Headers(init.headers) });
      const [status, body] = answers[url.pathname] ?? [404, { error: 'NOT_FOUND', message: 'no route' }];
      return Promise.resolve(new Response(JSON.stringify(body), { status }));
    }),
  );
  return calls;
}

function renderApp(path: string) {
  const client = new QueryClient({ defaultOptions: { queries: { retry: false, staleTime: Infinity } } });
  return render(
    <QueryClientProvider client={client}>
      <MemoryRouter initialEntries={[path]}>
        <AuthGate>
          <AppRoutes />
        </AuthGate>
      </MemoryRouter>
    </QueryClientProvider>,
  );
}

const signedIn = (role: 'viewer' | 'operator', name: string): MeResponse => ({
  sso: true,
  authEnabled: true,
  principal: { subject: name.toLowerCase(), name, role, via: 'session' },
  csrfToken: 'csrf-123',
});

const signedOut: MeUnauthorized = {
  error: 'UNAUTHORIZED',
  message: 'not signed in',
  sso: true,
  loginUrl: '/auth/login',
};

afterEach(() => {
  document.cookie = 'eventscope_csrf=; max-age=0';
});

describe('sign-in', () => {
  it('shows the sign-in screen when SSO is on and nobody is signed in, returning to the asked page', async () => {
    stubFetch({ '/auth/me': [401, signedOut] });
    renderApp('/dlqs/payments.dlq?reason=X');
    const link = await screen.findByRole('link', { name: 'Sign in' });
    expect(link).toHaveAttribute('href', `/auth/login?returnTo=${encodeURIComponent('/dlqs/payments.dlq?reason=X')}`);
    expect(screen.queryByRole('navigation', { name: 'Main' })).toBeNull();
  });

  it('turns into the sign-in screen when an API request answers 401 (session expired)', async () => {
    let me: [number, unknown] = [200, signedIn('operator', 'Alice')];
    const answers: Record<string, [number, unknown]> = {
      '/api/dlqs/payments.dlq': [401, { error: 'UNAUTHORIZED', message: 'sign in' }],
    };
    vi.stubGlobal(
      'fetch',
      vi.fn((input: RequestInfo | URL) => {
        const path = new URL(input instanceof Request ? input.url : input, 'http://localhost').pathname;
        const [status, body] = path === '/auth/me' ? me : (answers[path] ?? [404, {}]);
        if (path === '/auth/me') me = [401, signedOut];
        return Promise.resolve(new Response(JSON.stringify(body), { status }));
      }),
    );
    renderApp('/dlqs/payments.dlq');
    await screen.findByRole('link', { name: 'Sign in' });
  });

  it('shows the user, the role and Sign out in the header; a viewer cannot set the DLQ mark', async () => {
    stubFetch({ '/auth/me': [200, signedIn('viewer', 'Bob Viewer')], '/api/dlqs/payments.dlq': [200, DLQ_DETAIL] });
    renderApp('/dlqs/payments.dlq');
    const user = await screen.findByLabelText('Signed-in user');
    expect(user).toHaveTextContent('Bob Viewer');
    expect(user).toHaveTextContent('viewer');
    expect(screen.getByRole('button', { name: 'Sign out' })).toBeEnabled();
    const mark = screen.getByRole('button', { name: 'Set mark now' });
    expect(mark).toBeDisabled();
    expect(mark).toHaveAttribute('title', expect.stringContaining('operator role') as string);
  });

  it('lets an operator set the mark, sending the CSRF token from the cookie', async () => {
    document.cookie = 'eventscope_csrf=csrf-123';
    const calls = stubFetch({
      '/auth/me': [200, signedIn('operator', 'Alice Operator')],
      '/api/dlqs/payments.dlq': [200, DLQ_DETAIL],
      '/api/dlqs/payments.dlq/mark': [
        200,
        { topic: 'payments.dlq', mark: { at: 1, endOffsets: {} }, addedSinceMark: 0 },
      ],
    });
    renderApp('/dlqs/payments.dlq');
    const mark = await screen.findByRole('button', { name: 'Set mark now' });
    await waitFor(() => expect(mark).toBeEnabled());
    expect(mark).not.toHaveAttribute('title');
    fireEvent.click(mark);
    await waitFor(() => expect(calls.some((c) => c.path.endsWith('/mark'))).toBe(true));
    const post = calls.find((c) => c.path.endsWith('/mark'));
    expect(post?.method).toBe('POST');
    expect(post?.headers.get('x-csrf-token')).toBe('csrf-123');
  });

  it('signs out with a POST carrying the CSRF token and goes where the collector says', async () => {
    document.cookie = 'eventscope_csrf=csrf-123';
    const assign = vi.fn();
    vi.stubGlobal('location', { ...window.location, assign });
    const calls = stubFetch({
      '/auth/me': [200, signedIn('operator', 'Alice Operator')],
      '/auth/logout': [200, { redirectTo: 'http://idp.example/session/end?x=1' }],
    });
    renderApp('/');
    fireEvent.click(await screen.findByRole('button', { name: 'Sign out' }));
    await waitFor(() => expect(assign).toHaveBeenCalledWith('http://idp.example/session/end?x=1'));
    const post = calls.find((c) => c.path === '/auth/logout');
    expect(post?.headers.get('x-csrf-token')).toBe('csrf-123');
  });

  it('shows no user and keeps every action when the collector needs no sign-in', async () => {
    stubFetch({
      '/auth/me': [200, { sso: false, authEnabled: false, principal: null, csrfToken: null }],
      '/api/dlqs/payments.dlq': [200, DLQ_DETAIL],
    });
    renderApp('/dlqs/payments.dlq');
    const mark = await screen.findByRole('button', { name: 'Set mark now' });
    expect(mark).toBeEnabled();
    expect(screen.queryByLabelText('Signed-in user')).toBeNull();
  });

  it('reads the CSRF cookie under either name', () => {
    expect(csrfToken('a=1; eventscope_csrf=abc; b=2')).toBe('abc');
    expect(csrfToken('__Host-eventscope_csrf=xyz')).toBe('xyz');
    expect(csrfToken('other=1')).toBeUndefined();
  });
});
