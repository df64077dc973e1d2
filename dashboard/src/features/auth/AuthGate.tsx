/**
 * Shows the sign-in screen instead of the pages when single sign-on is configured and nobody
 * is signed in, also when an API request answers 401 later (the session expired).
 */
import { useQueryClient } from '@tanstack/react-query';
import { type ReactNode, useEffect } from 'react';
import { useLocation } from 'react-router';
import { ApiError } from '../../api/client.ts';
import './auth.css';
import { loginHref, meQueryKey, useAuth } from './session.ts';

export function AuthGate({ children }: { children: ReactNode }) {
  const auth = useAuth();
  const client = useQueryClient();
  const { pathname, search } = useLocation();

  // A 401 from any API query: ask /auth/me again, which turns this into the sign-in screen.
  useEffect(
    () =>
      client.getQueryCache().subscribe((event) => {
        const error: unknown = event.query.state.error;
        if (event.type === 'updated' && error instanceof ApiError && error.status === 401) {
          void client.invalidateQueries({ queryKey: meQueryKey });
        }
      }),
    [client],
  );

  if (auth.kind === 'signed-out') {
    return <SignIn href={loginHref(auth.loginUrl, pathname + search)} />;
  }
  return children;
}

function SignIn({ href }: { href: string }) {
  return (
    <div className="signin">
      <main className="signin-panel" aria-labelledby="signin-title">
        <div className="brand">eventscope</div>
        <h1 id="signin-title">Sign in to continue</h1>
        <p>This collector uses single sign-on. You will come back to the page you asked for.</p>
        <a className="button primary" href={href}>
          Sign in
        </a>
      </main>
    </div>
  );
}
