/**
 * Avro schemas and the registry. Each topic has one subject, `<topic>-value`, with BACKWARD
 * compatibility, and values use the Confluent wire format: byte 0 = 0, bytes 1-4 = schema id
 * (big-endian), then Avro binary. Encoding is synchronous (the writer schema and its id are
 * looked up once at startup) so it can happen inside a SQLite transaction; decoding goes through
 * @kafkajs/confluent-schema-registry, which fetches (and caches) the writer schema by id.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { COMPATIBILITY, SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import avro from 'avsc';
import { DecodeError, TransientError, errorMessage } from './errors.ts';
import { EVENT_TYPES, type EventType, type Naming } from '../topics.ts';

export const SCHEMA_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'schemas');

export interface RawSchema {
  type: 'record';
  name: string;
  namespace?: string;
  fields: unknown[];
}

export function readSchema(file: string): RawSchema {
  return JSON.parse(readFileSync(path.resolve(SCHEMA_DIR, file), 'utf8')) as RawSchema;
}

export function subjectOf(topic: string): string {
  return `${topic}-value`;
}

/** Sets BACKWARD on the subject (idempotent), then registers the schema; returns its id. A 409 means incompatible. */
export async function registerSchema(
  registry: SchemaRegistry,
  registryUrl: string,
  subject: string,
  schema: RawSchema,
): Promise<number> {
  await ensureBackward(registryUrl, subject);
  // Services and the load generator start together and register the same schemas at once;
  // the registry can refuse one of two simultaneous writes of a subject (seen in CI: a load
  // generator that exited at start). Registering a schema again is idempotent: try again.
  for (let attempt = 1; ; attempt++) {
    try {
      const { id } = await registry.register(schema, { subject, compatibility: COMPATIBILITY.BACKWARD });
      return id;
    } catch (err) {
      if (attempt >= 5) throw err;
      await new Promise((r) => setTimeout(r, 200 * attempt));
    }
  }
}

/**
 * Sets BACKWARD compatibility on a subject unless it already has it. Several services start at
 * once and race here; Apicurio answers 409 to the loser, which is fine once the rule is in place.
 */
export async function ensureBackward(registryUrl: string, subject: string): Promise<void> {
  const url = `${registryUrl}/config/${encodeURIComponent(subject)}`;
  const current = async (): Promise<string | undefined> => {
    const res = await fetch(url);
    if (!res.ok) return undefined;
    return ((await res.json()) as { compatibilityLevel?: string }).compatibilityLevel?.toUpperCase();
  };
  for (let attempt = 1; ; attempt++) {
    if ((await current()) === 'BACKWARD') return;
    const res = await fetch(url, {
      method: 'PUT',
      headers: { 'content-type': 'application/vnd.schemaregistry.v1+json' },
      body: JSON.stringify({ compatibility: 'BACKWARD' }),
    });
    if (res.ok) return;
    if (attempt >= 5)
      throw new Error(`registry: setting BACKWARD on ${subject} failed: ${res.status} ${await res.text()}`);
    await new Promise((r) => setTimeout(r, 100 * attempt));
  }
}

export function encodeWire(id: number, type: avro.Type, value: unknown): Buffer {
  const body = type.toBuffer(value);
  const out = Buffer.alloc(5 + body.length);
  out.writeUInt8(0, 0);
  out.writeUInt32BE(id, 1);
  body.copy(out, 5);
  return out;
}

/** The demo's codec: one registered schema per event type, under the run's topic names. */
export class Codec {
  readonly registry: SchemaRegistry;
  private readonly writers = new Map<EventType, { id: number; type: avro.Type }>();
  private readonly names: Naming;
  private readonly registryUrl: string;

  constructor(registryUrl: string, names: Naming) {
    this.registryUrl = registryUrl;
    this.registry = new SchemaRegistry({ host: registryUrl, retry: { retries: 5 } });
    this.names = names;
  }

  /** Registers (or finds) every event type's schema. Safe to run from many processes at once. */
  async init(): Promise<void> {
    await Promise.all(
      EVENT_TYPES.map(async (eventType) => {
        const schema = readSchema(`${eventType}.avsc`);
        const id = await registerSchema(
          this.registry,
          this.registryUrl,
          subjectOf(this.names.topic(eventType)),
          schema,
        );
        this.writers.set(eventType, { id, type: avro.Type.forSchema(schema as avro.Schema) });
      }),
    );
  }

  encode(eventType: EventType, value: unknown): Buffer {
    const writer = this.writers.get(eventType);
    if (!writer) throw new Error(`codec: ${eventType} not initialised`);
    return encodeWire(writer.id, writer.type, value);
  }

  /**
   * Decodes a Confluent wire-format value. Bytes that are not the wire format, an unknown schema
   * id and Avro that does not decode are DecodeErrors (never retried); a registry that does not
   * answer is a TransientError (retried), so a registry outage does not dead-letter good records.
   */
  async decode<T>(value: Buffer | null): Promise<T> {
    if (!value || value.length < 6 || value.readUInt8(0) !== 0) {
      throw new DecodeError('value is not in the Confluent wire format (magic byte 0 + schema id + Avro)');
    }
    const id = value.readUInt32BE(1);
    let schema: { fromBuffer(buffer: Buffer): unknown };
    try {
      schema = await withTimeout(this.registry.getSchema(id), 10_000, `registry lookup of schema ${id}`);
    } catch (error) {
      const status = (error as { status?: number }).status;
      if (status === 404) throw new DecodeError(`unknown schema id ${id}`, { cause: error });
      throw new TransientError(`registry lookup of schema ${id} failed: ${errorMessage(error)}`, { cause: error });
    }
    try {
      return schema.fromBuffer(value.subarray(5)) as T;
    } catch (error) {
      throw new DecodeError(`cannot decode value with schema ${id}: ${errorMessage(error)}`, { cause: error });
    }
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
