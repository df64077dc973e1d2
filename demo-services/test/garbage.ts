/**
 * Garbage records for the hostile suites (this package's test/hostile.test.ts and the
 * collector's test/hostile.kafka.test.ts): every kind of record a demo consumer must survive,
 * produced with real producers (kafkajs, and Kafka's Java producer for null header values,
 * which kafkajs cannot write), with the DLQ error each must come back with.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { compileJava, DEFAULT_KAFKA_VERSION, findJava, jvmOptions, kafkaClasspath } from '@eventscope/devstack';
import { newEventId } from '../src/lib/envelope.ts';
import { kafkaModule, type KafkaJs } from '../src/lib/kafka.ts';
import type { EventType, Naming } from '../src/topics.ts';
import { readUpToEnd, type TopicRecord } from './helpers.ts';

export interface GarbageRecord {
  label: string;
  topic: string;
  partition: number;
  offset: string;
  /** What dlq-error-message must say. */
  reason: RegExp;
  /** Headers the DLQ copy must keep (name -> value); null: the copy has no room for them. */
  keeps: ReadonlyMap<string, Buffer> | null;
}

interface Spec {
  label: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, Buffer | Buffer[]>;
  reason: RegExp;
  keeps?: ReadonlyMap<string, Buffer> | null;
}

/** Near Kafka's default max.message.bytes (1,048,588): fits as sent, but not with the dlq-* headers added. */
const NEAR_LIMIT_BYTES = 1_048_588 - 500;
const NOT_AVRO = Buffer.from('not avro at all');
const NOT_WIRE = /not in the Confluent wire format/;

function specs(type: EventType, schemaId: number): Spec[] {
  const env = (): Record<string, Buffer> => ({
    'event-id': Buffer.from(newEventId()),
    'event-type': Buffer.from(type),
    'correlation-id': Buffer.from(`garbage-${type}`),
  });
  const named = (headers: Record<string, Buffer>, ...names: string[]) =>
    new Map(names.map((n) => [n, headers[n] ?? Buffer.alloc(0)]));
  // Own properties named like Object.prototype members (a computed `__proto__` key is one).
  const proto = Object.assign(Object.create(null) as Record<string, Buffer>, env(), {
    ['__proto__']: Buffer.from('p'),
    constructor: Buffer.from('c'),
    toString: Buffer.from('t'),
  });
  const dup = env();
  const huge = { ...env(), blob: Buffer.alloc(600 * 1024, 0x42) };
  const binary = { ...env(), bin: Buffer.from([0xff, 0xfe, 0x00, 0xc3]) };
  return [
    { label: 'no headers', key: Buffer.from('k'), value: NOT_AVRO, headers: {}, reason: /lacks the event-id/ },
    {
      label: 'empty event-id',
      key: null,
      value: NOT_AVRO,
      headers: { ...env(), 'event-id': Buffer.alloc(0) },
      reason: /event-id is empty/,
    },
    {
      label: 'binary event-type',
      key: null,
      value: NOT_AVRO,
      headers: { ...env(), 'event-type': Buffer.from([0xc3, 0x28, 0xff]) },
      reason: /event-type is not UTF-8/,
    },
    {
      label: 'two event-ids',
      key: null,
      value: NOT_AVRO,
      headers: { ...dup, 'event-id': [dup['event-id']!, Buffer.from(newEventId())] },
      reason: /event-id appears 2 times/,
    },
    {
      label: 'huge correlation-id',
      key: null,
      value: NOT_AVRO,
      headers: { ...env(), 'correlation-id': Buffer.alloc(300_000, 0x61) },
      reason: /correlation-id is 300000 bytes/,
    },
    {
      label: '__proto__, constructor, toString',
      key: Buffer.from('k'),
      value: NOT_AVRO,
      headers: proto,
      reason: NOT_WIRE,
      keeps: named(proto, '__proto__', 'constructor', 'toString'),
    },
    {
      label: 'binary header',
      key: null,
      value: NOT_AVRO,
      headers: binary,
      reason: NOT_WIRE,
      keeps: named(binary, 'bin'),
    },
    { label: 'huge header', key: null, value: NOT_AVRO, headers: huge, reason: NOT_WIRE, keeps: named(huge, 'blob') },
    { label: 'null key, tombstone', key: null, value: null, headers: env(), reason: NOT_WIRE },
    { label: 'empty value', key: Buffer.from('k'), value: Buffer.alloc(0), headers: env(), reason: NOT_WIRE },
    {
      label: 'binary key, not Avro',
      key: Buffer.from([0xff, 0]),
      value: Buffer.from([1, 2, 3, 4, 5, 6, 7]),
      headers: env(),
      reason: NOT_WIRE,
    },
    {
      label: 'unknown schema id',
      key: null,
      value: Buffer.from([0, 0x7f, 0xff, 0xff, 0xf0, 2, 4, 6]),
      headers: env(),
      reason: /unknown schema id 2147483632/,
    },
    {
      label: 'not Avro of its schema',
      key: null,
      value: Buffer.concat([Buffer.from([0]), u32(schemaId), Buffer.from([0x80])]),
      headers: env(),
      reason: new RegExp(`cannot decode value with schema ${schemaId}`),
    },
    {
      label: 'near the size limit',
      key: null,
      value: Buffer.alloc(NEAR_LIMIT_BYTES, 0x7a),
      headers: env(),
      reason: /value and headers left out of this DLQ copy/,
      keeps: null,
    },
  ];
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}

/** The registered schema id of a topic's subject (for a wire-format value that is not Avro of it). */
export async function schemaIdOf(registryUrl: string, topic: string): Promise<number> {
  const res = await fetch(`${registryUrl}/subjects/${encodeURIComponent(`${topic}-value`)}/versions/latest`);
  if (!res.ok) throw new Error(`registry: ${topic}-value: ${res.status}`);
  return ((await res.json()) as { id: number }).id;
}

/** Produces every kind of garbage (kafkajs) to each of `types`' topics; returns what was sent where. */
export async function produceGarbage(
  kafka: KafkaJs.Kafka,
  names: Naming,
  types: readonly EventType[],
  registryUrl: string,
): Promise<GarbageRecord[]> {
  const out: GarbageRecord[] = [];
  for (const type of types) {
    const topic = names.topic(type);
    out.push(...(await produceGarbageTo(kafka, topic, type, await schemaIdOf(registryUrl, topic))));
  }
  return out;
}

/** Every kind of garbage to one topic, the envelope saying `type`, "bad Avro" under `schemaId`. */
export async function produceGarbageTo(
  kafka: KafkaJs.Kafka,
  topic: string,
  type: EventType,
  schemaId: number,
): Promise<GarbageRecord[]> {
  const producer = kafka.producer({
    allowAutoTopicCreation: false,
    createPartitioner: kafkaModule().Partitioners.DefaultPartitioner,
  });
  await producer.connect();
  const out: GarbageRecord[] = [];
  try {
    for (const s of specs(type, schemaId)) {
      const [meta] = await producer.send({
        topic,
        acks: -1,
        messages: [{ key: s.key, value: s.value, headers: s.headers }],
      });
      if (!meta) throw new Error(`no metadata for ${s.label} on ${topic}`);
      out.push({
        label: s.label,
        topic,
        partition: meta.partition,
        offset: String(meta.baseOffset),
        reason: s.reason,
        keeps: s.keeps === undefined ? new Map() : s.keeps,
      });
    }
  } finally {
    await producer.disconnect();
  }
  return out;
}

const exec = promisify(execFile);
const JAVA_PRODUCER = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'NullHeaderProducer.java');

/** Records with null header values, written by Kafka's Java producer (see fixtures/NullHeaderProducer.java). */
export async function produceNullHeaders(
  brokers: string,
  topics: readonly string[],
  options: { zstd?: boolean } = {},
): Promise<GarbageRecord[]> {
  const jdk = await findJava(17);
  if (!jdk) throw new Error('no Java 17+ for the null-header producer');
  const libs = kafkaClasspath(DEFAULT_KAFKA_VERSION);
  const classes = await compileJava(jdk, JAVA_PRODUCER, libs);
  const { stdout } = await exec(
    jdk.java,
    [
      ...jvmOptions(),
      '-cp',
      `${classes}${path.delimiter}${libs}`,
      'NullHeaderProducer',
      brokers.split(',')[0] ?? brokers,
      ...(options.zstd ? ['--zstd'] : []),
      ...topics,
    ],
    { timeout: 60_000, maxBuffer: 16 * 1024 * 1024 },
  );
  const out: GarbageRecord[] = [];
  for (const line of stdout.split('\n')) {
    const m = /^(null-header|null-event-id|zstd) (\S+) (\d+) (\d+)$/.exec(line.trim());
    if (!m) continue;
    const [, label, topic, partition, offset] = m;
    out.push({
      label: `java ${label}`,
      topic: topic!,
      partition: Number(partition),
      offset: offset!,
      reason: label === 'null-header' ? NOT_WIRE : label === 'zstd' ? /lacks the event-id/ : /event-id has no value/,
      // A header without a value comes back with an empty one (kafkajs cannot write null).
      keeps:
        label === 'null-header'
          ? new Map([
              ['noequals', Buffer.alloc(0)],
              ['__proto__', Buffer.alloc(0)],
            ])
          : new Map(),
    });
  }
  const expected = topics.length * (options.zstd ? 3 : 2);
  if (out.length !== expected) throw new Error(`java producer: expected ${expected} records:\n${stdout}`);
  return out;
}

export type DlqEntry = TopicRecord;

/** Reads a topic up to its end offsets at the time of the call, headers into a Map. */
export async function readAll(kafka: KafkaJs.Kafka, topic: string, timeoutMs = 20_000): Promise<DlqEntry[]> {
  return (await readUpToEnd(kafka, topic, timeoutMs)).records;
}
