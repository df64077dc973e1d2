/**
 * Where to go from a consumer group: the sagas it took part in, the DLQs it dead-letters
 * into, the loss audit. Also what the group page shows for a group Kafka no longer reports
 * (finished, deleted): what eventscope still knows instead of a dead end.
 */
import { Link } from 'react-router';
import { useDlqs } from '../../api/queries.ts';

const enc = encodeURIComponent;

export function GroupRelated({ group }: { group: string }) {
  const dlqs = useDlqs();
  // The group's DLQs: those whose records name it, or `<group>.dlq` by the naming convention.
  const own = (dlqs.data?.dlqs ?? []).filter((d) => d.groups.includes(group) || d.topic === `${group}.dlq`);
  return (
    <nav className="related" aria-label="Related">
      <Link to={`/sagas?group=${enc(group)}`}>Sagas through {group}</Link>
      {own.map((d) => (
        <Link key={d.topic} to={`/dlqs/${enc(d.topic)}`}>
          DLQ {d.topic} ({d.depth})
        </Link>
      ))}
      {dlqs.data && own.length === 0 ? <span className="subtle">no DLQ names this group</span> : null}
      <Link to="/audit">Loss and duplicate audit</Link>
    </nav>
  );
}

/** A group the collector's last Kafka poll does not have (404): say so and point at what is known. */
export function GoneGroup({ group }: { group: string }) {
  return (
    <section className="panel state" aria-label="Group not in Kafka">
      <strong>Kafka does not report the group {group} now.</strong>
      <p>
        It has finished and was deleted, its offsets expired, or the collector&apos;s group filter
        (EVENTSCOPE_GROUPS_INCLUDE / _EXCLUDE) leaves it out. Its lag is not known any more; what it processed is: the
        sagas it took part in, the records it dead-lettered and the audit&apos;s findings stay, through the links above.
      </p>
    </section>
  );
}
