/**
 * `npm run bench`: every figure, one after the other, then BENCHMARKS.md. The soak (figure 5)
 * runs last and takes BENCH_SOAK_SECONDS (default 30 minutes).
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { main as audit } from './audit.ts';
import { main as e2e } from './e2e.ts';
import { main as ingest } from './ingest.ts';
import { main as lag } from './lag.ts';
import { main as lookup } from './lookup.ts';
import { main as soak } from './memory.ts';
import { main as overhead } from './overhead.ts';
import { main as redrive } from './redrive.ts';

await overhead();
await ingest();
await lookup();
await lag();
await e2e();
await audit();
await redrive();
await soak();
const report = spawnSync(process.execPath, [fileURLToPath(new URL('../scripts/report.ts', import.meta.url))], {
  stdio: 'inherit',
});
process.exitCode = report.status ?? 1;
