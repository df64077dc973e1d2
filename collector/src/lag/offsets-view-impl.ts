/** OffsetsView over the monitor's last snapshot (never calls Kafka); lookups indexed once per snapshot. */
import type { PartitionOffsets } from '../kafka/index.ts';
import type { KafkaMonitor } from './monitor.ts';
import type { OffsetsView } from './offsets-view.ts';
import type { Snapshot } from './types.ts';

/** Lookups by name, then by partition number: no key string per partition or group-partition. */
interface Index {
  /** topic -> partition -> log offsets. */
  partitions: Map<string, (PartitionOffsets | undefined)[]>;
  /** group -> topic -> partition -> committed offset. */
  committed: Map<string, Map<string, (number | undefined)[]>>;
  groupsByTopic: Map<string, string[]>;
}

function buildIndex(snapshot: Snapshot): Index {
  const partitions = new Map<string, (PartitionOffsets | undefined)[]>();
  for (const t of snapshot.topics.values()) {
    const list: (PartitionOffsets | undefined)[] = [];
    for (const p of t.partitions) list[p.partition] = p;
    partitions.set(t.topic, list);
  }
  const committed = new Map<string, Map<string, (number | undefined)[]>>();
  const groupsByTopic = new Map<string, Set<string>>();
  const addGroup = (topic: string, group: string): void => {
    const set = groupsByTopic.get(topic) ?? new Set<string>();
    set.add(group);
    groupsByTopic.set(topic, set);
  };
  for (const g of snapshot.groups.values()) {
    const byTopic = new Map<string, (number | undefined)[]>();
    let topic: string | undefined;
    let offsets: (number | undefined)[] = [];
    for (const p of g.partitions) {
      if (p.topic !== topic) {
        topic = p.topic;
        offsets = byTopic.get(topic) ?? [];
        byTopic.set(topic, offsets);
        addGroup(topic, g.group);
      }
      offsets[p.partition] = p.committedOffset;
    }
    committed.set(g.group, byTopic);
    for (const m of g.members) for (const t of Object.keys(m.assignment)) addGroup(t, g.group);
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
    committedOffset: (group, topic, partition) => index()?.committed.get(group)?.get(topic)?.[partition],
    endOffset: (topic, partition) => index()?.partitions.get(topic)?.[partition]?.end,
    startOffset: (topic, partition) => index()?.partitions.get(topic)?.[partition]?.start,
    consumeRate: (group, topic) =>
      monitor.snapshot?.groups.get(group)?.topics.find((t) => t.topic === topic)?.consumeRate ?? undefined,
    groupMembers: (group) => monitor.snapshot?.groups.get(group)?.members.length,
    snapshotTime: () => monitor.snapshot?.time,
  };
}
