/**
 * Starts demo services as child processes (`node src/main.ts <service>`), prefixes their
 * output, restarts nothing on its own, and can kill (SIGKILL, for chaos) or stop (SIGTERM) them.
 * Used by `main.ts run-all`, by the load generator's chaos mode and by the tests.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const MAIN = path.join(path.dirname(fileURLToPath(import.meta.url)), 'main.ts');

export const SERVICES = ['order', 'orchestrator', 'inventory', 'payment', 'notification'] as const;
export type ServiceName = (typeof SERVICES)[number];

export interface ChildOptions {
  env?: NodeJS.ProcessEnv;
  /** Where the child's lines go; default: this process's stdout/stderr with a `[name]` prefix. */
  output?: (line: string, stream: 'stdout' | 'stderr') => void;
  args?: string[];
}

export class ServiceProcess {
  readonly name: string;
  readonly instance: string;
  private readonly options: ChildOptions;
  private child: ChildProcess | undefined;
  private exited: Promise<number | null> = Promise.resolve(null);
  private lineListeners: ((line: string) => void)[] = [];
  private stderrTail: string[] = [];

  constructor(name: string, instance: string, options: ChildOptions = {}) {
    this.name = name;
    this.instance = instance;
    this.options = options;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Resolves with the exit code (null after a signal) when the current child exits. */
  get exit(): Promise<number | null> {
    return this.exited;
  }

  /** The current child's last lines on stderr (at most 40): what to show when it failed. */
  get lastErrors(): readonly string[] {
    return this.stderrTail;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  start(): this {
    if (this.running) return this;
    const child = spawn(process.execPath, [MAIN, this.name, ...(this.options.args ?? [])], {
      env: { ...process.env, ...this.options.env, DEMO_INSTANCE: this.instance },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    this.stderrTail = [];
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    const label = `[${this.instance}]`;
    for (const stream of ['stdout', 'stderr'] as const) {
      let buffered = '';
      child[stream]?.on('data', (chunk: Buffer) => {
        buffered += chunk.toString('utf8');
        let nl: number;
        while ((nl = buffered.indexOf('\n')) >= 0) {
          const line = buffered.slice(0, nl);
          buffered = buffered.slice(nl + 1);
          for (const l of this.lineListeners) l(line);
          if (stream === 'stderr' && this.stderrTail.push(line) > 40) this.stderrTail.shift();
          if (this.options.output) this.options.output(line, stream);
          else (stream === 'stdout' ? process.stdout : process.stderr).write(`${label} ${line}\n`);
        }
      });
    }
    return this;
  }

  /** Resolves with the first output line that matches (e.g. the `ORDER_LISTENING port=` line). */
  waitForLine(pattern: RegExp, timeoutMs = 60_000): Promise<RegExpMatchArray> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        done();
        reject(new Error(`${this.instance}: no line matching ${String(pattern)} within ${timeoutMs} ms`));
      }, timeoutMs);
      const listener = (line: string): void => {
        const m = line.match(pattern);
        if (m) {
          done();
          resolve(m);
        }
      };
      const done = (): void => {
        clearTimeout(timer);
        this.lineListeners = this.lineListeners.filter((l) => l !== listener);
      };
      this.lineListeners.push(listener);
    });
  }

  /** SIGKILL: no shutdown code runs (the chaos case). */
  async kill(): Promise<void> {
    if (!this.running) return;
    this.child?.kill('SIGKILL');
    await this.exited;
  }

  /** SIGTERM and wait; SIGKILL after `graceMs`. */
  async stop(graceMs = 20_000): Promise<number | null> {
    if (!this.running) return this.exited;
    this.child?.kill('SIGTERM');
    const timer = setTimeout(() => this.child?.kill('SIGKILL'), graceMs);
    const code = await this.exited;
    clearTimeout(timer);
    return code;
  }

  async restart(): Promise<void> {
    await this.kill();
    this.start();
  }
}

/** Starts every demo service (one instance each). */
export function startAll(options: ChildOptions = {}): ServiceProcess[] {
  return SERVICES.map((name) => new ServiceProcess(name, name, options).start());
}

export async function stopAll(processes: ServiceProcess[]): Promise<void> {
  await Promise.all(processes.map((p) => p.stop()));
}
