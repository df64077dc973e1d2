/**
 * The kafkajs client. kafkajs is loaded with `require` on first use, not with a static
 * `import`, so the OpenTelemetry SDK (started by src/tracing/register.ts, before anything
 * else) is in place when the module loads and the kafkajs instrumentation can patch it.
 * A static ESM import would be evaluated before the SDK starts and stay unpatched.
 */
import { createRequire } from 'node:module';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import type * as KafkaJs from 'kafkajs';
import type { KafkajsLogLevel } from '../config.ts';

const require = createRequire(import.meta.url);
let kafkajs: typeof KafkaJs | undefined;

export function kafkaModule(): typeof KafkaJs {
  if (!kafkajs) {
    kafkajs = require('kafkajs') as typeof KafkaJs;
    registerZstd(kafkajs);
  }
  return kafkajs;
}

/**
 * kafkajs decodes only gzip itself: a batch compressed otherwise (a Java producer or kcat
 * with compression.type=zstd) crashed the consumer for good (KafkaJSNotImplemented, no
 * restart), with no record to dead-letter. Node's zlib has ZSTD (22.15+), so it is registered
 * here; Snappy and LZ4 would need codec packages and still stop a consumer.
 */
function registerZstd(k: typeof KafkaJs): void {
  if (typeof zlib.zstdDecompress !== 'function' || typeof zlib.zstdCompress !== 'function') return;
  const decompress = promisify(zlib.zstdDecompress);
  const compress = promisify(zlib.zstdCompress);
  k.CompressionCodecs[k.CompressionTypes.ZSTD] = () => ({
    compress: (encoder: { buffer: Buffer }) => compress(encoder.buffer),
    decompress: (buffer: Buffer) => decompress(buffer),
  });
}

// kafkajs 2.2 schedules a timer with a negative timeout on Node 24; the warning is harmless noise.
const originalEmitWarning = process.emitWarning.bind(process);
process.emitWarning = (warning: string | Error, ...rest: unknown[]) => {
  const name = typeof warning === 'string' ? (typeof rest[0] === 'string' ? rest[0] : '') : warning.name;
  if (name === 'TimeoutNegativeWarning') return;
  (originalEmitWarning as (...args: unknown[]) => void)(warning, ...rest);
};

/** Our config's names for kafkajs's log levels. */
const KAFKAJS_LEVEL: Record<KafkajsLogLevel, (l: typeof KafkaJs.logLevel) => KafkaJs.logLevel> = {
  nothing: (l) => l.NOTHING,
  error: (l) => l.ERROR,
  warn: (l) => l.WARN,
  info: (l) => l.INFO,
  debug: (l) => l.DEBUG,
};

export function createKafka(
  brokers: readonly string[],
  clientId: string,
  level: KafkajsLogLevel = 'warn',
): KafkaJs.Kafka {
  const { Kafka, logLevel } = kafkaModule();
  return new Kafka({
    clientId,
    brokers: [...brokers],
    logLevel: KAFKAJS_LEVEL[level](logLevel),
    retry: { initialRetryTime: 200, retries: 10 },
    connectionTimeout: 5_000,
  });
}

/**
 * Creates the topics that do not exist yet (a topic created concurrently by another process is
 * fine), then waits until every partition of every topic has a leader. Services start together
 * and subscribe right after this: a consumer group assigned while a new topic's partitions have
 * no leader yet can end up without those partitions until kafkajs next refreshes its metadata.
 */
export async function ensureTopics(kafka: KafkaJs.Kafka, topics: string[], partitions: number): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    // Services start together and race to create the same topics: a create that fails because
    // another service got there first (TOPIC_ALREADY_EXISTS for some, the rest not yet listed)
    // is tried again for whatever is still missing, until a deadline.
    const createDeadline = Date.now() + 30_000;
    for (;;) {
      const existing = new Set(await admin.listTopics());
      const missing = topics.filter((t) => !existing.has(t));
      if (missing.length === 0) break;
      try {
        await admin.createTopics({
          waitForLeaders: true,
          topics: missing.map((topic) => ({ topic, numPartitions: partitions, replicationFactor: 1 })),
        });
        break;
      } catch (error) {
        if (Date.now() > createDeadline) throw error;
        await new Promise((r) => setTimeout(r, 250));
      }
    }
    const deadline = Date.now() + 30_000;
    for (;;) {
      try {
        const { topics: meta } = await admin.fetchTopicMetadata({ topics });
        const ready = meta.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0));
        if (ready && meta.length === topics.length) return;
      } catch {
        // metadata not there yet
      }
      if (Date.now() > deadline) throw new Error(`topics without leaders after 30 s: ${topics.join(', ')}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  } finally {
    await admin.disconnect();
  }
}

export type { KafkaJs };
