export { DevstackError } from './errors.ts';
export type { DevstackErrorCode } from './errors.ts';
export {
  DEFAULT_KAFKA_VERSION,
  ensureKafka,
  installKafka,
  kafkaClasspath,
  probeKafka,
  setScramCredential,
} from './kafka.ts';
export type { KafkaHandle, KafkaOptions, SecureListeners } from './kafka.ts';
export { makePki } from './tls.ts';
export type { Pki } from './tls.ts';
export { DEFAULT_REGISTRY_VERSION, ensureRegistry, probeRegistry } from './registry.ts';
export {
  DEFAULT_POSTGRES_URL,
  ensurePostgres,
  ensurePostgresBin,
  findPostgresBin,
  pgCtl,
  postgresDataDir,
  probePostgres,
} from './postgres.ts';
export type { PostgresHandle } from './postgres.ts';
export type { RegistryHandle, RegistryOptions } from './registry.ts';
export { ensureStack, stopLeftovers } from './stack.ts';
export type { Stack, StackOptions } from './stack.ts';
export { atomicDir, compileJava, copyArtifact, requireJava, findJava, jvmOptions } from './java.ts';
export type { Jdk } from './java.ts';
export { ensureTool, findTool, ALERTMANAGER, AMTOOL, CHROMIUM, PROMETHEUS, PROMTOOL } from './tools.ts';
export type { DebianTool } from './tools.ts';
export { freePort, isPortOpen, startDaemon, tail, waitFor } from './proc.ts';
export type { Daemon } from './proc.ts';
export { cacheDir, repoRoot, stateDir, logDir } from './paths.ts';
export { PORTS, LOCAL_ENV } from './ports.ts';
