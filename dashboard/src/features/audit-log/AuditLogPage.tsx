import { useAuditLog } from '../../api/queries.ts';
import type { AuditLogEntry } from '../../api/types.ts';
import { Empty, QueryView } from '../../components/states.tsx';
import { formatDateTime, formatRelative } from '../../lib/format.ts';
import { useUrlParam } from '../../lib/url-state.ts';

/** `ok`, a failure, or a refusal, as a badge class. */
function badge(result: string): string {
  if (result === 'ok') return 'badge badge-ok';
  return result.startsWith('refused') ? 'badge badge-err' : 'badge badge-warn';
}

function Who({ entry }: { entry: AuditLogEntry }) {
  return (
    <>
      {entry.subject}
      {entry.role ? (
        <span className="subtle">
          {' '}
          ({entry.role}
          {entry.via ? `, ${entry.via}` : ''})
        </span>
      ) : null}
    </>
  );
}

/** Audit log of state changes (DLQ marks, redrives) and refused writes: who, what, when, from where. */
export function AuditLogPage() {
  // The page cursor lives in the URL, so a page of the log can be linked.
  const [beforeParam, setBefore] = useUrlParam('before');
  const parsed = Number.parseInt(beforeParam, 10);
  const before = Number.isSafeInteger(parsed) && parsed > 0 ? parsed : undefined;
  const query = useAuditLog(before);
  return (
    <>
      <div className="page-header">
        <h1>Audit log</h1>
        <span className="subtle">every state change and every refused attempt, newest first</span>
      </div>
      <QueryView query={query} what="the audit log">
        {(data) => (
          <section className="panel table-wrap" aria-label="Audit log entries">
            {data.entries.length === 0 ? (
              <Empty title={before === undefined ? 'No state changes recorded yet.' : 'No older entries.'} />
            ) : (
              <table>
                <thead>
                  <tr>
                    <th>When</th>
                    <th>Who</th>
                    <th>Action</th>
                    <th>Target</th>
                    <th>Result</th>
                    <th>From</th>
                  </tr>
                </thead>
                <tbody>
                  {data.entries.map((e) => (
                    <tr key={e.id}>
                      <td title={formatDateTime(e.timeMs)}>{formatRelative(e.timeMs)}</td>
                      <td>
                        <Who entry={e} />
                      </td>
                      <td className="mono">{e.action}</td>
                      <td className="mono">{e.target}</td>
                      <td title={e.detail ?? undefined}>
                        <span className={badge(e.result)}>{e.result}</span>
                      </td>
                      <td className="mono" title={e.userAgent ?? 'no user agent'}>
                        {e.remoteAddress}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
            <div className="pager">
              {before !== undefined ? (
                <button type="button" onClick={() => setBefore('')}>
                  Newest
                </button>
              ) : null}
              {data.nextBefore !== null ? (
                <button type="button" onClick={() => setBefore(String(data.nextBefore))}>
                  Older
                </button>
              ) : null}
            </div>
          </section>
        )}
      </QueryView>
    </>
  );
}
