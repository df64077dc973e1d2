/**
 * The collector's one writer to Kafka: DLQ redrive (dlq/redrive/) produces records back to
 * their original topic or a group's retry topic, creates a missing retry topic, and asks where
 * a point in time is in a topic (to read back what a crashed redrive may have written).
 *
 * The producer is idempotent (acks=all, a producer id and sequence numbers): a batch the client
 * retries after a lost acknowledgement is written once. Across a restart the producer id is a
 * new one, so that guarantee ends there; the redrive's ledger covers the rest (engine.ts).
 */
import { Admin, Producer, type MessageToProduce } from '@platformatic/kafka';
import type { KafkaClientBase } from './security.ts';

export interface RedriveMessage {
  topic: string;
  key: Buffer | null;
  value: Buffer | null;
  /** In order; a name may repeat. A null value: a header without one (Java's null, kcat `-H name`). */
  headers: readonly (readonly [name: string, value: Buffer | null])[];
  /** Record timestamp, ms since epoch. */
  timestampMs: number;
}

/** The cluster's bootstrap servers, TLS and SASL, and a client id (see `app.kafkaClientOptions`). */
export type KafkaWriterOptions = KafkaClientBase;

/** Kafka's TOPIC_ALREADY_EXISTS (36): another writer created it first. */
const TOPIC_ALREADY_EXISTS = 36;

const errorCodes = (err: unknown): number[] => {
  const codes: number[] = [];
  const visit = (e: unknown, depth: number): void => {
    if (typeof e !== 'object' || e === null || depth > 4) return;
    const rec = e as { apiCode?: unknown; errors?: unknown; cause?: unknown };
    if (typeof rec.apiCode === 'number') codes.push(rec.apiCode);
    if (Array.isArray(rec.errors)) for (const inner of rec.errors) visit(inner, depth + 1);
    visit(rec.cause, depth + 1);
  };
  visit(err, 0);
  return codes;
};

export class KafkaWriter {
  readonly #producer: Producer;
  readonly #admin: Admin;

  constructor(options: KafkaWriterOptions) {
    this.#producer = new Producer({ ...options, idempotent: true, autocreateTopics: false });
    this.#admin = new Admin(options);
  }

  /** Produces the messages and waits for the acknowledgement of all of them (acks=all). */
  async send(messages: readonly RedriveMessage[]): Promise<void> {
    if (messages.length === 0) return;
    const out: MessageToProduce[] = messages.map((m) => {
      // Buffer keys are distinct objects, so a repeated header name stays repeated.
      const headers = new Map<Buffer, Buffer>();
      // The record encoder writes a null value as Kafka's null (length -1); its type says Buffer only.
      for (const [name, value] of m.headers) headers.set(Buffer.from(name, 'utf8'), value as Buffer);
      return {
        topic: m.topic,
        key: m.key ?? undefined,
        value: m.value ?? undefined,
        headers,
        timestamp: BigInt(Math.round(m.timestampMs)),
      };
    });
    await this.#producer.send({ messages: out });
  }

  /** Partitions of a topic; undefined when it does not exist. */
  async partitionCount(topic: string): Promise<number | undefined> {
    try {
      const md = await this.#admin.metadata({ topics: [topic], forceUpdate: true, autocreateTopics: false });
      return md.topics.get(topic)?.partitionsCount;
    } catch {
      return undefined;
    }
  }

  /** Creates the topic with this many partitions unless it exists (the broker's default replication). */
  async ensureTopic(topic: string, partitions: number): Promise<void> {
    if ((await this.partitionCount(topic)) !== undefined) return;
    try {
      await this.#admin.createTopics({ topics: [topic], partitions, replicas: -1 });
    } catch (err) {
      if (!errorCodes(err).includes(TOPIC_ALREADY_EXISTS)) throw err;
    }
  }

  /**
   * Per partition of the topic: the first offset whose record timestamp is at or after
   * `timestampMs` (the end offset when there is none), and the end offset.
   */
  async offsetsSince(topic: string, timestampMs: number): Promise<{ partition: number; from: number; end: number }[]> {
    const count = await this.partitionCount(topic);
    if (count === undefined) return [];
    const partitions = Array.from({ length: count }, (_, i) => i);
    const ask = async (timestamp: bigint) =>
      new Map(
        (
          await this.#admin.listOffsets({
            topics: [{ name: topic, partitions: partitions.map((partitionIndex) => ({ partitionIndex, timestamp })) }],
          })
        )
          .flatMap((t) => t.partitions)
          .map((p) => [p.partitionIndex, Number(p.offset)] as const),
      );
    const [since, ends] = await Promise.all([ask(BigInt(Math.floor(timestampMs))), ask(-1n)]);
    return partitions.map((partition) => {
      const end = ends.get(partition) ?? 0;
      const from = since.get(partition) ?? -1;
      return { partition, from: from < 0 ? end : from, end };
    });
  }

  async close(): Promise<void> {
    await Promise.allSettled([this.#producer.close(), this.#admin.close()]);
  }
}
