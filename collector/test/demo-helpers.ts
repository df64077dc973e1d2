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
import { Kafka, logLevel } from 'kafkajs';
import { startDemo, type RunningDemo } from '../../demo-services/src/index.ts';
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
  const demo = await startDemo({
    env: {
      KAFKA_BROKERS: BROKERS,
      SCHEMA_REGISTRY_URL: REGISTRY_URL,
      DEMO_TOPIC_PREFIX: prefix,
      DEMO_DATA_DIR: dataDir,
      ORDER_HOST: '127.0.0.1',
      ORDER_PORT: '0',
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${otlpPort}`,
      DEMO_LOG_LEVEL: 'warn',
    },
    loadgenArgs,
    ...(summaryFile !== undefined ? { summaryFile } : {}),
    output: (line) => lines.push(line),
  });
  return { demo, lines, dataDir };
}

/** Deletes the prefix's topics, groups and registry subjects. */
export async function cleanupPrefix(prefix: string): Promise<void> {
  const kafka = new Kafka({ clientId: 'eventscope-demo-test-cleanup', brokers: [BROKERS], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  try {
    const topics = (await admin.listTopics()).filter((t) => t.startsWith(prefix));
    if (topics.length) await admin.deleteTopics({ topics });
    const groups = (await admin.listGroups()).groups.map((g) => g.groupId).filter((g) => g.startsWith(prefix));
    if (groups.length) await admin.deleteGroups(groups).catch(() => undefined);
  } finally {
    await admin.disconnect();
  }
  try {
    const res = await fetch(`${REGISTRY_URL}/subjects`);
    const subjects = ((await res.json()) as string[]).filter((s) => s.startsWith(prefix));
    for (const s of subjects) {
      const url = `${REGISTRY_URL}/subjects/${encodeURIComponent(s)}`;
      await fetch(url, { method: 'DELETE' });
      await fetch(`${url}?permanent=true`, { method: 'DELETE' });
    }
  } catch {
    // the registry's subjects are only tidiness
  }
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** GET through app.inject(), JSON-parsed, with the status code. */
export async function getJson<T>(app: App, url: string): Promise<{ status: number; body: T }> {
  const res = await app.inject({ method: 'GET', url });
  return { status: res.statusCode, body: res.json<T>() };
}
