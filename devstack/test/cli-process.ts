/**
 * Runs devstack's CLI (`node devstack/src/cli.ts <command>`) as a user would, on ports and in a
 * state folder of its own, and finds every process it left behind.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { cacheDir, repoRoot } from '../src/paths.ts';
import { isPortOpen } from '../src/proc.ts';

export interface CliPorts {
  kafka: number;
  controller: number;
  registry: number;
  collector: number;
  otlp: number;
  otlpGrpc: number;
  order: number;
  prometheus: number;
  alertmanager: number;
}

/**
 * A free port below Linux's ephemeral range (32768+), which other tests' `listen(0)` draws
 * from: a port handed out there may be taken by the time a later start wants it.
 */
async function quietPort(taken: Set<number>): Promise<number> {
  for (;;) {
    const port = 20_000 + randomInt(12_000);
    if (taken.has(port) || (await isPortOpen(port))) continue;
    taken.add(port);
    return port;
  }
}

/** A state folder sharing the real download cache (Kafka's jars, Apicurio), and free ports. */
export async function cliSandbox(): Promise<{ stateDir: string; ports: CliPorts }> {
  const stateDir = mkdtempSync(path.join(tmpdir(), 'es-cli-'));
  symlinkSync(cacheDir, path.join(stateDir, 'cache'));
  const taken = new Set<number>();
  const ports: CliPorts = {
    kafka: await quietPort(taken),
    controller: await quietPort(taken),
    registry: await quietPort(taken),
    collector: await quietPort(taken),
    otlp: await quietPort(taken),
    otlpGrpc: await quietPort(taken),
    order: await quietPort(taken),
    prometheus: await quietPort(taken),
    alertmanager: await quietPort(taken),
  };
  return { stateDir, ports };
}

export function sandboxEnv(stateDir: string, ports: CliPorts): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ES_STATE_DIR: stateDir,
    ES_KAFKA_PORT: String(ports.kafka),
    ES_KAFKA_CONTROLLER_PORT: String(ports.controller),
    ES_REGISTRY_PORT: String(ports.registry),
    ES_COLLECTOR_PORT: String(ports.collector),
    ES_OTLP_PORT: String(ports.otlp),
    ES_OTLP_GRPC_PORT: String(ports.otlpGrpc),
    ES_ORDER_PORT: String(ports.order),
    ES_PROMETHEUS_PORT: String(ports.prometheus),
    ES_ALERTMANAGER_PORT: String(ports.alertmanager),
    ES_SKIP_DASHBOARD_BUILD: '1',
    EVENTSCOPE_DATA_DIR: path.join(stateDir, 'collector'),
  };
  delete env.KAFKA_BROKERS;
  delete env.SCHEMA_REGISTRY_URL;
  return env;
}

export class CliRun {
  readonly child: ChildProcess;
  readonly exit: Promise<number | null>;
  output = '';
  private listeners: (() => void)[] = [];

  constructor(args: string[], env: NodeJS.ProcessEnv) {
    this.child = spawn(process.execPath, [path.join(repoRoot, 'devstack', 'src', 'cli.ts'), ...args], {
      cwd: repoRoot,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const onData = (chunk: Buffer): void => {
      this.output += chunk.toString('utf8');
      for (const l of this.listeners) l();
    };
    this.child.stdout?.on('data', onData);
    this.child.stderr?.on('data', onData);
    this.exit = new Promise((resolve) => this.child.once('exit', (code) => resolve(code)));
  }

  /** Resolves once the output matches; rejects at the deadline or when the CLI exits first. */
  waitFor(pattern: RegExp, timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const done = (err?: Error): void => {
        clearTimeout(timer);
        this.listeners = this.listeners.filter((l) => l !== check);
        if (err) reject(err);
        else resolve();
      };
      const check = (): void => {
        if (pattern.test(this.output)) done();
      };
      const timer = setTimeout(
        () => done(new Error(`no ${String(pattern)} within ${timeoutMs} ms; output:\n${this.output.slice(-3000)}`)),
        timeoutMs,
      );
      void this.exit.then((code) => {
        if (!pattern.test(this.output))
          done(new Error(`exited (${code}) before ${String(pattern)}; output:\n${this.output.slice(-3000)}`));
      });
      this.listeners.push(check);
      check();
    });
  }

  /** The exit code, or a rejection when it is still running at the deadline. */
  async exited(timeoutMs: number): Promise<number | null> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`still running after ${timeoutMs} ms; output:\n${this.output.slice(-3000)}`)),
        timeoutMs,
      );
    });
    try {
      return await Promise.race([this.exit, deadline]);
    } finally {
      clearTimeout(timer);
    }
  }
}

/**
 * Pids of live processes whose environment holds ES_STATE_DIR=<stateDir>: everything the CLI
 * started inherits it (detached daemons and their children too), and nothing else has it.
 */
export function processesOf(stateDir: string): { pid: number; cmd: string }[] {
  const marker = `ES_STATE_DIR=${stateDir}\0`;
  const found: { pid: number; cmd: string }[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (!readFileSync(`/proc/${entry}/environ`, 'latin1').includes(marker)) continue;
      const stat = readFileSync(`/proc/${entry}/stat`, 'latin1');
      if (/^\d+ \(.*\) Z /.test(stat)) continue; // a zombie holds no port and is reaped by its parent
      const cmd = readFileSync(`/proc/${entry}/cmdline`, 'latin1').replaceAll('\0', ' ').slice(0, 200);
      found.push({ pid: Number(entry), cmd });
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return found;
}

/** Kills whatever a failed test left, so one failure does not leak into the next test. */
export function killAll(stateDir: string): void {
  for (const { pid } of processesOf(stateDir)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}
