/** Shared by the traces/flows/tap tests: an app on a temporary data dir, listening on free ports. */
import type { Config } from '../src/config.ts';
import type { App } from '../src/app.ts';
import { startListeningApp, tempDir as newTempDir, type ListeningApp } from './harness.ts';

export { removeDir, useListeningApp, waitFor } from './harness.ts';

export type Harness = ListeningApp;

export function tempDir(): string {
  return newTempDir('flows');
}

export function startHarness(overrides: Partial<Config> = {}, dataDir = tempDir()): Promise<Harness> {
  return startListeningApp({ overrides, dataDir });
}

/** A metric's value from the app's registry (sum over label sets matching `labels`). */
export async function metricValue(app: App, name: string, labels: Record<string, string> = {}): Promise<number> {
  const m = await app.metrics.getSingleMetric(name)?.get();
  if (!m) return 0;
  return m.values
    .filter((v) => Object.entries(labels).every(([k, val]) => String(v.labels[k]) === val))
    .reduce((n, v) => n + v.value, 0);
}
