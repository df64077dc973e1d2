/** `npm run bench`: every figure that has a harness, one after the other, then BENCHMARKS.md. */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { main as ingest } from './ingest.ts';
import { main as lag } from './lag.ts';
import { main as lookup } from './lookup.ts';

await ingest();
await lookup();
await lag();
const report = spawnSync(process.execPath, [fileURLToPath(new URL('../scripts/report.ts', import.meta.url))], {
  stdio: 'inherit',
});
process.exitCode = report.status ?? 1;
