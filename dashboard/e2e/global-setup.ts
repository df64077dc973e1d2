/**
 * Vitest global setup of the browser project: builds dashboard/dist once for every test file,
 * and fails when a JavaScript chunk is over Vite's 500 kB warning size (the pages are loaded
 * lazily so that recharts and each page stay out of the entry chunk; see src/App.tsx).
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { buildDashboard, DIST_DIR } from './serve.ts';

const CHUNK_LIMIT_BYTES = 500 * 1000;

export default async function setup(): Promise<void> {
  await buildDashboard();
  const assets = join(DIST_DIR, 'assets');
  const big = readdirSync(assets)
    .filter((f) => f.endsWith('.js'))
    .map((f) => ({ f, size: statSync(join(assets, f)).size }))
    .filter(({ size }) => size > CHUNK_LIMIT_BYTES);
  if (big.length) {
    throw new Error(
      `dashboard chunks over ${CHUNK_LIMIT_BYTES / 1000} kB: ${big.map(({ f, size }) => `${f} (${Math.round(size / 1000)} kB)`).join(', ')}`,
    );
  }
}
