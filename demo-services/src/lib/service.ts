/**
 * What every demo service does at startup and shutdown: config, topics, schemas, its SQLite
 * store, a producer, the outbox relay, its consumers; and the reverse on stop.
 */
import { loadConfig, type DemoConfig } from '../config.ts';
import { naming, type Naming } from '../topics.ts';
import { runConsumer, type ConsumerSpec, type RunningConsumer } from './consumer.ts';
import { openDb, type Db } from './db.ts';
import { createKafka, ensureTopics, kafkaModule, type KafkaJs } from './kafka.ts';
import { createLog, type Log } from './log.ts';
import { Outbox } from './outbox.ts';
import { Codec } from './schemas.ts';

export interface ServiceContext {
  name: string;
  config: DemoConfig;
  names: Naming;
  log: Log;
  codec: Codec;
  kafka: KafkaJs.Kafka;
  producer: KafkaJs.Producer;
  db: Db;
  outbox: Outbox;
}

export interface RunningService {
  ctx: ServiceContext;
  consumers: RunningConsumer[];
  stop(): Promise<void>;
}

export interface ServiceDefinition {
  name: string;
  /** Extra tables of this service. */
  schema?: string;
  consumers?(ctx: ServiceContext): ConsumerSpec[];
  /** Anything else to start (an HTTP server, a timer); returns its stop function. */
  start?(ctx: ServiceContext): Promise<() => Promise<void>>;
}

export async function startService(
  def: ServiceDefinition,
  env: NodeJS.ProcessEnv = process.env,
): Promise<RunningService> {
  const config = loadConfig(env);
  const names = naming(config.topicPrefix);
  const log = createLog(`${def.name}:${config.instance}`, config.logLevel);
  const codec = new Codec(config.registryUrl, names);
  const kafka = createKafka(config.brokers, `${names.prefix}${def.name}-${config.instance}`, config.kafkajsLogLevel);
  await ensureTopics(kafka, names.allTopics(), config.partitions);
  await codec.init();
  const db = openDb(config.dataDir, `${names.prefix}${def.name}`, def.schema);
  const producer = kafka.producer({
    allowAutoTopicCreation: false,
    createPartitioner: kafkaModule().Partitioners.DefaultPartitioner,
    retry: { retries: 10, initialRetryTime: 200 },
  });
  await producer.connect();
  const outbox = new Outbox({ db, codec, names, instance: config.instance, log });
  outbox.start(producer);
  const ctx: ServiceContext = { name: def.name, config, names, log, codec, kafka, producer, db, outbox };
  const stopExtra = def.start ? await def.start(ctx) : undefined;
  const consumers: RunningConsumer[] = [];
  for (const spec of def.consumers?.(ctx) ?? []) {
    consumers.push(
      await runConsumer(
        { kafka, producer, codec, db, names, config, log },
        { ...spec, afterCommit: () => (spec.afterCommit ? spec.afterCommit() : outbox.kick()) },
      ),
    );
  }
  log.info(`${def.name} started (data ${config.dataDir}, topic prefix "${names.prefix}")`);
  // Machine-readable, whatever the log level: supervisors and tests wait for it.
  console.log(`DEMO_READY service=${def.name} instance=${config.instance}`);
  let stopped: Promise<void> | undefined;
  return {
    ctx,
    consumers,
    stop: () =>
      (stopped ??= (async () => {
        await stopExtra?.();
        await Promise.all(consumers.map((c) => c.stop()));
        await outbox.stop();
        await producer.disconnect();
        db.close();
        log.info(`${def.name} stopped`);
      })()),
  };
}
