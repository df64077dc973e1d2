/**
 * Shared by the demo end-to-end and restart tests: the collector in-process on a store file
 * (Kafka monitor polling, OTLP port listening) and the demo services with their load
 * generator, on a topic prefix of their own, cleaned up afterwards.
 */
import { randomBytes } from 'node:crypto';
import { deletePrefixed, startIsolatedDemo, type RunningDemo } from '@eventscope/demo-services';
import type { App } from '../src/app.ts';
import type { Config } from '../src/config.ts';
import { BROKERS, REGISTRY_URL, removeDir, startListeningApp, tempDir, type ListeningApp } from './harness.ts';

export { BROKERS, REGISTRY_URL, removeDir, tempDir } from './harness.ts';

/** A topic prefix of this run's own (topics, groups and registry subjects start with it). */
export function uniquePrefix(label: string): string {
  return `t-${label}-${Date.now().toString(36)}-${randomBytes(2).toString('hex')}.`;
}

export type Collector = ListeningApp;

/** A demo suite's own topic prefix, collector store folder and demo data folder. */
export function demoSuitePlaces(label: string): { prefix: string; storeDir: string; demoDir: string } {
  return { prefix: uniquePrefix(label), storeDir: tempDir(label), demoDir: tempDir(`${label}-demo`) };
}

/**
 * The production app with background work on (Kafka poll, audit), polling only the demo's
 * groups and DLQs, and its OTLP port listening (`otlpPort` 0: a free one).
 */
export function startCollector(
  prefix: string,
  dataDir: string,
  otlpPort = 0,
  overrides: Partial<Config> = {},
  otlpOpens?: Promise<unknown>,
): Promise<Collector> {
  return startListeningApp({
    otlpOpens,
    env: { KAFKA_BROKERS: BROKERS, SCHEMA_REGISTRY_URL: REGISTRY_URL },
    overrides: {
      pollIntervalMs: 1000,
      groupsInclude: `${prefix}*`,
      groupsExclude: 'eventscope-*',
      dlqPattern: `${prefix}*.dlq`,
      ...overrides,
    },
    dataDir,
    background: true,
    otlpPort,
  });
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
    ...demoOn(prefix, dataDir, otlpPort),
    loadgenArgs,
    ...(summaryFile !== undefined ? { summaryFile } : {}),
    output: (line) => lines.push(line),
  });
  return { demo, lines, dataDir };
}

/** startIsolatedDemo's options for the demo on `prefix` in `dataDir`, exporting to the OTLP port given. */
export function demoOn(prefix: string, dataDir: string, otlpPort: number) {
  return { prefix, dataDir, brokers: BROKERS, registryUrl: REGISTRY_URL, otlpEndpoint: `http://127.0.0.1:${otlpPort}` };
}

/**
 * A demo suite's teardown: the demo stopped, then the collector closed, the prefix's topics,
 * groups and subjects deleted and the folders removed.
 */
export async function stopDemoSuite(
  prefix: string,
  demo: RunningDemo | undefined,
  collector: Collector | undefined,
  dirs: string[],
): Promise<void> {
  await demo?.stop();
  await collector?.close();
  await cleanupPrefix(prefix);
  for (const dir of dirs) removeDir(dir);
}

/** Deletes the prefix's topics, groups and registry subjects. */
export function cleanupPrefix(prefix: string): Promise<void> {
  return deletePrefixed({ prefix, brokers: BROKERS, registryUrl: REGISTRY_URL });
}

/** GET through app.inject(), JSON-parsed, with the status code. */
export async function getJson<T>(app: App, url: string): Promise<{ status: number; body: T }> {
  const res = await app.inject({ method: 'GET', url });
  return { status: res.statusCode, body: res.json<T>() };
}
