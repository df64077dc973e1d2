import { CopyButton } from '../../components/CopyButton.tsx';
import { Link, useParams } from 'react-router';
import { useClusters, useEventLookup } from '../../api/queries.ts';
import { type EventView, type GroupView } from '../../api/types.ts';
import { OutcomeBadge } from '../../components/StatusBadge.tsx';
import { DataTable } from '../../components/DataTable.tsx';
import { GroupLink } from '../../components/NameLinks.tsx';
import { QueryView } from '../../components/states.tsx';
import {
  formatClockMs,
  formatCount,
  formatDateTime,
  formatDuration,
  formatInteger,
  formatRelative,
  formatSeconds,
} from '../../lib/format.ts';

const enc = encodeURIComponent;

/** Groups that are done with the event (processed it, even twice). */
export function isDone(g: GroupView): boolean {
  return g.state === 'processed' || g.state === 'duplicate';
}

function Where({ g }: { g: GroupView }) {
  const last = g.deliveries[g.deliveries.length - 1];
  if (g.state === 'pending' || (g.pending && !isDone(g))) {
    const p = g.pending;
    return (
      <>
        not yet: {p?.position === null || !p ? 'position unknown' : `${formatCount(p.position)} messages ahead of it`}
        {p?.estimatedWaitSeconds != null ? `, about ${formatSeconds(p.estimatedWaitSeconds)} to go` : ''}
        {p?.committedOffset != null ? ` (committed offset ${formatInteger(p.committedOffset)})` : ''}
      </>
    );
  }
  if (g.state === 'passed_without_delivery')
    return <>the group's committed offset passed it with no delivery and no DLQ entry: unaccounted</>;
  if (g.state === 'dead_lettered') {
    const dlq = g.deliveries.find((d) => d.dlqTopic)?.dlqTopic;
    return (
      <>
        dead-lettered
        {dlq ? (
          <>
            {' '}
            to <Link to={`/dlqs/${enc(dlq)}`}>{dlq}</Link>
          </>
        ) : null}
      </>
    );
  }
  if (g.state === 'retrying') return <>retrying (attempt {last?.attempt ?? '?'})</>;
  if (g.state === 'failed') return <>failed (attempt {last?.attempt ?? '?'})</>;
  return (
    <>
      processed{g.processedCount > 1 ? ` ${g.processedCount} times` : ''}
      {last
        ? ` at ${formatClockMs(last.endMs)}, queue ${formatDuration(last.queueTimeMs)}, processing ${formatDuration(last.processingTimeMs)}`
        : ''}
    </>
  );
}

/** What the event is: its record, publish, saga, cause and trace. */
function EventSummary({ d }: { d: EventView }) {
  return (
    <section className="panel" aria-label="Event">
      <h2>{d.eventType ?? 'unknown event type'}</h2>
      <dl className="kv" style={{ marginTop: 8 }}>
        <dt>Record</dt>
        <dd>
          {d.record
            ? `${d.record.topic} / partition ${d.record.partition} @ offset ${formatInteger(d.record.offset)}`
            : 'not known'}
        </dd>
        <dt>Published</dt>
        <dd>
          {d.publish ? `${formatDateTime(d.publish.timeMs)} by ${d.publish.service}` : 'no publish span received'}
        </dd>
        <dt>Saga</dt>
        <dd className="mono">
          {d.correlationId ? (
            <Link to={`/sagas/${enc(d.correlationId)}`}>{d.correlationId}</Link>
          ) : (
            'none (no correlation-id)'
          )}
        </dd>
        <dt>Caused by</dt>
        <dd className="mono">
          {d.causationId ? <Link to={`/events/${enc(d.causationId)}`}>{d.causationId}</Link> : 'nothing (first event)'}
        </dd>
        <dt>Trace</dt>
        <dd className="mono">
          {d.publish ? <Link to={`/traces/${enc(d.publish.traceId)}`}>{d.publish.traceId}</Link> : 'unknown'}
        </dd>
        {d.republishes.length ? (
          <>
            <dt>Re-published to</dt>
            <dd>{d.republishes.map((p) => `${p.topic} (${p.service})`).join(', ')}</dd>
          </>
        ) : null}
      </dl>
    </section>
  );
}

/** A group row's identity: the same group name on two Kafka clusters is two rows. */
const rowKey = (g: GroupView): string => JSON.stringify([g.cluster, g.group, g.topic]);

/**
 * Every group that reads the event's topic, on every Kafka cluster: the ones not done with it
 * first. With several clusters (configured, or named by the rows) a Cluster column says whose
 * group each row is; a group links to its page on that cluster.
 */
function WhereIsIt({ d }: { d: EventView }) {
  const clusters = useClusters().data?.clusters ?? [];
  const done = d.groups.filter(isDone);
  const notDone = d.groups.filter((g) => !isDone(g));
  const showCluster = clusters.length > 1 || new Set(d.groups.map((g) => g.cluster)).size > 1;
  // A pending row has no delivery: the service is that of the same group's deliveries on its cluster.
  const services = new Map<string, string>();
  for (const g of d.groups) {
    const service = g.deliveries[0]?.service;
    const key = JSON.stringify([g.cluster, g.group]);
    if (service !== undefined && !services.has(key)) services.set(key, service);
  }
  return (
    <section className="panel" aria-label="Where is it">
      <h2>
        Processed by {done.length} of {d.groups.length} group{d.groups.length === 1 ? '' : 's'}
      </h2>
      {d.offsetsSnapshotMs !== null ? (
        <p className="subtle">Positions from the Kafka snapshot {formatRelative(d.offsetsSnapshotMs)}.</p>
      ) : null}
      <DataTable
        rows={[...notDone, ...done]}
        columns={[
          'Group',
          ...(showCluster ? ['Cluster'] : []),
          'Topic',
          'Service',
          'State',
          'Where',
          { label: 'Deliveries', className: 'num' },
        ]}
        empty="No consumer group has read or is reading this topic."
        label="Groups"
      >
        {(g) => (
          <tr key={rowKey(g)}>
            <td>
              <GroupLink group={g.group} cluster={g.cluster} />
            </td>
            {showCluster ? <td>{g.cluster}</td> : null}
            <td>{g.topic}</td>
            <td>{services.get(JSON.stringify([g.cluster, g.group])) ?? '—'}</td>
            <td>
              <OutcomeBadge outcome={g.state} />
              {g.duplicate && g.state !== 'duplicate' ? (
                <>
                  {' '}
                  <OutcomeBadge outcome="duplicate" />
                </>
              ) : null}
            </td>
            <td>
              <Where g={g} />
            </td>
            <td className="num">{g.deliveries.length}</td>
          </tr>
        )}
      </DataTable>
    </section>
  );
}

/** "Where is event X": every group that has and has not processed it. */
export function EventPage() {
  const { eventId = '' } = useParams();
  const query = useEventLookup(eventId);
  return (
    <>
      <div className="breadcrumb">Event lookup /</div>
      <div className="page-header">
        <h1>
          Event <span className="mono">{eventId}</span>
        </h1>
        <CopyButton text={eventId} label="event id" />
        {query.data?.deadLettered ? <OutcomeBadge outcome="dead_lettered" /> : null}
        {query.data?.duplicate ? <OutcomeBadge outcome="duplicate" /> : null}
      </div>
      <QueryView query={query} what={`event ${eventId}`}>
        {(d) => (
          <>
            <EventSummary d={d} />
            <WhereIsIt d={d} />
          </>
        )}
      </QueryView>
    </>
  );
}
