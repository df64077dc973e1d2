/**
 * start.ts, the collector's launcher: the process it leaves running (same pid, after execve) is
 * the server with node-flags.ts's V8 flags and environment, a variable the user set wins, the
 * heap limit follows `heapMb` (a bad value refused before the server starts), and SIGTERM
 * reaches the server (clean exit 0).
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { COLLECTOR_ENV, COLLECTOR_NODE_FLAGS, collectorNodeFlags } from '../src/node-flags.ts';
import { BROKERS, waitFor } from './harness.ts';

const START = fileURLToPath(new URL('../src/start.ts', import.meta.url));
const SERVER = fileURLToPath(new URL('../src/server.ts', import.meta.url));
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

interface Started {
  child: ChildProcessWithoutNullStreams;
  /** The server's `starting` log line. */
  starting: { heapLimitMb: number; mallocArenaMax: string; config: { heapMb: number } };
  /** Everything it wrote so far. */
  output: () => string;
}

function tempDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'es-start-'));
  dirs.push(dir);
  return dir;
}

/** start.ts (or `script`) as a child process, on free ports and a data dir of its own, `extraEnv` over the test's environment. */
function launch(extraEnv: Record<string, string>, script = START): ChildProcessWithoutNullStreams {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extraEnv };
  // The launcher's defaults must be the ones under test, not the test runner's own.
  for (const k of Object.keys(COLLECTOR_ENV)) if (!(k in extraEnv)) delete env[k];
  for (const k of ['EVENTSCOPE_HEAP_MB', 'EVENTSCOPE_CONFIG_FILE', 'NODE_OPTIONS']) if (!(k in extraEnv)) delete env[k];
  return spawn(process.execPath, [script], {
    env: {
      ...env,
      KAFKA_BROKERS: BROKERS,
      EVENTSCOPE_DATA_DIR: tempDir(),
      EVENTSCOPE_PORT: '0',
      EVENTSCOPE_OTLP_PORT: '0',
      EVENTSCOPE_OTLP_GRPC_PORT: '0',
      EVENTSCOPE_TAP_TOPICS: '',
    },
  });
}

async function start(extraEnv: Record<string, string>, script = START): Promise<Started> {
  const child = launch(extraEnv, script);
  let out = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr.on('data', (b: Buffer) => (out += b.toString()));
  const starting = await waitFor(
    'the server to log "starting"',
    () => {
      for (const line of out.split('\n')) {
        if (!line.startsWith('{')) continue;
        const rec = JSON.parse(line) as Started['starting'] & { msg?: string };
        if (rec.msg === 'starting') return rec;
      }
      if (child.exitCode !== null) throw new Error(`exited ${child.exitCode}: ${out}`);
      return undefined;
    },
    30_000,
  );
  return { child, starting, output: () => out };
}

/** Runs start.ts to its exit: the exit code and everything it wrote. */
async function run(extraEnv: Record<string, string>): Promise<{ code: number | null; out: string }> {
  const child = launch(extraEnv);
  let out = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr.on('data', (b: Buffer) => (out += b.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  return { code, out };
}

/** The arguments of a running process after `node`, read from /proc. */
function nodeArgs(pid: number): string[] {
  return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).slice(1);
}

async function stop(child: ChildProcessWithoutNullStreams): Promise<number | null> {
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.kill('SIGTERM');
  return exited;
}

describe('start.ts', () => {
  it('replaces itself with the server, with the Node flags and environment of node-flags.ts', async () => {
    const { child, starting, output } = await start({});
    const pid = child.pid as number;
    expect(nodeArgs(pid)).toEqual([...COLLECTOR_NODE_FLAGS, SERVER]);
    const environ = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
    for (const [k, v] of Object.entries(COLLECTOR_ENV)) expect(environ).toContain(`${k}=${v}`);
    expect(starting.mallocArenaMax).toBe(COLLECTOR_ENV.MALLOC_ARENA_MAX);
    // --max-old-space-size in effect: V8's limit is that plus the young generation, far below
    // what it picks by itself on a machine with gigabytes of memory.
    const oldSpace = Number(/--max-old-space-size=(\d+)/.exec(COLLECTOR_NODE_FLAGS.join(' '))?.[1]);
    expect(starting.heapLimitMb).toBeGreaterThanOrEqual(oldSpace);
    expect(starting.heapLimitMb).toBeLessThan(oldSpace + 256);
    expect(starting.config.heapMb).toBe(oldSpace);
    expect(await stop(child)).toBe(0);
    // Started through the launcher, the server has its flags and does not warn that it lacks them.
    expect(output()).toContain('"msg":"shutting down"');
    expect(output()).not.toContain('is not applied');
  }, 60_000);

  it('sets the heap limit from heapMb, in the environment or the config file; keeps a variable the user set', async () => {
    const file = path.join(tempDir(), 'config.json');
    writeFileSync(file, JSON.stringify({ heapMb: 160 }));
    // Two launchers at once (each start is seconds of CPU on a busy machine).
    const [fromEnv, fromFile] = await Promise.all([
      start({ EVENTSCOPE_HEAP_MB: '384' }),
      // NODE_OPTIONS asks for more; the launcher's flag, from the key, wins. MALLOC_ARENA_MAX set
      // by the user stays as it is.
      start({ EVENTSCOPE_CONFIG_FILE: file, NODE_OPTIONS: '--max-old-space-size=1024', MALLOC_ARENA_MAX: '4' }),
    ]);
    expect(nodeArgs(fromEnv.child.pid as number)).toEqual([...collectorNodeFlags(384), SERVER]);
    // V8's limit is the old generation plus the young one: above 384, so not the default's ~280.
    expect(fromEnv.starting.heapLimitMb).toBeGreaterThanOrEqual(384);
    expect(fromEnv.starting.heapLimitMb).toBeLessThan(384 + 256);
    expect(fromEnv.starting.config.heapMb).toBe(384);
    expect(nodeArgs(fromFile.child.pid as number)).toEqual([...collectorNodeFlags(160), SERVER]);
    expect(fromFile.starting.heapLimitMb).toBeGreaterThanOrEqual(160);
    expect(fromFile.starting.heapLimitMb).toBeLessThan(160 + 256);
    expect(fromFile.starting.mallocArenaMax).toBe('4');
    expect(await Promise.all([stop(fromEnv.child), stop(fromFile.child)])).toEqual([0, 0]);
    expect(fromEnv.output()).not.toContain('is not applied');
  }, 90_000);

  it('has a server started without the launcher say that heapMb is not applied', async () => {
    const { child, output } = await start({ EVENTSCOPE_HEAP_MB: '384' }, SERVER);
    expect(await stop(child)).toBe(0);
    expect(output()).toContain('heapMb (EVENTSCOPE_HEAP_MB) 384 is not applied');
  }, 60_000);

  it('refuses a bad heapMb before starting the server, naming the key', async () => {
    const cases = [
      ['64', 'must be >= 128, got 64'],
      ['100000', 'must be <= 65536, got 100000'],
      ['1g', 'expected an integer, got "1g"'],
    ] as const;
    const runs = await Promise.all(cases.map(([value]) => run({ EVENTSCOPE_HEAP_MB: value })));
    for (const [i, [, problem]] of cases.entries()) {
      const { code, out } = runs[i] as { code: number | null; out: string };
      expect(code, out).toBe(2);
      expect(out).toContain(`eventscope-collector: config heapMb (EVENTSCOPE_HEAP_MB): ${problem}`);
      expect(out, 'the server never started').not.toContain('"msg":"starting"');
    }
  }, 60_000);
});
