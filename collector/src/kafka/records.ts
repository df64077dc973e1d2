/**
 * Bounded record reads (Fetch, never waiting for new data), for the lag cycle's "oldest
 * unconsumed record" timestamps and DLQ tails. `readRecordsByLeader` is client-independent (the
 * bench's kafkajs adapter, figure 4's old-client peer, runs the same plan with its own Fetch);
 * `fetchOn` is this adapter's Fetch over @platformatic/kafka.
 */
import { fetchV12, type RecordsBatch } from '@platformatic/kafka';
import { dict } from '../lib/safe-map.ts';
import { chunks, partitionKey, pushTo } from './batching.ts';
import { orPartial, type KafkaConnection } from './connection.ts';
import type { KafkaRecord, ReadRequest } from './types.ts';

/** A record as a Fetch answered it: `control` records (transaction markers) are not user data. */
export type FetchedRecord = Omit<KafkaRecord, 'topic' | 'partition'> & { control: boolean };

/** One partition of a Fetch answer; its records start at or before the requested offset. */
export interface FetchedPartition {
  topic: string;
  partition: number;
  errorCode: number;
  records: Iterable<FetchedRecord>;
}

/** One Fetch request to leader `nodeId` for `chunk`, each partition from its `offset`, at most `maxBytesPerPartition` each. */
export type FetchChunk<N> = (
  nodeId: N,
  chunk: ReadRequest[],
  maxBytesPerPartition: number,
) => Promise<Iterable<FetchedPartition>>;

/**
 * Bounded reads: for each request, the first record at or after `offset` (none when the
 * partition's first batch there is larger than `maxBytesPerPartition`, or the read fails).
 * One Fetch request per leader broker and chunk of partitions. `count` > 1 returns up to that
 * many records per request (used for DLQ tails). A request the broker answered with only control
 * records maps to [], one it answered with nothing is absent. Keys: `partitionKey`.
 */
export async function readRecordsByLeader<N>(
  requests: readonly ReadRequest[],
  options: { maxBytesPerPartition: number; count?: number },
  leaderOf: (topic: string, partition: number) => N | undefined,
  fetch: FetchChunk<N>,
): Promise<Map<string, KafkaRecord[]>> {
  const out = new Map<string, KafkaRecord[]>();
  const byBroker = new Map<N, ReadRequest[]>();
  for (const r of requests) {
    const nodeId = leaderOf(r.topic, r.partition);
    if (nodeId !== undefined) pushTo(byBroker, nodeId, r);
  }
  const count = options.count ?? 1;
  for (const [nodeId, list] of byBroker) {
    for (const chunk of chunks(list, 64)) {
      const wanted = new Map(chunk.map((r) => [partitionKey(r.topic, r.partition), r.offset]));
      for (const p of await fetch(nodeId, chunk, options.maxBytesPerPartition)) {
        const key = partitionKey(p.topic, p.partition);
        const from = wanted.get(key);
        if (from === undefined || p.errorCode !== 0) continue;
        const records: KafkaRecord[] = [];
        let anyRecord = false;
        for (const { control, ...rec } of p.records) {
          anyRecord = true;
          // A batch starts at or before the requested offset; control records are not user data.
          if (rec.offset < from || control) continue;
          records.push({ topic: p.topic, partition: p.partition, ...rec });
          if (records.length >= count) break;
        }
        // An empty list: the broker returned batches, but only control records (or records before `offset`).
        if (records.length > 0 || anyRecord) out.set(key, records);
      }
    }
  }
  return out;
}

// Record batch attributes (Kafka's DefaultRecordBatch).
const TIMESTAMP_TYPE_LOG_APPEND = 1 << 3;
const IS_CONTROL_BATCH = 1 << 5;

function headersOf(raw: readonly [Buffer | null, Buffer | null][]): Record<string, Buffer[]> {
  // Header names are data (`__proto__`, `constructor`): no prototype to collide with.
  const out = dict<Buffer[]>();
  for (const [name, value] of raw) {
    if (name === null) continue;
    const key = name.toString('utf8');
    const list = out[key] ?? [];
    // A header without a value (kcat `-H name`, Java's null) arrives as null: the name stays, with no values.
    if (value !== null) list.push(value);
    out[key] = list;
  }
  return out;
}

/** The records of a partition's batches, decoded lazily (a reader stops after `count`). */
function* recordsOf(batches: readonly RecordsBatch[]): Generator<FetchedRecord> {
  for (const batch of batches) {
    const control = (batch.attributes & IS_CONTROL_BATCH) !== 0;
    const logAppendTime = (batch.attributes & TIMESTAMP_TYPE_LOG_APPEND) !== 0;
    for (const rec of batch.records) {
      yield {
        offset: Number(batch.firstOffset + BigInt(rec.offsetDelta)),
        timestamp: Number(logAppendTime ? batch.maxTimestamp : batch.firstTimestamp + rec.timestampDelta),
        key: rec.key,
        value: rec.value,
        headers: headersOf(rec.headers),
        control,
      };
    }
  }
}

/** Fetch v12 over the adapter's connection to leader `nodeId`. */
export function fetchOn(kafka: KafkaConnection): FetchChunk<number> {
  return async (nodeId, chunk, maxBytesPerPartition) => {
    const conn = await kafka.call(() => kafka.connection(nodeId));
    const byTopic = new Map<
      string,
      {
        partition: number;
        currentLeaderEpoch: number;
        fetchOffset: bigint;
        lastFetchedEpoch: number;
        partitionMaxBytes: number;
      }[]
    >();
    for (const r of chunk) {
      pushTo(byTopic, r.topic, {
        partition: r.partition,
        currentLeaderEpoch: -1,
        fetchOffset: BigInt(r.offset),
        lastFetchedEpoch: -1,
        partitionMaxBytes: maxBytesPerPartition,
      });
    }
    // Fetch v12 names topics (v13+ use topic ids); the library's field is named topicId in both.
    const res = await kafka.call(() =>
      orPartial(
        fetchV12.api.async(
          conn,
          0, // never wait for new data
          1,
          maxBytesPerPartition * chunk.length,
          0, // read uncommitted: the oldest record a consumer has not passed, committed or not
          0, // no fetch session
          -1,
          [...byTopic].map(([topicId, partitions]) => ({ topicId, partitions })),
          [],
          '',
        ),
      ),
    );
    return res.responses.flatMap((t) =>
      t.partitions.map((p) => ({
        topic: t.topicId,
        partition: p.partitionIndex,
        errorCode: p.errorCode,
        records: recordsOf(p.records ?? []),
      })),
    );
  };
}
