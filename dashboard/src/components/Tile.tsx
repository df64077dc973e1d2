import { type ReactNode } from 'react';
import { Link } from 'react-router';

/** An overview tile: a title, content, and a link to its detail page. */
export function Tile({
  title,
  to,
  linkText = 'Details',
  children,
  wide = false,
}: {
  title: string;
  to: string;
  linkText?: string;
  children: ReactNode;
  wide?: boolean;
}) {
  return (
    <section className={wide ? 'tile tile-wide' : 'tile'} aria-label={title}>
      <header className="tile-header">
        <h2>{title}</h2>
        <Link to={to} className="tile-link">
          {linkText} →
        </Link>
      </header>
      <div className="tile-body">{children}</div>
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
