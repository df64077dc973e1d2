/**
 * Configuration of every demo process, parsed once from the environment, with defaults,
 * frozen. Every key, its default and its variable are listed in demo-services/README.md.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError } from './lib/errors.ts';

export interface DemoConfig {
  /** KAFKA_BROKERS: comma-separated bootstrap servers. */
  readonly brokers: readonly string[];
  /** SCHEMA_REGISTRY_URL: Confluent-compatible registry API root. */
  readonly registryUrl: string;
  /** DEMO_DATA_DIR: where each service keeps its SQLite file. */
  readonly dataDir: string;
  /** DEMO_TOPIC_PREFIX: prepended to every topic and consumer group name (tests use a unique one). */
  readonly topicPrefix: string;
  /** DEMO_PARTITIONS: partitions of each topic the demo creates. */
  readonly partitions: number;
  /** ORDER_HOST / ORDER_PORT: where the order service listens. */
  readonly orderHost: string;
  readonly orderPort: number;
  /** ORDER_URL: where the load generator finds the order service. */
  readonly orderUrl: string;
  /** DEMO_STEP_TIMEOUT_MS: a saga step with no reply for this long is compensated and timed out. */
  readonly stepTimeoutMs: number;
  /** DEMO_MAX_ATTEMPTS: attempts per record before it goes to the DLQ. */
  readonly maxAttempts: number;
  /** DEMO_RETRY_BASE_MS: first retry backoff; doubles per attempt, capped at 5 s, with jitter. */
  readonly retryBaseMs: number;
  /** DEMO_SLOW_MS: extra processing time per record (builds lag on purpose). */
  readonly slowMs: number;
  /** DEMO_TRANSIENT_FAILURE_RATE: probability that handling a record fails with a TransientError. */
  readonly transientFailureRate: number;
  /** DEMO_FAIL_ATTEMPTS: the first n attempts of every record fail with a TransientError (deterministic retries). */
  readonly failAttempts: number;
  /**
   * DEMO_FAULT_SKIP_EVERY: a bug on purpose (the loss audit's test): every record whose offset is
   * n-1 modulo n is committed past without being processed, and its span is dropped, as if the
   * consumer never saw it (a seek or an offset reset past it). 0: off.
   */
  readonly skipEvery: number;
  /** DEMO_FAULT_SKIP_LOG: file the skipped records are appended to (`topic partition offset event-id`, one a line). */
  readonly skipLog: string | undefined;
  /** DEMO_FAULT_SKIP_TOPIC: only records of this event type's topic are skipped (e.g. `inventory.reserve`); empty: all. */
  readonly skipTopic: string | undefined;
  /**
   * DEMO_POISON_FIX_FILE: while this file exists, the step that fails on purpose (inventory
   * reserving a `poison-*` SKU) succeeds: the "fix" a test or an operator deploys by creating
   * it, without restarting anything, before redriving the dead-lettered records.
   * Default `<DEMO_DATA_DIR>/<DEMO_TOPIC_PREFIX>poison-fixed`.
   */
  readonly poisonFixFile: string;
  /** DEMO_PAYMENT_LIMIT: charges above this amount are declined. */
  readonly paymentLimit: number;
  /** DEMO_SESSION_TIMEOUT_MS: consumer group session timeout (how soon a killed instance's partitions move). */
  readonly sessionTimeoutMs: number;
  /** DEMO_INSTANCE: instance name (logs, client id). */
  readonly instance: string;
  /** OTEL_SDK_DISABLED=true or DEMO_TRACING=off: no tracing at all. */
  readonly tracing: boolean;
  /** DEMO_INITIAL_STOCK: stock of a new SKU (SKUs starting with `sold-out` have none). */
  readonly initialStock: number;
  /** DEMO_LOG_LEVEL: `info`, or `warn` for warnings and errors only. */
  readonly logLevel: LogLevel;
  /** KAFKAJS_LOG_LEVEL: kafkajs's own log level (`nothing`, `error`, `warn`, `info`, `debug`). */
  readonly kafkajsLogLevel: KafkajsLogLevel;
}

export const LOG_LEVELS = ['info', 'warn'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export const KAFKAJS_LOG_LEVELS = ['nothing', 'error', 'warn', 'info', 'debug'] as const;
export type KafkajsLogLevel = (typeof KAFKAJS_LOG_LEVELS)[number];

/** `<repo>/.eventscope/demo-data`, next to devstack's other runtime data (git-ignored). */
export const DEFAULT_DATA_DIR = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  '.eventscope',
  'demo-data',
);

function num(env: NodeJS.ProcessEnv, key: string, fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  const raw = env[key];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < min || value > max) {
    throw new ConfigError(`${key}=${raw} is not a number between ${min} and ${max}`);
  }
  return value;
}

function oneOf<T extends string>(env: NodeJS.ProcessEnv, key: string, values: readonly T[], fallback: T): T {
  const raw = (env[key] ?? '').toLowerCase();
  if (raw === '') return fallback;
  const found = values.find((v) => v === raw);
  if (found === undefined) throw new ConfigError(`${key}=${env[key]}: valid values are ${values.join(', ')}`);
  return found;
}

export function tracingEnabled(env: NodeJS.ProcessEnv = process.env): boolean {
  const disabled = (env.OTEL_SDK_DISABLED ?? '').toLowerCase() === 'true';
  const flag = (env.DEMO_TRACING ?? 'on').toLowerCase();
  if (!['on', 'off', 'true', 'false', '1', '0'].includes(flag)) {
    throw new ConfigError(`DEMO_TRACING=${flag}: valid values are on, off`);
  }
  return !disabled && !['off', 'false', '0'].includes(flag);
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): DemoConfig {
  const orderHost = env.ORDER_HOST || '127.0.0.1';
  const orderPort = num(env, 'ORDER_PORT', 8090, 0, 65535);
  const prefix = env.DEMO_TOPIC_PREFIX ?? '';
  if (!/^[A-Za-z0-9._-]*$/.test(prefix)) {
    throw new ConfigError(`DEMO_TOPIC_PREFIX=${prefix}: only letters, digits, '.', '_' and '-' are allowed`);
  }
  const dataDir = path.resolve(env.DEMO_DATA_DIR || DEFAULT_DATA_DIR);
  return Object.freeze({
    brokers: Object.freeze((env.KAFKA_BROKERS || '127.0.0.1:9092').split(',').map((b) => b.trim())),
    registryUrl: (env.SCHEMA_REGISTRY_URL || 'http://127.0.0.1:8081/apis/ccompat/v7').replace(/\/$/, ''),
    dataDir,
    topicPrefix: prefix,
    partitions: num(env, 'DEMO_PARTITIONS', 3, 1, 1000),
    orderHost,
    orderPort,
    orderUrl: (env.ORDER_URL || `http://${orderHost === '0.0.0.0' ? '127.0.0.1' : orderHost}:${orderPort}`).replace(
      /\/$/,
      '',
    ),
    stepTimeoutMs: num(env, 'DEMO_STEP_TIMEOUT_MS', 30_000, 100),
    maxAttempts: num(env, 'DEMO_MAX_ATTEMPTS', 4, 1, 100),
    retryBaseMs: num(env, 'DEMO_RETRY_BASE_MS', 100, 0, 60_000),
    slowMs: num(env, 'DEMO_SLOW_MS', 0, 0, 600_000),
    transientFailureRate: num(env, 'DEMO_TRANSIENT_FAILURE_RATE', 0, 0, 1),
    failAttempts: num(env, 'DEMO_FAIL_ATTEMPTS', 0, 0, 100),
    skipEvery: num(env, 'DEMO_FAULT_SKIP_EVERY', 0, 0, 1_000_000),
    skipLog: env.DEMO_FAULT_SKIP_LOG || undefined,
    skipTopic: env.DEMO_FAULT_SKIP_TOPIC || undefined,
    poisonFixFile: path.resolve(env.DEMO_POISON_FIX_FILE || path.join(dataDir, `${prefix}poison-fixed`)),
    paymentLimit: num(env, 'DEMO_PAYMENT_LIMIT', 10_000, 0),
    sessionTimeoutMs: num(env, 'DEMO_SESSION_TIMEOUT_MS', 10_000, 6_000, 300_000),
    instance: env.DEMO_INSTANCE || String(process.pid),
    tracing: tracingEnabled(env),
    initialStock: num(env, 'DEMO_INITIAL_STOCK', 1_000_000_000),
    logLevel: oneOf(env, 'DEMO_LOG_LEVEL', LOG_LEVELS, 'info'),
    kafkajsLogLevel: oneOf(env, 'KAFKAJS_LOG_LEVEL', KAFKAJS_LOG_LEVELS, 'warn'),
  });
}
