import { Link } from 'react-router';
import { CopyButton } from '../../components/CopyButton.tsx';
import { GroupLink, TopicLink } from '../../components/NameLinks.tsx';
import { type DlqRecord } from '../../api/types.ts';
import { formatDateTime, formatInteger, formatRelative, shortId } from '../../lib/format.ts';
import './redrive.css';

function Headers({ headers }: { headers: Record<string, string> }) {
  const entries = Object.entries(headers).sort(([a], [b]) => a.localeCompare(b));
  if (entries.length === 0) return <p className="subtle">No headers.</p>;
  return (
    <dl className="kv" aria-label="Headers">
      {entries.map(([k, v]) => (
        <div key={k} style={{ display: 'contents' }}>
          <dt className="mono">{k}</dt>
          <dd className="mono">
            {v}
            <CopyButton text={v} label={k} />
          </dd>
        </div>
      ))}
    </dl>
  );
}

export { Headers };

/** The payload as shown and copied: a string as is, decoded data as indented JSON. */
function payloadText(data: unknown): string {
  return typeof data === 'string' ? data : JSON.stringify(data, null, 2);
}

/** "redriven ×2": the record went out again, with a link to the last redrive that sent it. */
function RedrivenMark({ redrives }: { redrives: DlqRecord['redrives'] }) {
  const last = redrives[redrives.length - 1];
  if (!last) return null;
  return (
    <>
      {' · '}
      <Link
        to={`/redrives/${encodeURIComponent(last.id)}`}
        className="badge badge-info"
        title={`Redriven ${redrives.map((r) => formatDateTime(r.atMs)).join(', ')}`}
      >
        redriven{redrives.length > 1 ? ` ×${redrives.length}` : ''} {formatRelative(last.atMs)}
      </Link>
    </>
  );
}

/**
 * One DLQ record: summary line, then headers and the decoded payload on expand. With `onPick`
 * (operators), a checkbox picks it for a redrive by offset.
 */
export function DlqRecordView({
  record,
  cluster,
  open = false,
  picked,
  onPick,
}: {
  record: DlqRecord;
  /** The DLQ's Kafka cluster: its original topic and group are on it. */
  cluster: string;
  open?: boolean;
  picked?: boolean | undefined;
  onPick?: (() => void) | undefined;
}) {
  const details = <RecordDetails record={record} cluster={cluster} open={open} />;
  if (!onPick) return details;
  return (
    <div className="record-pick">
      <input
        type="checkbox"
        checked={picked ?? false}
        onChange={onPick}
        aria-label={`Pick record ${record.partition}@${record.offset} for a redrive`}
      />
      {details}
    </div>
  );
}

function RecordDetails({ record, cluster, open }: { record: DlqRecord; cluster: string; open: boolean }) {
  return (
    <details className="record" open={open}>
      {/* The summary is the toggle: text only (a link or button inside it is a control within a control). */}
      <summary>
        <strong>{record.errorClass ?? 'unknown error'}</strong>{' '}
        <span className="subtle">
          {record.originalTopic ?? '?'}/{record.originalPartition ?? '?'}@{formatInteger(record.originalOffset)} ·{' '}
          {record.consumerGroup ?? 'unknown group'} ·{' '}
          {record.attempts === 1 ? '1 attempt' : `${record.attempts ?? '?'} attempts`} ·{' '}
          <span title={formatDateTime(record.timestamp)}>{formatRelative(record.timestamp)}</span>
          {record.eventId ? ` · event ${shortId(record.eventId)}` : ''}
        </span>
        {record.redrives.length ? (
          <span className="badge badge-info">
            redriven{record.redrives.length > 1 ? ` ×${record.redrives.length}` : ''}
          </span>
        ) : null}
      </summary>
      <p className="subtle">
        {record.originalTopic ? <TopicLink topic={record.originalTopic} cluster={cluster} /> : 'unknown topic'} ·{' '}
        {record.consumerGroup ? <GroupLink group={record.consumerGroup} cluster={cluster} /> : 'unknown group'}
        {record.eventId ? (
          <>
            {' · '}
            <Link to={`/events/${encodeURIComponent(record.eventId)}`} title={record.eventId}>
              event {shortId(record.eventId)}
            </Link>
            <CopyButton text={record.eventId} label={`event id ${record.eventId}`} />
          </>
        ) : null}
        <RedrivenMark redrives={record.redrives} />
      </p>
      {record.errorMessage ? <p className="mono">{record.errorMessage}</p> : null}
      {record.firstFailureTime ? (
        <p className="subtle">
          First failure {formatDateTime(record.firstFailureTime)}
          {record.lastFailureTime ? `, last ${formatDateTime(record.lastFailureTime)}` : ''}
          {record.correlationId ? (
            <>
              {' · saga '}
              <Link to={`/sagas/${encodeURIComponent(record.correlationId)}`}>{record.correlationId}</Link>
            </>
          ) : null}
        </p>
      ) : null}
      <div className="grid-2">
        <div>
          <h3>
            Headers <span className="subtle">(all, as received)</span>
          </h3>
          <Headers headers={record.headers} />
          {record.headerErrors.length > 0 ? (
            <ul className="subtle" aria-label="Header problems">
              {record.headerErrors.map((e) => (
                <li key={e}>{e}</li>
              ))}
            </ul>
          ) : null}
        </div>
        <div>
          <h3>
            Payload{record.eventType ? ` (${record.eventType})` : ''}{' '}
            <span className="subtle">
              {record.value.encoding}
              {record.value.schemaId !== null ? `, schema ${record.value.schemaId}` : ''}
            </span>
          </h3>
          {record.value.truncated ? (
            <p className="subtle">
              Too large to show whole: the first part of {formatInteger(record.value.sizeBytes)} bytes.
            </p>
          ) : null}
          {record.value.decodeError ? (
            <p className="subtle">Could not decode the value: {record.value.decodeError}</p>
          ) : null}
          {record.value.encoding === 'null' ? (
            <p className="subtle">Empty value (tombstone).</p>
          ) : record.value.data !== null && record.value.data !== undefined ? (
            <>
              <CopyButton text={payloadText(record.value.data)} label="payload" />
              <pre className="payload">{payloadText(record.value.data)}</pre>
            </>
          ) : null}
          <div className="subtle">
            key <code>{record.key ?? 'null'}</code> · DLQ partition {record.partition} offset{' '}
            {formatInteger(record.offset)}
          </div>
        </div>
      </div>
    </details>
  );
}
