/**
 * Names as links, wherever they appear: a consumer group to its page, a topic to the groups
 * consuming it (or to its DLQ page when it is one), an event id to its event. No name is a
 * dead end.
 */
import { Fragment } from 'react';
import { Link } from 'react-router';
import { useClusterLink, withCluster } from '../lib/cluster-param.ts';
import { shortId } from '../lib/format.ts';
import { Breakable } from './Breakable.tsx';
import { CopyButton } from './CopyButton.tsx';

const enc = encodeURIComponent;

/**
 * A link on the Kafka cluster an answer names (`cluster`, e.g. the DLQ's that named the group),
 * else on the cluster picked.
 */
function useLinkOn(cluster: string | undefined): (to: string) => string {
  const picked = useClusterLink();
  return cluster === undefined ? picked : (to) => withCluster(to, cluster);
}

/** To the group, on `cluster` (the answer's that named it) or else the Kafka cluster picked. */
export function GroupLink({ group, cluster }: { group: string; cluster?: string | undefined }) {
  const link = useLinkOn(cluster);
  return (
    <Link to={link(`/groups/${enc(group)}`)}>
      <Breakable text={group} />
    </Link>
  );
}

/** "inventory, payments" as links (on `cluster`, as GroupLink); `empty` when there are none. */
export function GroupLinks({
  groups,
  cluster,
  empty = '—',
}: {
  groups: readonly string[];
  cluster?: string | undefined;
  empty?: string;
}) {
  if (groups.length === 0) return <>{empty}</>;
  return (
    <>
      {groups.map((g, i) => (
        <Fragment key={g}>
          {i > 0 ? ', ' : ''}
          <GroupLink group={g} cluster={cluster} />
        </Fragment>
      ))}
    </>
  );
}

/** To the groups consuming the topic (or its DLQ page), on `cluster` as GroupLink. */
export function TopicLink({
  topic,
  dlq = false,
  cluster,
}: {
  topic: string;
  dlq?: boolean;
  cluster?: string | undefined;
}) {
  const link = useLinkOn(cluster);
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
