/**
 * Who is signed in, from the collector's GET /auth/me:
 * - `open`: the collector needs no sign-in (no auth configured, or an older collector);
 * - `signed-in`: a principal with a role (a viewer cannot change state);
 * - `signed-out`: single sign-on is configured and nobody is signed in: offer /auth/login;
 * - `token-only`: the collector needs a bearer token and has no single sign-on.
 */
import { useMutation, useQuery } from '@tanstack/react-query';
import { apiPost } from '../../api/client.ts';
import { type LogoutResponse, type MeResponse, type MeUnauthorized, type Principal } from '../../api/types.ts';

export type AuthState =
  | { kind: 'loading' }
  | { kind: 'open' }
  | { kind: 'signed-in'; principal: Principal; sso: boolean }
  | { kind: 'signed-out'; loginUrl: string }
  | { kind: 'token-only' };

export const meQueryKey = ['auth', 'me'] as const;

async function fetchMe(signal: AbortSignal): Promise<AuthState> {
  const res = await fetch('/auth/me', { signal, headers: { accept: 'application/json' } });
  const body = (await res.json().catch(() => null)) as MeResponse | MeUnauthorized | null;
  if (res.status === 401 && body && 'loginUrl' in body) {
    return body.sso ? { kind: 'signed-out', loginUrl: body.loginUrl ?? '/auth/login' } : { kind: 'token-only' };
  }
  if (res.ok && body && 'principal' in body && body.principal) {
    return { kind: 'signed-in', principal: body.principal, sso: body.sso };
  }
  // 200 with no principal (auth off), or a collector without /auth/me (404): nothing to sign in to.
  return { kind: 'open' };
}

export function useAuth(): AuthState {
  const query = useQuery({
    queryKey: meQueryKey,
    queryFn: ({ signal }) => fetchMe(signal),
    staleTime: 60_000,
  });
  // Unreachable collector: the pages say so themselves; do not block them here.
  return query.data ?? (query.isPending ? { kind: 'loading' } : { kind: 'open' });
}

/** Whether the signed-in user may change state (DLQ mark); true when the collector needs no sign-in. */
export function useCanWrite(): { canWrite: boolean; why: string | undefined } {
  const auth = useAuth();
  if (auth.kind === 'signed-in' && auth.principal.role !== 'operator') {
    return { canWrite: false, why: `Signed in as a ${auth.principal.role}: this needs the operator role.` };
  }
  return { canWrite: true, why: undefined };
}

/** The path to come back to after signing in. */
export function loginHref(loginUrl: string, returnTo: string): string {
  return `${loginUrl}?returnTo=${encodeURIComponent(returnTo)}`;
}

export function useSignOut() {
  return useMutation({
    mutationFn: () => apiPost<LogoutResponse>('/auth/logout'),
    // The provider's logout page (ends the sign-in there too), or the dashboard's start.
    onSuccess: ({ redirectTo }) => window.location.assign(redirectTo),
  });
}
