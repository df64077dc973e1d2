/** Helpers of the DLQ redrive tests: every record of a topic, read with the collector's own adapter. */
import { KafkaAdapter, type KafkaRecord } from '../src/kafka/index.ts';
import { brokers } from './kafka-helpers.ts';

/** Every record of the topic (all partitions, start to end), with `kafka` or a new adapter. */
export async function readAllRecords(topic: string, kafka?: KafkaAdapter): Promise<KafkaRecord[]> {
  const adapter = kafka ?? new KafkaAdapter({ brokers, clientId: 'eventscope-redrive-test' });
  try {
    await adapter.listTopics();
    const offsets = (await adapter.topicOffsets([topic])).get(topic);
    if (!offsets || offsets instanceof Error) return [];
    const out: KafkaRecord[] = [];
    for (const p of offsets) {
      let offset = p.start;
      while (offset < p.end) {
        const got = (
          await adapter.readRecords([{ topic, partition: p.partition, offset }], {
            maxBytesPerPartition: 1 << 20,
            count: 500,
          })
        ).get(`${topic}\u0000${p.partition}`);
        const last = got?.at(-1);
        if (!got || !last) break;
        out.push(...got);
        offset = last.offset + 1;
      }
    }
    return out;
  } finally {
    if (!kafka) await adapter.close();
  }
}

/** The first value of a header as UTF-8. */
export const headerText = (r: KafkaRecord, name: string): string | undefined => r.headers[name]?.[0]?.toString('utf8');
