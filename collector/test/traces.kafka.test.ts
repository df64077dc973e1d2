/**
 * The OTLP-in-Kafka receiver (traces/kafka/): two collector processes in one consumer group read
 * a 4-partition topic of OTLP protobuf exports, as the OpenTelemetry Collector's Kafka exporter
 * writes them (`encoding: otlp_proto`: the value is the ExportTraceServiceRequest); one dies by
 * `kill -9` mid-stream and the other takes its partitions. No span is lost, and a span stored by
 * both is one the dead collector had stored but not yet committed (its record is read again from
 * the last committed offset): a store shared by the two (PostgreSQL) ignores it the second time,
 * as each SQLite store here does within itself.
 */
import type { RecordMetadata } from 'kafkajs';
import { afterAll, describe, expect, it } from 'vitest';
import { SqliteStore } from '../src/store/sqlite.ts';
import { decodeRecord } from '../src/traces/kafka/index.ts';
import { spawnCollector, type CollectorProcess } from './collector-process.ts';
import { connectAdmin, connectProducer, removeDir, uniqueName, waitFor } from './kafka-helpers.ts';
import { hex, kafkaSpan, protobufExport, serviceSpans } from './traces-helpers.ts';

const PARTITIONS = 4;
const RECORDS = 240;
const SPANS_PER_RECORD = 5;
/** Traces the spans are spread over (the store is read back per trace). */
const TRACES = Array.from({ length: 8 }, () => hex(16));

/** Record i's export: SPANS_PER_RECORD producer spans, event ids naming the record. */
function exportOf(i: number, topic: string): Buffer {
  const now = Date.now();
  const spans = Array.from({ length: SPANS_PER_RECORD }, (_, j) =>
    kafkaSpan({
      kind: 'producer',
      topic,
      eventId: `r${i}-s${j}`,
      startMs: now,
      type: 'order.placed',
      corr: `saga-${i}`,
      traceId: TRACES[i % TRACES.length],
    }),
  );
  return protobufExport([serviceSpans('kafka-exporter-test', spans)]);
}

/** Event ids of the spans in one collector's store (its SQLite file, read after the process is gone). */
async function storedEventIds(dataDir: string): Promise<string[]> {
  const store = new SqliteStore({ file: `${dataDir}/eventscope.sqlite` });
  try {
    const ids: string[] = [];
    for (const t of TRACES) for (const p of (await store.trace(t)).publishes) ids.push(p.eventId ?? '');
    return ids;
  } finally {
    await store.close();
  }
}

const procs: CollectorProcess[] = [];
const dataDirs: string[] = [];
afterAll(async () => {
  for (const p of procs) await p.stop(true);
  for (const d of dataDirs) removeDir(d);
}, 60_000);

describe('decodeRecord', () => {
  it('decodes an OTLP protobuf export and names what is not one', () => {
    const decoded = decodeRecord(exportOf(1, 't'));
    expect(decoded).not.toBe('undecodable');
    expect(typeof decoded === 'object' ? decoded.spans.map((s) => s.attributes['messaging.message.id']) : []).toEqual([
      'r1-s0',
      'r1-s1',
      'r1-s2',
      'r1-s3',
      'r1-s4',
    ]);
    expect(decodeRecord(null)).toBe('empty');
    expect(decodeRecord(Buffer.alloc(0))).toBe('empty');
    expect(decodeRecord(Buffer.from('{"resourceSpans":[]}'))).toBe('undecodable');
    expect(decodeRecord(Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f]))).toBe('undecodable');
  });
});

describe('OTLP in Kafka, two collectors in one group', () => {
  it('stores every span after one of them is killed mid-stream', async () => {
    const topic = uniqueName('otlp-spans');
    const group = uniqueName('eventscope-otlp');
    const admin = await connectAdmin();
    const producer = await connectProducer();
    try {
      await admin.createTopics({ topics: [{ topic, numPartitions: PARTITIONS }], waitForLeaders: true });
      const env = {
        EVENTSCOPE_OTLP_KAFKA_TOPICS: topic,
        EVENTSCOPE_OTLP_KAFKA_GROUP: group,
        EVENTSCOPE_POLL_INTERVAL_MS: '60000',
      };
      const [dead, survivor] = await Promise.all([spawnCollector(env), spawnCollector(env)]);
      procs.push(dead, survivor);
      dataDirs.push(dead.dataDir, survivor.dataDir);
      await waitFor(
        'both collectors in the group, each with partitions',
        async () => {
          const d = (await admin.describeGroups([group])).groups[0];
          return d?.state === 'Stable' && d.members.length === 2;
        },
        60_000,
      );

      // Record i goes to partition i % 4; its offset is known from the produce result.
      const offsetOf = new Map<number, { partition: number; offset: number }>();
      const send = async (from: number, to: number): Promise<void> => {
        const idx = Array.from({ length: to - from }, (_, k) => from + k);
        const meta: RecordMetadata[] = await producer.send({
          topic,
          messages: idx.map((i) => ({ partition: i % PARTITIONS, value: exportOf(i, topic) })),
        });
        for (const p of new Set(idx.map((i) => i % PARTITIONS))) {
          const base = Number(meta.find((m) => m.partition === p)?.baseOffset);
          idx
            .filter((i) => i % PARTITIONS === p)
            .forEach((i, k) => offsetOf.set(i, { partition: p, offset: base + k }));
        }
      };
      // The first half, then the kill once the one to die has stored part of it.
      for (let i = 0; i < RECORDS / 2; i += 20) await send(i, i + 20);
      await waitFor(
        'the collector to die storing records',
        async () => (await dead.metric('eventscope_otlp_kafka_records_total', { outcome: 'stored' })) >= 20,
        60_000,
      );
      await dead.kill9();
      const committed = await admin.fetchOffsets({ groupId: group, topics: [topic] });
      const committedAtKill = new Map(
        (committed[0]?.partitions ?? []).map((p) => [p.partition, Math.max(0, Number(p.offset))]),
      );
      for (let i = RECORDS / 2; i < RECORDS; i += 20) await send(i, i + 20);
      // Records that are no export: counted and skipped, never a stalled partition.
      await producer.send({
        topic,
        messages: [
          { partition: 0, value: Buffer.from('not protobuf \u0000\uffff') },
          { partition: 1, value: null },
        ],
      });

      // The survivor takes the dead one's partitions (its session expires) and reads to the end.
      const ends = await admin.fetchTopicOffsets(topic);
      await waitFor(
        'the group committed to the end of every partition',
        async () => {
          const c = await admin.fetchOffsets({ groupId: group, topics: [topic] });
          const at = new Map((c[0]?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]));
          return ends.every((e) => at.get(e.partition) === Number(e.high));
        },
        90_000,
      );
      expect(await survivor.metric('eventscope_otlp_kafka_records_total', { outcome: 'undecodable' })).toBe(1);
      expect(await survivor.metric('eventscope_otlp_kafka_records_total', { outcome: 'empty' })).toBe(1);
      await survivor.stop(true);

      const inDead = await storedEventIds(dead.dataDir);
      const inSurvivor = await storedEventIds(survivor.dataDir);
      const all = Array.from({ length: RECORDS }, (_, i) =>
        Array.from({ length: SPANS_PER_RECORD }, (_, j) => `r${i}-s${j}`),
      ).flat();
      // Each store holds a span at most once; together they hold every span.
      expect(new Set(inDead).size).toBe(inDead.length);
      expect(new Set(inSurvivor).size).toBe(inSurvivor.length);
      const union = new Set([...inDead, ...inSurvivor]);
      expect(all.filter((id) => !union.has(id))).toEqual([]);
      expect(union.size).toBe(all.length);
      // The dead one stored part of the stream before it died.
      expect(inDead.length).toBeGreaterThanOrEqual(20 * SPANS_PER_RECORD);
      // Stored by both: only records at or after the dead one's last committed offset.
      const survivorIds = new Set(inSurvivor);
      const twice = inDead.filter((id) => survivorIds.has(id));
      const recordOf = (id: string): number => Number(/^r(\d+)-/.exec(id)?.[1]);
      const committedTwice = twice.filter((id) => {
        const at = offsetOf.get(recordOf(id)) as { partition: number; offset: number };
        return at.offset < (committedAtKill.get(at.partition) ?? 0);
      });
      expect(committedTwice).toEqual([]);
    } finally {
      await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
      await admin.deleteGroups([group]).catch(() => undefined);
      await producer.disconnect();
      await admin.disconnect();
    }
  }, 240_000);
});
