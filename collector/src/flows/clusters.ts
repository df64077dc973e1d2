/**
 * Which Kafka cluster a consumer group's figures come from, for the flows and the loss audit
 * (docs/clusters.md, "Flows and the loss audit"). A snapshot knows its cluster; a delivery span
 * does not: it names a group, a topic, a partition and an offset, and the store keeps no more.
 * So a (group, topic) belongs to the first cluster, in config order (the primary first), whose
 * last snapshot has that group reading that topic; the primary when none has. Names come from
 * spans and snapshots (any string, `__proto__` included): looked up in Maps and Sets only.
 */
import type { OffsetsView } from '../lag/offsets-view.ts';

/** A cluster's name and its last snapshot's offsets (the lag plugin's MonitoredCluster is one). */
export interface ClusterOffsets {
  readonly name: string;
  readonly offsets: OffsetsView;
}

/**
 * The clusters of one answer or one audit run, in config order with the primary first (as
 * `app.clusters` lists them). Groups per topic are read once per cluster and remembered, so the
 * answer is consistent even if a poll finishes while it is assembled.
 */
export class ClusterLookup {
  readonly clusters: readonly ClusterOffsets[];
  private readonly readers = new Map<string, readonly ReadonlySet<string>[]>();

  constructor(clusters: readonly ClusterOffsets[]) {
    if (clusters.length === 0) throw new Error('unreachable: the lag plugin always has the primary cluster');
    this.clusters = clusters;
  }

  get primary(): ClusterOffsets {
    return this.clusters[0] as ClusterOffsets;
  }

  /** Position of the cluster in config order (sorting rows: the primary's first). */
  rank(cluster: ClusterOffsets): number {
    return this.clusters.indexOf(cluster);
  }

  private groupsPerCluster(topic: string): readonly ReadonlySet<string>[] {
    let sets = this.readers.get(topic);
    if (!sets) {
      sets = this.clusters.map((c) => new Set(c.offsets.groupsForTopic(topic)));
      this.readers.set(topic, sets);
    }
    return sets;
  }

  /** Every cluster with the groups its last snapshot has reading `topic` (sorted), in config order. */
  groupsReading(topic: string): { cluster: ClusterOffsets; groups: string[] }[] {
    const sets = this.groupsPerCluster(topic);
    return this.clusters.map((cluster, i) => ({ cluster, groups: [...(sets[i] ?? [])] }));
  }

  /** The first cluster whose last snapshot has `group` reading `topic`; undefined when none has. */
  find(group: string, topic: string): ClusterOffsets | undefined {
    const sets = this.groupsPerCluster(topic);
    const i = sets.findIndex((s) => s.has(group));
    return i < 0 ? undefined : this.clusters[i];
  }

  /** The cluster a delivery of `group` on `topic` is counted on: `find`, else the primary. */
  clusterOf(group: string, topic: string): ClusterOffsets {
    return this.find(group, topic) ?? this.primary;
  }

  /** When the oldest snapshot of the clusters that have one was taken (ms); undefined when none has. */
  oldestSnapshotMs(): number | undefined {
    let oldest: number | undefined;
    for (const c of this.clusters) {
      const t = c.offsets.snapshotTime();
      if (t !== undefined && (oldest === undefined || t < oldest)) oldest = t;
    }
    return oldest;
  }
}
