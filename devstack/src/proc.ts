import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { DevstackError } from './errors.ts';

/**
 * Everything this process started and has not seen exit yet: long-running daemons (each the
 * leader of its own process group) and short-lived children (Maven, StorageTool, npm). A
 * Ctrl-C stops exactly these, and nothing a run did not start.
 */
const ownedDaemons = new Map<number, Daemon>();
const ownedChildren = new Set<ChildProcess>();
let shuttingDown: string | undefined;

function track(child: ChildProcess): void {
  ownedChildren.add(child);
  child.once('exit', () => ownedChildren.delete(child));
  child.once('error', () => ownedChildren.delete(child));
}

/** Refused once a shutdown began: a start still in flight must not leave a new process behind. */
function refuseWhenStopping(what: string): void {
  if (shuttingDown !== undefined) {
    throw new DevstackError('ABORTED', `${what}: not started, ${shuttingDown}`);
  }
}

/**
 * From now on no daemon or child starts, and waits in progress end with an ABORTED error;
 * then stops everything this process started, newest first (each daemon gets SIGTERM and
 * `graceMs` before SIGKILL). Reused services were never ours and are left alone.
 */
export async function beginShutdown(reason: string, graceMs = 30_000): Promise<void> {
  shuttingDown ??= reason;
  for (const child of ownedChildren) child.kill('SIGTERM');
  for (const daemon of [...ownedDaemons.values()].reverse()) {
    await daemon.stop(graceMs).catch(() => undefined);
  }
  for (const child of ownedChildren) child.kill('SIGKILL');
}

/** The second Ctrl-C: SIGKILL to every process group and child this process started, at once. */
export function forceKillOwned(): void {
  shuttingDown ??= 'forced stop';
  for (const daemon of ownedDaemons.values()) {
    killGroup(daemon.pid, 'SIGKILL');
    rmSync(daemon.pidFile, { force: true });
  }
  for (const child of ownedChildren) child.kill('SIGKILL');
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion and captures its output. Never throws on a non-zero exit. */
export function run(cmd: string, args: readonly string[], options: SpawnOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    refuseWhenStopping(cmd);
    const child = spawn(cmd, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    track(child);
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
    refuseWhenStopping(cmd);
    const child = spawn(cmd, args, { ...options, stdio: 'inherit' });
    track(child);
    child.on('error', reject);
    child.on('close', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });
}

/**
 * Runs a command with each line of its output written to this process's stdout behind
 * `prefix`, so two commands running side by side stay readable; resolves with its exit code.
 */
export function runPrefixed(
  cmd: string,
  args: readonly string[],
  prefix: string,
  options: SpawnOptions = {},
): Promise<number> {
  return new Promise((resolve, reject) => {
    refuseWhenStopping(cmd);
    const child = spawn(cmd, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    track(child);
    for (const stream of [child.stdout, child.stderr]) {
      if (!stream) continue;
      const lines = createInterface({ input: stream, crlfDelay: Infinity });
      lines.on('line', (line) => process.stdout.write(`${prefix} ${line}\n`));
    }
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
    if (shuttingDown !== undefined) throw new DevstackError('ABORTED', `${what}: ${shuttingDown}`);
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
  refuseWhenStopping(name);
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
  let stopping: Promise<void> | undefined;
  const daemon: Daemon = {
    name,
    pid,
    logFile: options.logFile,
    pidFile: options.pidFile,
    exitStatus: () => exited,
    // One stop at a time: a Ctrl-C during a failed start's own cleanup waits for the same exit.
    stop: (timeoutMs = 30_000) =>
      (stopping ??= (async () => {
        if (exited === undefined) {
          killGroup(pid, 'SIGTERM');
          const timer = sleep(timeoutMs).then(() => 'timeout' as const);
          if ((await Promise.race([exitPromise.then(() => 'exited' as const), timer])) === 'timeout') {
            killGroup(pid, 'SIGKILL');
            await exitPromise;
          }
        }
        // The group leader is gone; children that ignored SIGTERM are not left behind.
        killGroup(pid, 'SIGKILL', true);
        rmSync(options.pidFile, { force: true });
        ownedDaemons.delete(pid);
      })()),
  };
  // Kept until stopped, even after the leader exits on its own: its group may still have members.
  ownedDaemons.set(pid, daemon);
  return daemon;
}

function killGroup(pid: number, signal: NodeJS.Signals, groupOnly = false): void {
  try {
    process.kill(-pid, signal);
  } catch {
    if (groupOnly) return;
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
