/**
 * What the Kafka monitor (lag/) offers other capabilities (flows/ for "where is my event",
 * the loss audit): a read-only view of one cluster's LAST poll's snapshot. Never calls Kafka.
 * Offsets are numbers (safe up to 2^53, far beyond any real partition).
 */
export interface OffsetsView {
  /** Groups with committed offsets on (or an assignment of) `topic` in the last snapshot. */
  groupsForTopic(topic: string): string[];
  /** The group's committed offset: the next offset it will consume. */
  committedOffset(group: string, topic: string, partition: number): number | undefined;
  /** The partition's log end offset (high watermark). */
  endOffset(topic: string, partition: number): number | undefined;
  /** The partition's log start offset. */
  startOffset(topic: string, partition: number): number | undefined;
  /** Records per second the group consumed on the topic over the status window; undefined when unknown. */
  consumeRate(group: string, topic: string): number | undefined;
  /** Members of the group in the last snapshot (0: empty); undefined when the snapshot has no such group. */
  groupMembers(group: string): number | undefined;
  /** When the last successful snapshot was taken (ms since epoch); undefined before the first. */
  snapshotTime(): number | undefined;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The primary cluster's; every cluster's is `app.clusters.get(name).offsets`. Provided by the lag plugin. */
    offsets: OffsetsView;
  }
}
