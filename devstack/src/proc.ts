import { spawn, type SpawnOptions } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DevstackError } from './errors.ts';

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion and captures its output. Never throws on a non-zero exit. */
export function run(cmd: string, args: readonly string[], options: SpawnOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout?.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') {
        reject(new DevstackError('TOOL_MISSING', `${cmd} is not installed or not on PATH`, { cause: err }));
      } else {
        reject(err);
      }
    });
    child.on('close', (code, signal) => resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr }));
  });
}

/** Runs a command with its output going to this terminal; resolves with its exit code. */
export function runInherit(cmd: string, args: readonly string[], options: SpawnOptions = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { ...options, stdio: 'inherit' });
    child.on('error', reject);
    child.on('close', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });
}

/** True when something accepts TCP connections on host:port. */
export function isPortOpen(port: number, host = '127.0.0.1', timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host });
    const done = (open: boolean): void => {
      socket.destroy();
      resolve(open);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** A TCP port on 127.0.0.1 that nothing listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Polls `check` until it returns a value other than undefined, or the deadline passes. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined>,
  options: { timeoutMs: number; intervalMs?: number; abort?: () => string | undefined },
): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  let lastError: unknown;
  for (;;) {
    const reason = options.abort?.();
    if (reason !== undefined) {
      throw new DevstackError('START_FAILED', `${what}: ${reason}`);
    }
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      const detail = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
      throw new DevstackError('START_TIMEOUT', `${what}: not ready after ${options.timeoutMs / 1000} s${detail}`);
    }
    await sleep(options.intervalMs ?? 250);
  }
}

/** Last `lines` lines of a text file, or a note that it cannot be read. */
export function tail(file: string, lines = 40): string {
  try {
    const text = readFileSync(file, 'utf8');
    return text
      .split('\n')
      .slice(-lines - 1)
      .join('\n');
  } catch {
    return `(no log at ${file})`;
  }
}

export interface Daemon {
  readonly name: string;
  readonly pid: number;
  readonly logFile: string;
  readonly pidFile: string;
  /** Set once the process has exited; undefined while it runs. */
  exitStatus(): string | undefined;
  stop(timeoutMs?: number): Promise<void>;
}

/**
 * Starts a long-running process in its own process group with stdout and stderr appended to
 * `logFile`, and records its pid in `pidFile` so a later run can find (and stop) it.
 */
export function startDaemon(
  name: string,
  cmd: string,
  args: readonly string[],
  options: { logFile: string; pidFile: string; cwd?: string; env?: NodeJS.ProcessEnv },
): Daemon {
  mkdirSync(path.dirname(options.logFile), { recursive: true });
  mkdirSync(path.dirname(options.pidFile), { recursive: true });
  const fd = openSync(options.logFile, 'a');
  const child = spawn(cmd, args, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    detached: true,
    stdio: ['ignore', fd, fd],
  });
  closeSync(fd);
  let exited: string | undefined;
  let spawnError: Error | undefined;
  const exitPromise = new Promise<void>((resolve) => {
    child.once('error', (err) => {
      spawnError = err;
      exited = `could not be started: ${err.message}`;
      resolve();
    });
    child.once('exit', (code, signal) => {
      exited = signal ? `exited on signal ${signal}` : `exited with code ${code ?? '?'}`;
      resolve();
    });
  });
  if (child.pid === undefined) {
    throw new DevstackError('START_FAILED', `${name}: could not start ${cmd}`, { cause: spawnError });
  }
  const pid = child.pid;
  writeFileSync(options.pidFile, `${pid}\n`);
  child.unref();
  return {
    name,
    pid,
    logFile: options.logFile,
    pidFile: options.pidFile,
    exitStatus: () => exited,
    stop: async (timeoutMs = 30_000) => {
      if (exited === undefined) {
        killGroup(pid, 'SIGTERM');
        const timer = sleep(timeoutMs).then(() => 'timeout' as const);
        if ((await Promise.race([exitPromise.then(() => 'exited' as const), timer])) === 'timeout') {
          killGroup(pid, 'SIGKILL');
          await exitPromise;
        }
      }
      rmSync(options.pidFile, { force: true });
    },
  };
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

/** Reads a pid file; returns the pid if that process is still alive. */
export function livePid(pidFile: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(pidFile, 'utf8').trim(), 10);
    return Number.isInteger(pid) && pid > 0 && isAlive(pid) ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Stops a process recorded in a pid file by an earlier run (SIGTERM, then SIGKILL). */
export async function stopPidFile(pidFile: string, timeoutMs = 30_000): Promise<boolean> {
  const pid = livePid(pidFile);
  if (pid === undefined) {
    rmSync(pidFile, { force: true });
    return false;
  }
  killGroup(pid, 'SIGTERM');
  const deadline = Date.now() + timeoutMs;
  while (isAlive(pid) && Date.now() < deadline) await sleep(200);
  if (isAlive(pid)) killGroup(pid, 'SIGKILL');
  while (isAlive(pid)) await sleep(100);
  rmSync(pidFile, { force: true });
  return true;
}
