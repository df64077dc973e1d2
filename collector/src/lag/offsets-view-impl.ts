/** OffsetsView over the monitor's last snapshot (never calls Kafka); lookups indexed once per snapshot. */
import type { PartitionOffsets } from '../kafka/index.ts';
import type { KafkaMonitor } from './monitor.ts';
import type { OffsetsView } from './offsets-view.ts';
import type { Snapshot } from './types.ts';

interface Index {
  partitions: Map<string, PartitionOffsets>;
  committed: Map<string, number>;
  groupsByTopic: Map<string, string[]>;
}

const key = (...parts: (string | number)[]): string => parts.join('\u0000');

function buildIndex(snapshot: Snapshot): Index {
  const partitions = new Map<string, PartitionOffsets>();
  for (const t of snapshot.topics.values()) for (const p of t.partitions) partitions.set(key(t.topic, p.partition), p);
  const committed = new Map<string, number>();
  const groupsByTopic = new Map<string, Set<string>>();
  const addGroup = (topic: string, group: string): void => {
    const set = groupsByTopic.get(topic) ?? new Set<string>();
    set.add(group);
    groupsByTopic.set(topic, set);
  };
  for (const g of snapshot.groups.values()) {
    for (const p of g.partitions) {
      committed.set(key(g.group, p.topic, p.partition), p.committedOffset);
      addGroup(p.topic, g.group);
    }
    for (const m of g.members) for (const topic of Object.keys(m.assignment)) addGroup(topic, g.group);
  }
  return {
    partitions,
    committed,
    groupsByTopic: new Map([...groupsByTopic].map(([t, set]) => [t, [...set].sort()])),
  };
}

export function createOffsetsView(monitor: KafkaMonitor): OffsetsView {
  const indexes = new WeakMap<Snapshot, Index>();
  const index = (): Index | undefined => {
    const snapshot = monitor.snapshot;
    if (!snapshot) return undefined;
    let i = indexes.get(snapshot);
    if (!i) {
      i = buildIndex(snapshot);
      indexes.set(snapshot, i);
    }
    return i;
  };
  return {
    groupsForTopic: (topic) => [...(index()?.groupsByTopic.get(topic) ?? [])],
    committedOffset: (group, topic, partition) => index()?.committed.get(key(group, topic, partition)),
    endOffset: (topic, partition) => index()?.partitions.get(key(topic, partition))?.end,
    startOffset: (topic, partition) => index()?.partitions.get(key(topic, partition))?.start,
    consumeRate: (group, topic) =>
      monitor.snapshot?.groups.get(group)?.topics.find((t) => t.topic === topic)?.consumeRate ?? undefined,
    groupMembers: (group) => monitor.snapshot?.groups.get(group)?.members.length,
    snapshotTime: () => monitor.snapshot?.time,
  };
}
