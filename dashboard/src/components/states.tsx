/** Loading, empty and error states that say what is happening and what to do. */
import { QueryClientContext } from '@tanstack/react-query';
import { useContext, type ReactNode } from 'react';
import { ApiError } from '../api/client.ts';

export function Loading({ what }: { what: string }) {
  return (
    <div className="state state-loading" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" /> Loading {what}…
    </div>
  );
}

export function Empty({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="state state-empty" role="status">
      <strong>{title}</strong>
      {children ? <div className="state-hint">{children}</div> : null}
    </div>
  );
}

/** What a person can do about an error, by kind. */
export function errorHint(error: unknown): string {
  if (error instanceof ApiError) {
    if (error.code === 'NETWORK' || error.code === 'TIMEOUT' || error.status === 502 || error.status === 504)
      return 'Start the collector (`npm start`); this page retries by itself.';
    if (error.status === 401) return 'The collector needs a bearer token; open the dashboard from the collector URL.';
    if (error.status === 404) return 'Check the id or link; the data may also have aged out of retention.';
    if (error.status === 400) return 'Check the value you entered.';
    if (error.retryable) return 'The collector is busy or cannot reach Kafka right now; this page retries by itself.';
    return 'See the collector log for details.';
  }
  return 'Reload the page; if it persists, see the browser console.';
}

/**
 * An error with its reason, what to do, and a retry: `onRetry`, or else asking the collector
 * again for every query on screen (a chart or card that has no query of its own to retry).
 */
export function ErrorState({ error, what, onRetry }: { error: unknown; what: string; onRetry?: () => void }) {
  const message = error instanceof Error ? error.message : String(error);
  const client = useContext(QueryClientContext);
  const retry = onRetry ?? (client ? () => void client.refetchQueries({ type: 'active' }) : undefined);
  return (
    <div className="state state-error" role="alert">
      <strong>Could not load {what}.</strong>
      <div>{message}</div>
      <div className="state-hint">{errorHint(error)}</div>
      {retry ? (
        <button type="button" onClick={retry}>
          Try again
        </button>
      ) : null}
    </div>
  );
}

/** Renders a query's loading and error states, then `children(data)`. */
export function QueryView<T>({
  query,
  what,
  children,
}: {
  query: { isPending: boolean; isError: boolean; error: unknown; data: T | undefined; refetch: () => unknown };
  what: string;
  children: (data: T) => ReactNode;
}) {
  if (query.isError && query.data === undefined)
    return <ErrorState error={query.error} what={what} onRetry={() => void query.refetch()} />;
  if (query.data === undefined) return <Loading what={what} />;
  return <>{children(query.data)}</>;
}
