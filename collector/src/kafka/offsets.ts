/**
 * Log start and end offsets of whole topics, one ListOffsets request per partition leader and
 * chunk of topics. `topicOffsetsByLeader` is client-independent (the bench's kafkajs adapter,
 * figure 4's old-client peer, runs the same plan with its own request); `listOffsetsOn` is this
 * adapter's request over @platformatic/kafka.
 */
import { listOffsetsV9 } from '@platformatic/kafka';
import { chunks, mapLimit, pushTo } from './batching.ts';
import type { KafkaConnection } from './connection.ts';
import type { PartitionOffsets } from './types.ts';

/** The partitions of one topic that one request asks about. */
export interface TopicPartitions {
  topic: string;
  partitions: number[];
}

/** The offset a ListOffsets request answered for one partition. */
export interface ListedOffset {
  topic: string;
  partition: number;
  offset: number;
}

/** One ListOffsets request to leader `nodeId`: `which` end (latest, the high watermark) or start (earliest). */
export type ListOffsets<N> = (
  nodeId: N,
  spec: TopicPartitions[],
  which: 'start' | 'end',
) => Promise<Iterable<ListedOffset>>;

/**
 * Log start and end offsets (high watermark, as Kafka's consumer-groups tool reports) of
 * every partition of `topics`, from `leaders` (topic -> partition -> leader node): one
 * ListOffsets request per leader and chunk for the end offsets and one for the start offsets.
 * A chunk that fails is retried topic by topic, so one bad topic is skipped (its entry is the
 * Error) without failing the others.
 */
export async function topicOffsetsByLeader<N>(
  topics: readonly string[],
  leaders: ReadonlyMap<string, ReadonlyMap<number, N>>,
  concurrency: number,
  listOffsets: ListOffsets<N>,
): Promise<Map<string, PartitionOffsets[] | Error>> {
  const out = new Map<string, PartitionOffsets[] | Error>();
  const byLeader = new Map<N, string[]>();
  for (const topic of topics) {
    const ofTopic = leaders.get(topic);
    if (!ofTopic || ofTopic.size === 0) {
      out.set(topic, new Error(`no partition leaders known for ${topic}`));
      continue;
    }
    // A topic's partitions may have several leaders; group the topic under each.
    for (const nodeId of new Set(ofTopic.values())) pushTo(byLeader, nodeId, topic);
  }
  const collected = new Map<string, Map<number, { start?: number; end?: number }>>();
  const request = async (nodeId: N, chunk: string[]): Promise<void> => {
    const spec = chunk.map((topic) => ({
      topic,
      partitions: [...(leaders.get(topic) ?? [])].filter(([, leader]) => leader === nodeId).map(([p]) => p),
    }));
    const [ends, starts] = await Promise.all([listOffsets(nodeId, spec, 'end'), listOffsets(nodeId, spec, 'start')]);
    for (const [listed, field] of [
      [ends, 'end'],
      [starts, 'start'],
    ] as const) {
      for (const { topic, partition, offset } of listed) {
        const parts = collected.get(topic) ?? new Map<number, { start?: number; end?: number }>();
        const entry = parts.get(partition) ?? {};
        entry[field] = offset;
        parts.set(partition, entry);
        collected.set(topic, parts);
      }
    }
  };
  const jobs = [...byLeader].flatMap(([nodeId, list]) => chunks(list, 100).map((chunk) => ({ nodeId, chunk })));
  await mapLimit(jobs, concurrency, async ({ nodeId, chunk }) => {
    try {
      await request(nodeId, chunk);
    } catch {
      await mapLimit(chunk, concurrency, async (topic) => {
        try {
          await request(nodeId, [topic]);
        } catch (err) {
          out.set(topic, err instanceof Error ? err : new Error(String(err)));
        }
      });
    }
  });
  for (const topic of topics) {
    if (out.has(topic)) continue;
    const parts = collected.get(topic);
    const expected = leaders.get(topic)?.size ?? 0;
    const offsets = [...(parts ?? [])]
      .filter(([, o]) => o.start !== undefined && o.end !== undefined)
      .map(([partition, o]) => ({ partition, start: o.start as number, end: o.end as number }))
      .sort((a, b) => a.partition - b.partition);
    out.set(topic, offsets.length === expected && expected > 0 ? offsets : new Error(`offsets of ${topic} incomplete`));
  }
  return out;
}

/** ListOffsets v9 over the adapter's connection to leader `nodeId`. */
export function listOffsetsOn(kafka: KafkaConnection): ListOffsets<number> {
  return async (nodeId, spec, which) => {
    const conn = await kafka.connection(nodeId);
    // -1: latest (end), -2: earliest (start). READ_UNCOMMITTED (0): the high watermark.
    const timestamp = which === 'end' ? -1n : -2n;
    const topics = spec.map(({ topic, partitions }) => ({
      name: topic,
      partitions: partitions.map((partitionIndex) => ({ partitionIndex, currentLeaderEpoch: -1, timestamp })),
    }));
    const res = await kafka.call(() => listOffsetsV9.api.async(conn, -1, 0, topics));
    return res.topics.flatMap((t) =>
      t.partitions.map((p) => ({ topic: t.name, partition: p.partitionIndex, offset: Number(p.offset) })),
    );
  };
}
