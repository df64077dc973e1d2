import { useEffect } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { useSearch } from '../../api/queries.ts';
import { type SearchMatch } from '../../api/types.ts';
import { Empty, QueryView } from '../../components/states.tsx';

export function matchPath(m: SearchMatch): string {
  const id = encodeURIComponent(m.id);
  if (m.kind === 'event') return `/events/${id}`;
  if (m.kind === 'trace') return `/traces/${id}`;
  return `/sagas/${id}`;
}

const KIND_LABEL: Record<SearchMatch['kind'], string> = { event: 'Event', trace: 'Trace', saga: 'Saga' };

/** Resolves the global search: one match -> straight there; several -> a choice; none -> what to try. */
export function SearchPage() {
  const [params] = useSearchParams();
  const q = (params.get('q') ?? '').trim();
  const query = useSearch(q);
  const navigate = useNavigate();
  const only = query.data?.matches.length === 1 ? query.data.matches[0] : undefined;

  useEffect(() => {
    if (only) void navigate(matchPath(only), { replace: true });
  }, [only, navigate]);

  if (!q)
    return (
      <Empty title="Search for an event id, a trace id, a correlation id or a record's topic/partition/offset.">
        Press <kbd>/</kbd> anywhere to jump to the search box.
      </Empty>
    );
  return (
    <>
      <div className="page-header">
        <h1>
          Search <span className="mono">{q}</span>
        </h1>
      </div>
      <QueryView query={query} what="search results">
        {(d) =>
          d.matches.length === 0 ? (
            <Empty title={`Nothing found for “${q}”.`}>
              Paste a full event id (the <code>event-id</code> header), a 32-hex-digit trace id, a correlation id (the
              order id in the demo) or a record&apos;s <code>topic/partition/offset</code> (as a DLQ record&apos;s{' '}
              <code>dlq-original-*</code> headers name it). Events older than the retention are gone.
            </Empty>
          ) : (
            <ul className="panel" aria-label="Matches">
              {d.matches.map((m) => (
                <li key={`${m.kind}-${m.id}`}>
                  {KIND_LABEL[m.kind]} <Link to={matchPath(m)}>{m.id}</Link>
                </li>
              ))}
            </ul>
          )
        }
      </QueryView>
    </>
  );
}
