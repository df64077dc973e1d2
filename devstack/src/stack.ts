import { readdirSync } from 'node:fs';
import path from 'node:path';
import { ensureKafka, intFromEnv, kafkaOptionsFromEnv, type KafkaHandle, type KafkaOptions } from './kafka.ts';
import { log } from './log.ts';
import { PORTS } from './ports.ts';
import { runDir } from './paths.ts';
import { stopPidFile } from './proc.ts';
import { ensureRegistry, type RegistryHandle } from './registry.ts';

export interface StackOptions {
  kafka?: Partial<KafkaOptions>;
  registryPort?: number;
  /** Start the schema registry as well (default true). */
  registry?: boolean;
}

export interface Stack {
  kafka: KafkaHandle;
  registry: RegistryHandle | undefined;
  /** Environment variables that point clients (services, tests) at this stack. */
  env: Record<string, string>;
  /** Stops what this process started, newest first; reused services are left alone. */
  stop(): Promise<void>;
}

/** Brings up Kafka and the schema registry (in parallel), reusing any that already run. */
export async function ensureStack(options: StackOptions = {}): Promise<Stack> {
  const kafkaOpts: KafkaOptions = { ...kafkaOptionsFromEnv(), ...options.kafka };
  const registryPort = options.registryPort ?? intFromEnv(process.env, 'ES_REGISTRY_PORT', PORTS.registry);
  const wantRegistry = options.registry ?? true;
  const [kafkaResult, registryResult] = await Promise.allSettled([
    ensureKafka(kafkaOpts),
    wantRegistry ? ensureRegistry({ port: registryPort, version: process.env.ES_REGISTRY_VERSION }) : undefined,
  ]);
  if (kafkaResult.status === 'rejected' || registryResult.status === 'rejected') {
    // Leave nothing behind: stop whichever half did come up.
    if (kafkaResult.status === 'fulfilled') await kafkaResult.value.stop();
    if (registryResult.status === 'fulfilled') await registryResult.value?.stop();
    throw kafkaResult.status === 'rejected' ? kafkaResult.reason : (registryResult as PromiseRejectedResult).reason;
  }
  const kafka = kafkaResult.value;
  const registry = registryResult.value;
  const env: Record<string, string> = { KAFKA_BROKERS: kafka.brokers };
  if (registry) env.SCHEMA_REGISTRY_URL = registry.url;
  let stopped = false;
  return {
    kafka,
    registry,
    env,
    stop: async () => {
      if (stopped) return;
      stopped = true;
      if (registry?.owned) log('stopping the schema registry');
      await registry?.stop();
      if (kafka.owned) log('stopping the Kafka broker');
      await kafka.stop();
    },
  };
}

/** Stops every service an earlier run left behind (found through the pid files in .eventscope/run). */
export async function stopLeftovers(): Promise<string[]> {
  let files: string[];
  try {
    files = readdirSync(runDir).filter((f) => f.endsWith('.pid'));
  } catch {
    return [];
  }
  const stopped: string[] = [];
  for (const file of files) {
    if (await stopPidFile(path.join(runDir, file))) stopped.push(file.replace(/\.pid$/, ''));
  }
  return stopped;
}
