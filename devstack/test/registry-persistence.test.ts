/**
 * The registry's schemas live exactly as long as Kafka's data. Records carry a schema id, so a
 * registry that forgot its schemas (in-memory storage) while Kafka kept the records made old
 * records decode with whatever schema got that id after a restart, or not at all.
 */
import { rmSync } from 'node:fs';
import path from 'node:path';
import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_KAFKA_VERSION } from '../src/kafka.ts';
import { logDir, runDir } from '../src/paths.ts';
import { freePort, stopPidFile } from '../src/proc.ts';
import { ensureStack, registryDataDir, type Stack } from '../src/stack.ts';
import { uniqueName } from './helpers.ts';

const instance = uniqueName('regpersist');
const kafkaPort = await freePort();
const controllerPort = await freePort();
const registryPort = await freePort();
let stack: Stack | undefined;

afterAll(async () => {
  await stack?.stop();
  // A test that failed mid-restart holds no handle on what that start began: stop it by pid file.
  await stopPidFile(path.join(runDir, `kafka-${DEFAULT_KAFKA_VERSION}-${kafkaPort}-${instance}.pid`));
  await stopPidFile(path.join(runDir, `apicurio-${registryPort}.pid`));
  rmSync(path.join(runDir, `kafka-${DEFAULT_KAFKA_VERSION}-${kafkaPort}-${instance}`), {
    recursive: true,
    force: true,
  });
  rmSync(path.join(runDir, `apicurio-${registryPort}`), { recursive: true, force: true });
  rmSync(path.join(logDir, `kafka-${DEFAULT_KAFKA_VERSION}-${kafkaPort}-${instance}.log`), { force: true });
  rmSync(path.join(logDir, `apicurio-${registryPort}.log`), { force: true });
}, 60_000);

const schema = (name: string, fields: { name: string; type: string }[]): string =>
  JSON.stringify({ type: 'record', name, namespace: 'dev.eventscope.persist', fields });

function up(fresh: boolean): Promise<Stack> {
  return ensureStack({
    kafka: { version: DEFAULT_KAFKA_VERSION, port: kafkaPort, controllerPort, instance, fresh },
    registryPort,
  });
}

describe('schema registry persistence', () => {
  it('after the stack restarts, earlier records decode with the schemas they were written with', async () => {
    stack = await up(true);
    expect(stack.kafka.owned && stack.registry?.owned).toBe(true);
    const topic = uniqueName('persist');
    const kafka = new Kafka({ brokers: [stack.kafka.brokers], logLevel: logLevel.NOTHING });
    let registry = new SchemaRegistry({ host: stack.registry?.url ?? '' });
    const placed = await registry.register(
      { type: SchemaType.AVRO, schema: schema('Placed', [{ name: 'orderId', type: 'string' }]) },
      { subject: `${topic}-placed-value` },
    );
    const paid = await registry.register(
      {
        type: SchemaType.AVRO,
        schema: schema('Paid', [
          { name: 'orderId', type: 'string' },
          { name: 'cents', type: 'long' },
        ]),
      },
      { subject: `${topic}-paid-value` },
    );
    const written = [{ orderId: 'o-1' }, { orderId: 'o-2', cents: 1999 }];
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic,
      messages: [
        // One key, one partition: read back in the order written.
        { key: 'o', value: await registry.encode(placed.id, written[0]) },
        { key: 'o', value: await registry.encode(paid.id, written[1]) },
      ],
    });
    await producer.disconnect();
    const dataDir = registryDataDir(registryPort, (await kafka.admin().describeCluster()).clusterId);

    await stack.stop();
    stack = await up(false);
    expect(stack.registry?.owned).toBe(true);
    registry = new SchemaRegistry({ host: stack.registry?.url ?? '' });
    // What a restarted in-memory registry would hand out as id 1 and 2 again, to other schemas.
    await registry.register(
      { type: SchemaType.AVRO, schema: schema('Shipped', [{ name: 'parcel', type: 'int' }]) },
      { subject: `${topic}-shipped-value` },
    );
    await registry.register(
      { type: SchemaType.AVRO, schema: schema('Refunded', [{ name: 'reason', type: 'string' }]) },
      { subject: `${topic}-refunded-value` },
    );

    const consumer = kafka.consumer({ groupId: uniqueName('persist-read') });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const read: unknown[] = [];
    const decoded = new Promise<void>((resolve, reject) => {
      void consumer.run({
        eachMessage: async ({ message }) => {
          try {
            // Plain objects: decode() returns instances of the Avro record classes.
            read.push(JSON.parse(JSON.stringify(await registry.decode(message.value ?? Buffer.alloc(0)))));
            if (read.length === written.length) resolve();
          } catch (err) {
            reject(err instanceof Error ? err : new Error(String(err)));
          }
        },
      });
    });
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        decoded,
        new Promise((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`read ${read.length} of ${written.length} records in 30 s`)),
            30_000,
          );
        }),
      ]);
    } finally {
      clearTimeout(timer);
      await consumer.disconnect();
    }
    expect(read).toEqual(written);
    expect(stack.registry?.logFile).toBeDefined();
    expect(dataDir).toContain(`apicurio-${registryPort}`);
  }, 170_000);
});
