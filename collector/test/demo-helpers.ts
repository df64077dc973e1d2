/**
 * Shared by the demo end-to-end and restart tests: the collector in-process on a store file
 * (Kafka monitor polling, OTLP port listening) and the demo services with their load
 * generator, on a topic prefix of their own, cleaned up afterwards.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { deletePrefixed, startIsolatedDemo, type RunningDemo } from '../../demo-services/src/index.ts';
import { buildApp, type App } from '../src/app.ts';
import { loadConfig, type Config } from '../src/config.ts';
import { createOtlpServer } from '../src/traces/index.ts';

export const BROKERS = process.env.KAFKA_BROKERS ?? '127.0.0.1:9092';
export const REGISTRY_URL = process.env.SCHEMA_REGISTRY_URL ?? 'http://127.0.0.1:8081/apis/ccompat/v7';

/** A topic prefix of this run's own (topics, groups and registry subjects start with it). */
export function uniquePrefix(label: string): string {
  return `t-${label}-${Date.now().toString(36)}-${randomBytes(2).toString('hex')}.`;
}

export function tempDir(label: string): string {
  return mkdtempSync(path.join(tmpdir(), `eventscope-${label}-`));
}

export interface Collector {
  app: App;
  otlp: FastifyInstance;
  otlpPort: number;
  /** The real shutdown path of server.ts: the OTLP listener first, then the app (intake drained, store closed). */
  close(): Promise<void>;
}

/**
 * The production app with background work on (Kafka poll, audit), polling only the demo's
 * groups and DLQs, and its OTLP port listening (`otlpPort` 0: a free one).
 */
export async function startCollector(
  prefix: string,
  dataDir: string,
  otlpPort = 0,
  overrides: Partial<Config> = {},
): Promise<Collector> {
  const config = loadConfig(
    { KAFKA_BROKERS: BROKERS, SCHEMA_REGISTRY_URL: REGISTRY_URL },
    {
      dataDir,
      port: 0,
      otlpPort,
      pollIntervalMs: 1000,
      groupsInclude: `${prefix}*`,
      groupsExclude: 'eventscope-*',
      dlqPattern: `${prefix}*.dlq`,
      ...overrides,
    },
  );
  const app = await buildApp({ config, background: true });
  const otlp = await createOtlpServer(app);
  await app.ready();
  await otlp.listen({ host: '127.0.0.1', port: otlpPort });
  const address = otlp.server.address();
  const port = typeof address === 'object' && address ? address.port : otlpPort;
  return {
    app,
    otlp,
    otlpPort: port,
    async close() {
      await otlp.close();
      await app.close();
    },
  };
}

export interface Demo {
  demo: RunningDemo;
  lines: string[];
  dataDir: string;
}

export async function runDemo(
  prefix: string,
  otlpPort: number,
  loadgenArgs: string[],
  summaryFile?: string,
): Promise<Demo> {
  const dataDir = tempDir('demo-data');
  const lines: string[] = [];
  const demo = await startIsolatedDemo({
    prefix,
    dataDir,
    brokers: BROKERS,
    registryUrl: REGISTRY_URL,
    otlpEndpoint: `http://127.0.0.1:${otlpPort}`,
    loadgenArgs,
    ...(summaryFile !== undefined ? { summaryFile } : {}),
    output: (line) => lines.push(line),
  });
  return { demo, lines, dataDir };
}

/** Deletes the prefix's topics, groups and registry subjects. */
export function cleanupPrefix(prefix: string): Promise<void> {
  return deletePrefixed({ prefix, brokers: BROKERS, registryUrl: REGISTRY_URL });
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** GET through app.inject(), JSON-parsed, with the status code. */
export async function getJson<T>(app: App, url: string): Promise<{ status: number; body: T }> {
  const res = await app.inject({ method: 'GET', url });
  return { status: res.statusCode, body: res.json<T>() };
}
