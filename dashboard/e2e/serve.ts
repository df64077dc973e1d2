/**
 * Serves the built dashboard for browser tests, with a REAL collector app answering /api:
 * `buildApp` from collector/src/app.ts on a temporary data dir, `background: false` (no Kafka
 * poll; the flows API, OTLP intake and SSE work), or with `background: true` polling the real
 * broker (lag, DLQs). Two ways to serve the UI:
 * - `preview`: `vite preview` of dashboard/dist, proxying /api to the collector (as in dev);
 * - `collector`: the collector itself serves dashboard/dist (as `npm start` does).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { build, preview, type PreviewServer } from 'vite';

export const DASHBOARD_DIR = resolve(import.meta.dirname, '..');
export const DIST_DIR = join(DASHBOARD_DIR, 'dist');
const COLLECTOR_SRC = resolve(DASHBOARD_DIR, '../collector/src');

/** The little of the collector's app the harness uses (kept structural: the dashboard does not type-check the collector). */
interface CollectorApp {
  listen(opts: { host: string; port: number }): Promise<string>;
  close(): Promise<void>;
  inject(opts: { method: string; url: string; headers?: Record<string, string>; payload?: unknown }): Promise<{
    statusCode: number;
    body: string;
  }>;
  intake: { flush(): Promise<void> };
}

export interface Served {
  /** Where the browser goes. */
  url: string;
  /** The collector's own URL (API, OTLP at /v1/traces). */
  collectorUrl: string;
  collector: CollectorApp;
  close(): Promise<void>;
}

/**
 * The production build, as `npm run build` makes it. Vitest sets NODE_ENV=test, which would
 * give React's development bundle (larger, slower, "download the React DevTools"); the build
 * runs with NODE_ENV=production and puts the old value back.
 */
export async function buildDashboard(): Promise<void> {
  const nodeEnv = process.env.NODE_ENV;
  process.env.NODE_ENV = 'production';
  try {
    await build({
      root: DASHBOARD_DIR,
      mode: 'production',
      logLevel: 'warn',
      configFile: join(DASHBOARD_DIR, 'vite.config.ts'),
    });
  } finally {
    if (nodeEnv === undefined) delete process.env.NODE_ENV;
    else process.env.NODE_ENV = nodeEnv;
  }
}

export interface ServeOptions {
  /** Poll Kafka (lag, DLQs): true; default false. */
  background?: boolean;
  /** Extra collector environment (e.g. SCHEMA_REGISTRY_URL). */
  env?: Record<string, string>;
  /** Collector config overrides (pollIntervalMs, groupsInclude, dlqPattern, ...). */
  config?: Record<string, unknown>;
}

export async function serve(mode: 'preview' | 'collector' = 'preview', options: ServeOptions = {}): Promise<Served> {
  const dataDir = mkdtempSync(join(tmpdir(), 'eventscope-dashboard-e2e-'));
  const appPath = join(COLLECTOR_SRC, 'app.ts');
  const configPath = join(COLLECTOR_SRC, 'config.ts');
  const { buildApp } = (await import(/* @vite-ignore */ appPath)) as {
    buildApp: (o: { config: unknown; background: boolean }) => Promise<CollectorApp>;
  };
  const { loadConfig } = (await import(/* @vite-ignore */ configPath)) as {
    loadConfig: (env: Record<string, string>, overrides: Record<string, unknown>) => unknown;
  };
  const config = loadConfig(
    { KAFKA_BROKERS: process.env.KAFKA_BROKERS ?? '127.0.0.1:9092', EVENTSCOPE_LOG_LEVEL: 'warn', ...options.env },
    {
      dataDir,
      port: 0,
      otlpPort: 0,
      dashboardDir: mode === 'collector' ? DIST_DIR : join(dataDir, 'no-dashboard'),
      ...options.config,
    },
  );
  const collector = await buildApp({ config, background: options.background ?? false });
  const collectorUrl = await collector.listen({ host: '127.0.0.1', port: 0 });

  let server: PreviewServer | undefined;
  let url = collectorUrl;
  if (mode === 'preview') {
    server = await preview({
      root: DASHBOARD_DIR,
      configFile: join(DASHBOARD_DIR, 'vite.config.ts'),
      logLevel: 'warn',
      preview: { host: '127.0.0.1', port: 0, strictPort: false, proxy: { '/api': collectorUrl } },
    });
    url = server.resolvedUrls?.local[0]?.replace(/\/$/, '') ?? '';
    if (!url) throw new Error('vite preview did not report its URL');
  }
  return {
    url,
    collectorUrl,
    collector,
    async close() {
      await server?.close();
      await collector.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
