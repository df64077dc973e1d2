import { useState } from 'react';
import { Link } from 'react-router';
import { useSagas } from '../../api/queries.ts';
import { SAGA_STATUSES, type SagaListItem, type SagaStatus } from '../../api/types.ts';
import { RangePicker } from '../../components/RangePicker.tsx';
import { SagaBadge } from '../../components/StatusBadge.tsx';
import { Empty, QueryView } from '../../components/states.tsx';
import { formatDateTime, formatDuration, formatRelative } from '../../lib/format.ts';
import { useRange, useSetUrlParams, useSort, useUrlParam } from '../../lib/url-state.ts';

const SORT_KEYS = ['started', 'duration', 'hops'] as const;
type SortKey = (typeof SORT_KEYS)[number];

/** End-to-end latency when finished; otherwise the time so far. */
export function sagaDuration(s: SagaListItem): number {
  return s.endToEndMs ?? s.lastActivityMs - s.startMs;
}

function sortValue(s: SagaListItem, key: SortKey): number {
  if (key === 'duration') return sagaDuration(s);
  if (key === 'hops') return s.hops;
  return s.startMs;
}

export function SagasPage() {
  const range = useRange();
  const [status, setStatus] = useUrlParam('status');
  const [type] = useUrlParam('type');
  const [q] = useUrlParam('q');
  const [group, setGroup] = useUrlParam('group');
  const setParams = useSetUrlParams();
  const [draft, setDraft] = useState(q);
  const [typeDraft, setTypeDraft] = useState(type);
  const sort = useSort(SORT_KEYS, 'started', 'desc');
  const validStatus = SAGA_STATUSES.includes(status as SagaStatus) ? (status as SagaStatus) : undefined;
  const query = useSagas({
    status: validStatus,
    type: type || undefined,
    q: q || undefined,
    group: group || undefined,
    rangeSeconds: range.seconds,
    fromMs: range.window?.fromMs,
    toMs: range.window?.toMs,
    limit: 200,
  });

  const header = (key: SortKey, label: string) => (
    <th className="num" aria-sort={sort.key === key ? (sort.dir === 'asc' ? 'ascending' : 'descending') : 'none'}>
      <button type="button" className="sort" onClick={() => sort.toggle(key)}>
        {label}
        {sort.key === key ? (sort.dir === 'asc' ? ' ▲' : ' ▼') : ''}
      </button>
    </th>
  );

  return (
    <>
      <div className="page-header">
        <h1>Sagas</h1>
        <span className="spacer" />
        <RangePicker />
      </div>
      <form
        className="filters"
        onSubmit={(e) => {
          e.preventDefault();
          setParams({ q: draft.trim(), type: typeDraft.trim() });
        }}
      >
        <input
          type="search"
          aria-label="Search sagas by correlation id"
          placeholder="Correlation id or prefix"
          value={draft}
          onChange={(e) => setDraft(e.target.value)}
        />
        <input
          aria-label="Saga type"
          placeholder="Saga type"
          value={typeDraft}
          onChange={(e) => setTypeDraft(e.target.value)}
        />
        <button type="submit">Filter</button>
        <select aria-label="Saga status" value={validStatus ?? ''} onChange={(e) => setStatus(e.target.value)}>
          <option value="">any status</option>
          {SAGA_STATUSES.map((s) => (
            <option key={s} value={s}>
              {s.replace('_', '-')}
            </option>
          ))}
        </select>
        {group ? (
          <span className="chip">
            through group <Link to={`/groups/${encodeURIComponent(group)}`}>{group}</Link>{' '}
            <button type="button" aria-label={`Clear the group filter ${group}`} onClick={() => setGroup('')}>
              ×
            </button>
          </span>
        ) : null}
        {query.data ? (
          <span className="subtle">
            {query.data.items.length} saga{query.data.items.length === 1 ? '' : 's'}
            {query.data.nextCursor ? ' (newest; narrow the filters to see older ones)' : ''}
          </span>
        ) : null}
      </form>
      <QueryView query={query} what="sagas">
        {(data) => {
          if (data.items.length === 0)
            return (
              <Empty title="No sagas match.">
                {status || type || q || group
                  ? 'Clear the filters or widen the time range.'
                  : 'Sagas appear when instrumented services send spans to the collector (OTLP on port 4318).'}
              </Empty>
            );
          const sign = sort.dir === 'asc' ? 1 : -1;
          const rows = [...data.items].sort((a, b) => sign * (sortValue(a, sort.key) - sortValue(b, sort.key)));
          return (
            <div className="panel table-wrap">
              <table aria-label="Sagas">
                <thead>
                  <tr>
                    <th>Correlation id</th>
                    <th>Type</th>
                    <th>Status</th>
                    {header('started', 'Started')}
                    {header('duration', 'Duration')}
                    {header('hops', 'Events')}
                    <th>Last event</th>
                    <th>Marks</th>
                  </tr>
                </thead>
                <tbody>
                  {rows.map((s) => (
                    <tr key={s.correlationId}>
                      <td className="mono">
                        <Link to={`/sagas/${encodeURIComponent(s.correlationId)}`}>{s.correlationId}</Link>
                      </td>
                      <td>{s.sagaType ?? '—'}</td>
                      <td>
                        <SagaBadge status={s.status} />
                      </td>
                      <td className="num" title={formatDateTime(s.startMs)}>
                        {formatRelative(s.startMs)}
                      </td>
                      <td className="num" title={s.endToEndMs === null ? 'so far' : 'end to end'}>
                        {formatDuration(sagaDuration(s))}
                        {s.endToEndMs === null ? '…' : ''}
                      </td>
                      <td className="num">{s.hops}</td>
                      <td>{s.terminalEventType ?? '—'}</td>
                      <td>
                        {[
                          s.compensations ? `${s.compensations} compensation${s.compensations > 1 ? 's' : ''}` : '',
                          s.dlqSteps ? `${s.dlqSteps} dead-lettered` : '',
                        ]
                          .filter(Boolean)
                          .join(', ') || '—'}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          );
        }}
      </QueryView>
    </>
  );
}
