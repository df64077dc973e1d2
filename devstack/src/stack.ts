import { readdirSync } from 'node:fs';
import path from 'node:path';
import {
  ensureKafka,
  expectedClusterId,
  intFromEnv,
  kafkaOptionsFromEnv,
  newClusterId,
  type KafkaHandle,
  type KafkaOptions,
} from './kafka.ts';
import { log } from './log.ts';
import { PORTS } from './ports.ts';
import { runDir } from './paths.ts';
import { isPortOpen, stopPidFile } from './proc.ts';
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

/**
 * Where a registry on `port` keeps its data for the Kafka cluster `clusterId`. Schema ids are
 * written into every Avro record, so the registry's data must live exactly as long as Kafka's:
 * a new cluster (its data wiped, or another broker) gets a new, empty registry database.
 */
export function registryDataDir(port: number, clusterId: string): string {
  return path.join(runDir, `apicurio-${port}`, `kafka-cluster-${clusterId.replace(/[^A-Za-z0-9_-]/g, '_')}`);
}

/**
 * Brings up Kafka and the schema registry, reusing any that already run. The registry keeps
 * its schemas beside the Kafka cluster it serves (see `registryDataDir`): the cluster id is read
 * from the running broker or our formatted storage, or chosen here for storage yet to be
 * formatted, so the two start in parallel.
 */
export async function ensureStack(options: StackOptions = {}): Promise<Stack> {
  const kafkaOpts: KafkaOptions = { ...kafkaOptionsFromEnv(), ...options.kafka };
  const registryPort = options.registryPort ?? intFromEnv(process.env, 'ES_REGISTRY_PORT', PORTS.registry);
  const wantRegistry = options.registry ?? true;
  // Storage still to be formatted gets its cluster id from here, so both can start at once.
  const knownClusterId = (await expectedClusterId(kafkaOpts)) ?? newClusterId();
  if (!(await isPortOpen(kafkaOpts.port))) kafkaOpts.clusterId = knownClusterId;
  const startRegistry = (clusterId: string): Promise<RegistryHandle> =>
    ensureRegistry({
      port: registryPort,
      version: process.env.ES_REGISTRY_VERSION,
      dataDir: registryDataDir(registryPort, clusterId),
    });
  const kafkaStarting = ensureKafka(kafkaOpts);
  const registryStarting = wantRegistry ? startRegistry(knownClusterId) : undefined;
  const [kafkaResult, registryResult] = await Promise.allSettled([kafkaStarting, registryStarting]);
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
