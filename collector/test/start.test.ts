/**
 * start.ts, the collector's launcher: the process it leaves running (same pid, after execve) is
 * the server with node-flags.ts's V8 flags and environment, a variable the user set wins, and
 * SIGTERM reaches the server (clean exit 0).
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { COLLECTOR_ENV, COLLECTOR_NODE_FLAGS } from '../src/node-flags.ts';
import { BROKERS, waitFor } from './harness.ts';

const START = fileURLToPath(new URL('../src/start.ts', import.meta.url));
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

interface Started {
  child: ChildProcessWithoutNullStreams;
  /** The server's `starting` log line. */
  starting: { heapLimitMb: number; mallocArenaMax: string };
}

async function start(extraEnv: Record<string, string>): Promise<Started> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'es-start-'));
  dirs.push(dataDir);
  const env: NodeJS.ProcessEnv = { ...process.env, ...extraEnv };
  // The launcher's defaults must be the ones under test, not the test runner's own.
  for (const k of Object.keys(COLLECTOR_ENV)) if (!(k in extraEnv)) delete env[k];
  const child = spawn(process.execPath, [START], {
    env: {
      ...env,
      KAFKA_BROKERS: BROKERS,
      EVENTSCOPE_DATA_DIR: dataDir,
      EVENTSCOPE_PORT: '0',
      EVENTSCOPE_OTLP_PORT: '0',
      EVENTSCOPE_OTLP_GRPC_PORT: '0',
      EVENTSCOPE_TAP_TOPICS: '',
    },
  });
  let out = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr.on('data', (b: Buffer) => (out += b.toString()));
  const starting = await waitFor(
    'the server to log "starting"',
    () => {
      for (const line of out.split('\n')) {
        if (!line.startsWith('{')) continue;
        const rec = JSON.parse(line) as { msg?: string; heapLimitMb: number; mallocArenaMax: string };
        if (rec.msg === 'starting') return rec;
      }
      if (child.exitCode !== null) throw new Error(`exited ${child.exitCode}: ${out}`);
      return undefined;
    },
    30_000,
  );
  return { child, starting };
}

async function stop(child: ChildProcessWithoutNullStreams): Promise<number | null> {
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.kill('SIGTERM');
  return exited;
}

describe('start.ts', () => {
  it('replaces itself with the server, with the Node flags and environment of node-flags.ts', async () => {
    const { child, starting } = await start({});
    const pid = child.pid as number;
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
    expect(argv.slice(1)).toEqual([
      ...COLLECTOR_NODE_FLAGS,
      fileURLToPath(new URL('../src/server.ts', import.meta.url)),
    ]);
    const environ = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
    for (const [k, v] of Object.entries(COLLECTOR_ENV)) expect(environ).toContain(`${k}=${v}`);
    expect(starting.mallocArenaMax).toBe(COLLECTOR_ENV.MALLOC_ARENA_MAX);
    // --max-old-space-size in effect: V8's limit is that plus the young generation, far below
    // what it picks by itself on a machine with gigabytes of memory.
    const oldSpace = Number(/--max-old-space-size=(\d+)/.exec(COLLECTOR_NODE_FLAGS.join(' '))?.[1]);
    expect(starting.heapLimitMb).toBeGreaterThanOrEqual(oldSpace);
    expect(starting.heapLimitMb).toBeLessThan(oldSpace + 256);
    expect(await stop(child)).toBe(0);
  }, 60_000);

  it('leaves a variable the user set as it is', async () => {
    const { child, starting } = await start({ MALLOC_ARENA_MAX: '4' });
    expect(starting.mallocArenaMax).toBe('4');
    expect(await stop(child)).toBe(0);
  }, 60_000);
});
