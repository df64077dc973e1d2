import { COMPATIBILITY, SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import { describe, expect, it } from 'vitest';
import { requireEnv, uniqueName } from './helpers.ts';

const host = requireEnv('SCHEMA_REGISTRY_URL');
const registry = new SchemaRegistry({ host });

const v1 = {
  type: 'record',
  name: 'OrderPlaced',
  namespace: 'dev.eventscope.test',
  fields: [
    { name: 'orderId', type: 'string' },
    { name: 'amountCents', type: 'long' },
  ],
};

describe(`schema registry at ${host}`, () => {
  it('registers an Avro schema and round-trips a record in the Confluent wire format', async () => {
    const subject = `${uniqueName('smoke')}-value`;
    const { id } = await registry.register(
      { type: SchemaType.AVRO, schema: JSON.stringify(v1) },
      { subject, compatibility: COMPATIBILITY.BACKWARD },
    );
    expect(id).toBeGreaterThan(0);
    const payload = { orderId: 'o-1', amountCents: 1999 };
    const encoded = await registry.encode(id, payload);
    // Magic byte 0, then the 4-byte big-endian schema id, then Avro binary.
    expect(encoded[0]).toBe(0);
    expect(encoded.readInt32BE(1)).toBe(id);
    expect(await registry.decode(encoded)).toEqual(payload);
    expect(await registry.getLatestSchemaId(subject)).toBe(id);
  });

  it('accepts a backward-compatible change and refuses an incompatible one', async () => {
    const subject = `${uniqueName('evolve')}-value`;
    await registry.register(
      { type: SchemaType.AVRO, schema: JSON.stringify(v1) },
      { subject, compatibility: COMPATIBILITY.BACKWARD },
    );
    const v2 = { ...v1, fields: [...v1.fields, { name: 'channel', type: 'string', default: 'web' }] };
    const second = await registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(v2) }, { subject });
    expect(second.id).toBeGreaterThan(0);

    // A new required field without a default cannot read old records: BACKWARD refuses it.
    const broken = { ...v1, fields: [...v1.fields, { name: 'customerId', type: 'string' }] };
    await expect(
      registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(broken) }, { subject }),
    ).rejects.toThrow(/compatib|409/i);
  });
});
