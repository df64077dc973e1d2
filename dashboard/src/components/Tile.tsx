import { type ReactNode } from 'react';
import { Link } from 'react-router';
import { ErrorState, Loading } from './states.tsx';

/** The query a tile's content comes from: without data yet, the tile shows its loading or error state. */
interface TileQuery {
  isPending: boolean;
  error: unknown;
  data: unknown;
  refetch: () => unknown;
}

/**
 * An overview tile: a title, content, and a link to its detail page. Given the `query` its
 * content needs, a tile without data says it is loading, or why it has none with a retry
 * (the collector unreachable), instead of staying blank.
 */
export function Tile({
  title,
  to,
  linkText = 'Details',
  children,
  wide = false,
  query,
}: {
  title: string;
  to: string;
  linkText?: string;
  children: ReactNode;
  wide?: boolean;
  query?: TileQuery;
}) {
  const what = title.toLowerCase();
  const body =
    query && query.data === undefined ? (
      query.error ? (
        <ErrorState error={query.error} what={what} onRetry={() => void query.refetch()} />
      ) : (
        <Loading what={what} />
      )
    ) : (
      children
    );
  return (
    <section className={wide ? 'tile tile-wide' : 'tile'} aria-label={title}>
      <header className="tile-header">
        <h2>{title}</h2>
        <Link to={to} className="tile-link">
          {linkText} →
        </Link>
      </header>
      <div className="tile-body">{body}</div>
    </section>
  );
}

export function Figure({ label, value, tone }: { label: string; value: string; tone?: 'ok' | 'warn' | 'bad' }) {
  return (
    <div className={`figure${tone ? ` figure-${tone}` : ''}`}>
      <div className="figure-value">{value}</div>
      <div className="figure-label">{label}</div>
    </div>
  );
}
