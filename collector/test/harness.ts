/**
 * The collector tests' one harness: the production app (buildApp, as server.ts builds it) on
 * a data dir of its own, optionally listening on free ports with the OTLP port server next to
 * it; and `waitFor`, the one way the tests wait on a condition (with a deadline, never a fixed
 * sleep). kafka-helpers.ts, traces-helpers.ts and demo-helpers.ts build on it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll } from 'vitest';
import { buildApp, type App, type BuildOptions } from '../src/app.ts';
import { loadConfig, type Config } from '../src/config.ts';
import { createOtlpServer } from '../src/traces/index.ts';

/** The broker and registry of this run (vitest's global setup, or the shared dev stack). */
export const BROKERS = process.env.KAFKA_BROKERS ?? '127.0.0.1:9092';
export const REGISTRY_URL = process.env.SCHEMA_REGISTRY_URL ?? 'http://127.0.0.1:8081/apis/ccompat/v7';

/**
 * Polls `check` until it returns something other than undefined or false, and returns that;
 * throws after `timeoutMs`, naming `what` and the last error `check` threw.
 */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined && v !== false) return v;
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

/** A new empty folder under the OS temp dir (remove it with removeDir). */
export function tempDir(label = 'test'): string {
  return mkdtempSync(path.join(tmpdir(), `eventscope-${label}-`));
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

export interface TestAppOptions {
  /** Config keys over the environment's (loadConfig's `overrides`). */
  overrides?: Partial<Config>;
  /** The environment loadConfig reads; default: only KAFKA_BROKERS of this run. */
  env?: NodeJS.ProcessEnv;
  /** Default: a new temporary folder (not removed on close: the caller may reopen it). */
  dataDir?: string;
  /** Background work (Kafka poll, loss audit, sweeps); default off: the test drives it. */
  background?: boolean;
  /** The app's logger (e.g. `{ level: 'trace', stream }` to read what it logs); default none. */
  logger?: BuildOptions['logger'];
}

export interface TestApp {
  app: App;
  dataDir: string;
  close(): Promise<void>;
}

export interface ListeningApp extends TestApp {
  /** The OTLP port server (server.ts's second listener) feeding the same intake. */
  otlp: FastifyInstance;
  otlpPort: number;
  /** Base URLs of the main port and the OTLP port. */
  url: string;
  otlpUrl: string;
}

function testConfig(o: TestAppOptions, dataDir: string): Config {
  return loadConfig(o.env ?? { KAFKA_BROKERS: BROKERS }, { dataDir, port: 0, otlpPort: 0, ...o.overrides });
}

/** The production app, not listening (tests call it with app.inject()). */
export async function startApp(o: TestAppOptions = {}): Promise<TestApp> {
  const dataDir = o.dataDir ?? tempDir('app');
  const app = await buildApp({ config: testConfig(o, dataDir), background: o.background ?? false, logger: o.logger });
  return { app, dataDir, close: () => app.close() };
}

/**
 * The production app listening on a free main port, with the OTLP port server on `otlpPort`
 * (default a free one); closed as server.ts closes them: the OTLP listener first.
 */
export async function startListeningApp(
  o: TestAppOptions & {
    otlpPort?: number;
    /** The OTLP port opens once the app is ready and this has settled (a restart's outage). */
    otlpOpens?: Promise<unknown>;
  } = {},
): Promise<ListeningApp> {
  const { app, dataDir } = await startApp(o);
  const otlp = await createOtlpServer(app);
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  await o.otlpOpens;
  const otlpUrl = await otlp.listen({ host: '127.0.0.1', port: o.otlpPort ?? 0 });
  const address = otlp.server.address();
  const otlpPort = typeof address === 'object' && address ? address.port : (o.otlpPort ?? 0);
  return {
    app,
    dataDir,
    otlp,
    otlpPort,
    url,
    otlpUrl,
    async close() {
      await otlp.close();
      await app.close();
    },
  };
}

/**
 * startListeningApp for a whole suite: started before the enclosing file's (or describe
 * block's) tests, closed after them, its data dir removed unless the caller named one. Call it
 * at collection time; the members of what it returns are there from the suite's first hook on.
 */
export function useListeningApp(o: TestAppOptions & { otlpPort?: number } = {}): ListeningApp {
  const suite = {} as ListeningApp;
  let started = false;
  beforeAll(async () => {
    Object.assign(suite, await startListeningApp(o));
    started = true;
  });
  afterAll(async () => {
    if (!started) return;
    await suite.close();
    if (o.dataDir === undefined) removeDir(suite.dataDir);
  });
  return suite;
}
