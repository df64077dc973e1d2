/** Shared by the traces/flows/tap tests: an app on a temporary data dir, listening on free ports. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildApp, type App } from '../src/app.ts';
import { loadConfig, type Config } from '../src/config.ts';
import { createOtlpServer } from '../src/traces/index.ts';

export interface Harness {
  app: App;
  otlp: FastifyInstance;
  dataDir: string;
  /** Main port base URL. */
  url: string;
  /** OTLP port base URL. */
  otlpUrl: string;
  close(): Promise<void>;
}

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'eventscope-flows-'));
}

export async function startHarness(overrides: Partial<Config> = {}, dataDir = tempDir()): Promise<Harness> {
  const config = loadConfig(
    { KAFKA_BROKERS: process.env.KAFKA_BROKERS ?? '127.0.0.1:9092' },
    { dataDir, port: 0, otlpPort: 0, ...overrides },
  );
  const app = await buildApp({ config, background: false });
  const otlp = await createOtlpServer(app);
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  const otlpUrl = await otlp.listen({ host: '127.0.0.1', port: 0 });
  return {
    app,
    otlp,
    dataDir,
    url,
    otlpUrl,
    async close() {
      await otlp.close();
      await app.close();
    },
  };
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** Polls `fn` until it returns a value that is not undefined, or fails after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  fn: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${last instanceof Error ? `: ${last.message}` : ''}`,
      );
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A metric's value from the app's registry (sum over label sets matching `labels`). */
export async function metricValue(app: App, name: string, labels: Record<string, string> = {}): Promise<number> {
  const m = await app.metrics.getSingleMetric(name)?.get();
  if (!m) return 0;
  return m.values
    .filter((v) => Object.entries(labels).every(([k, val]) => String(v.labels[k]) === val))
    .reduce((n, v) => n + v.value, 0);
}
