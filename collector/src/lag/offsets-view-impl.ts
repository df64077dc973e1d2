/** OffsetsView over the monitor's last snapshot (never calls Kafka). */
import type { KafkaMonitor } from './monitor.ts';
import type { OffsetsView } from './offsets-view.ts';

export function createOffsetsView(monitor: KafkaMonitor): OffsetsView {
  const partitionOf = (topic: string, partition: number) =>
    monitor.snapshot?.topics.get(topic)?.partitions.find((p) => p.partition === partition);
  return {
    groupsForTopic(topic) {
      const out: string[] = [];
      for (const g of monitor.snapshot?.groups.values() ?? []) {
        const onTopic =
          g.partitions.some((p) => p.topic === topic) ||
          g.members.some((m) => Object.prototype.hasOwnProperty.call(m.assignment, topic));
        if (onTopic) out.push(g.group);
      }
      return out;
    },
    committedOffset(group, topic, partition) {
      return monitor.snapshot?.groups.get(group)?.partitions.find((p) => p.topic === topic && p.partition === partition)
        ?.committedOffset;
    },
    endOffset: (topic, partition) => partitionOf(topic, partition)?.end,
    startOffset: (topic, partition) => partitionOf(topic, partition)?.start,
    consumeRate(group, topic) {
      return monitor.snapshot?.groups.get(group)?.topics.find((t) => t.topic === topic)?.consumeRate ?? undefined;
    },
    snapshotTime: () => monitor.snapshot?.time,
  };
}
