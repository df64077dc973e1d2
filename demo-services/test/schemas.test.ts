/**
 * Schema evolution against the real registry: order.placed v1 -> v2 (a field with a default)
 * is accepted under BACKWARD; a v1 reader reads v2 records and a v2 reader reads v1 records
 * (Avro schema resolution on the writer schema fetched by id); an incompatible v3 is refused.
 */
import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import avro from 'avsc';
import { afterAll, describe, expect, it } from 'vitest';
import { DecodeError, TransientError } from '../src/lib/errors.ts';
import { Codec, encodeWire, ensureBackward, readSchema, registerSchema, subjectOf } from '../src/lib/schemas.ts';
import { naming } from '../src/topics.ts';
import { REGISTRY_URL, deleteSubjects, uniquePrefix } from './helpers.ts';

const prefix = uniquePrefix('schemas');
const subject = subjectOf(`${prefix}order.placed`);
const registry = new SchemaRegistry({ host: REGISTRY_URL });
const v1 = readSchema('order.placed.avsc');
const v2 = readSchema('evolution/order.placed.v2.avsc');
const incompatible = readSchema('evolution/order.placed.incompatible.avsc');

const order = {
  orderId: 'o-1',
  customer: 'ann',
  items: [{ sku: 'sku-1', quantity: 2, price: 9.5, currency: 'EUR' }],
  total: 19,
  currency: 'EUR',
  placedAt: 1_700_000_000_000,
};

afterAll(() => deleteSubjects(prefix));

describe('order.placed schema evolution', () => {
  it('registers v1 with BACKWARD compatibility on the subject <topic>-value', async () => {
    const id = await registerSchema(registry, REGISTRY_URL, subject, v1);
    expect(id).toBeGreaterThan(0);
    const config = (await (await fetch(`${REGISTRY_URL}/config/${subject}`)).json()) as { compatibilityLevel: string };
    expect(config.compatibilityLevel).toBe('BACKWARD');
    // Idempotent: registering the same schema again returns the same id.
    expect(await registerSchema(registry, REGISTRY_URL, subject, v1)).toBe(id);
  });

  it('accepts v2 (new field with a default) and both readers read both versions', async () => {
    const id1 = await registerSchema(registry, REGISTRY_URL, subject, v1);
    const id2 = await registerSchema(registry, REGISTRY_URL, subject, v2);
    expect(id2).not.toBe(id1);
    const versions = (await (await fetch(`${REGISTRY_URL}/subjects/${subject}/versions`)).json()) as number[];
    expect(versions).toHaveLength(2);

    const v1Record = encodeWire(id1, avro.Type.forSchema(v1 as avro.Schema), order);
    const v2Record = encodeWire(id2, avro.Type.forSchema(v2 as avro.Schema), { ...order, channel: 'mobile' });
    expect(v2Record.readUInt32BE(1)).toBe(id2);

    // A v2 consumer reads v1 data: the missing field takes its default.
    const v2ReadsV1 = (await registry.decode(v1Record, { AVRO: { readerSchema: v2 } })) as Record<string, unknown>;
    expect(v2ReadsV1).toMatchObject({ ...order, channel: 'web' });
    // A v1 consumer reads v2 data: the new field is ignored.
    const v1ReadsV2 = (await registry.decode(v2Record, { AVRO: { readerSchema: v1 } })) as Record<string, unknown>;
    expect(v1ReadsV2).toMatchObject(order);
    expect(v1ReadsV2).not.toHaveProperty('channel');
    // Without a reader schema, each record decodes with its own writer schema.
    expect(await registry.decode(v2Record)).toMatchObject({ channel: 'mobile' });
  });

  it('refuses an incompatible change (a new field without a default)', async () => {
    await registerSchema(registry, REGISTRY_URL, subject, v1);
    await expect(registerSchema(registry, REGISTRY_URL, subject, incompatible)).rejects.toThrow(/incompatible|409/i);
    const versions = (await (await fetch(`${REGISTRY_URL}/subjects/${subject}/versions`)).json()) as number[];
    expect(versions).toHaveLength(2);
  });

  it('keeps BACKWARD when several processes configure the subject at once', async () => {
    const s = subjectOf(`${prefix}race`);
    await Promise.all(Array.from({ length: 5 }, () => ensureBackward(REGISTRY_URL, s)));
    const config = (await (await fetch(`${REGISTRY_URL}/config/${s}`)).json()) as { compatibilityLevel: string };
    expect(config.compatibilityLevel).toBe('BACKWARD');
  });

  it('decodes: unknown schema id -> DecodeError (DLQ at once); unreachable registry -> TransientError (retried)', async () => {
    const codec = new Codec(REGISTRY_URL, naming(prefix));
    await expect(codec.decode(Buffer.from([0, 0x7f, 0xff, 0xff, 0xf0, 1]))).rejects.toBeInstanceOf(DecodeError);
    await expect(codec.decode(Buffer.from('plain text'))).rejects.toBeInstanceOf(DecodeError);
    const id = await registerSchema(registry, REGISTRY_URL, subject, v1);
    const bad = Buffer.concat([
      encodeWire(id, avro.Type.forSchema(v1 as avro.Schema), order).subarray(0, 5),
      Buffer.from([0xff]),
    ]);
    await expect(codec.decode(bad)).rejects.toBeInstanceOf(DecodeError);
    const offline = new Codec('http://127.0.0.1:1/apis/ccompat/v7', naming(prefix));
    await expect(offline.decode(Buffer.from([0, 0, 0, 0, 1, 2]))).rejects.toBeInstanceOf(TransientError);
  });
});
