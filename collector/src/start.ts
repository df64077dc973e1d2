#!/usr/bin/env node
/**
 * Starts the collector with its production Node flags and environment, both written once in
 * node-flags.ts, the heap limit from the config (`heapMb`). This process reads the config (and
 * refuses a bad one as the server would, exit 2), then replaces itself (`process.execve`) with
 * `node <flags> server.ts`: the collector keeps this pid, gets signals directly, and no parent
 * process stays behind. `npm start` (devstack), `npm start -w collector`, the `eventscope-collector`
 * bin, the Docker image, docker-compose and the helm chart start the collector through here; the
 * benchmarks read node-flags.ts themselves (the default heap). A variable the user set wins over COLLECTOR_ENV;
 * arguments after ours go to the server.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { loadConfig } from './config.ts';
import { COLLECTOR_ENV, collectorNodeFlags } from './node-flags.ts';

let heapMb: number;
try {
  ({ heapMb } = loadConfig());
} catch (err) {
  process.stderr.write(`eventscope-collector: ${(err as Error).message}\n`);
  process.exit(2);
}
const server = fileURLToPath(new URL('./server.ts', import.meta.url));
const args = [...collectorNodeFlags(heapMb), server, ...process.argv.slice(2)];
const env: NodeJS.ProcessEnv = { ...COLLECTOR_ENV, ...process.env };

if (typeof process.execve === 'function') {
  process.execve(process.execPath, [process.execPath, ...args], env);
} else {
  // Platforms without execve (Windows): a child with the same stdio; signals passed on, its exit code ours.
  const child = spawn(process.execPath, args, { env, stdio: 'inherit' });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}
