/**
 * Names as links, wherever they appear: a consumer group to its page, a topic to the groups
 * consuming it (or to its DLQ page when it is one), an event id to its event. No name is a
 * dead end.
 */
import { Fragment } from 'react';
import { Link } from 'react-router';
import { useClusterLink } from '../lib/cluster-param.ts';
import { shortId } from '../lib/format.ts';
import { Breakable } from './Breakable.tsx';
import { CopyButton } from './CopyButton.tsx';

const enc = encodeURIComponent;

/** To the group, on the Kafka cluster picked. */
export function GroupLink({ group }: { group: string }) {
  const link = useClusterLink();
  return (
    <Link to={link(`/groups/${enc(group)}`)}>
      <Breakable text={group} />
    </Link>
  );
}

/** "inventory, payments" as links; `empty` when there are none. */
export function GroupLinks({ groups, empty = '—' }: { groups: readonly string[]; empty?: string }) {
  if (groups.length === 0) return <>{empty}</>;
  return (
    <>
      {groups.map((g, i) => (
        <Fragment key={g}>
          {i > 0 ? ', ' : ''}
          <GroupLink group={g} />
        </Fragment>
      ))}
    </>
  );
}

export function TopicLink({ topic, dlq = false }: { topic: string; dlq?: boolean }) {
  const link = useClusterLink();
  const to = link(dlq ? `/dlqs/${enc(topic)}` : `/groups?q=${enc(topic)}`);
  return (
    <Link to={to} title={dlq ? `Dead-letter queue ${topic}` : `Groups consuming ${topic}`}>
      <Breakable text={topic} />
    </Link>
  );
}

/** A short event id linking to its event, and a button copying the whole id; `—` without one. */
export function EventIdLink({ eventId }: { eventId: string | null | undefined }) {
  if (!eventId) return <>—</>;
  return (
    <>
      <Link to={`/events/${enc(eventId)}`} title={eventId}>
        {shortId(eventId)}
      </Link>
      <CopyButton text={eventId} label={`event id ${eventId}`} />
    </>
  );
}
