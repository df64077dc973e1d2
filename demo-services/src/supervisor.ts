/**
 * Starts demo services as child processes (`node src/main.ts <service>`), prefixes their
 * output, restarts nothing on its own, and can kill (SIGKILL, for chaos) or stop (SIGTERM) them.
 * Used by `main.ts run-all`, by the load generator's chaos mode and by the tests.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { StringDecoder } from 'node:string_decoder';
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

/** A child's line longer than this is passed on in pieces of this size (a line without end takes no more memory). */
export const MAX_LINE_CHARS = 64 * 1024;

/**
 * Splits a child's output into lines for `onLine`: UTF-8 characters cut between chunks are joined,
 * a line longer than `maxChars` is passed on in pieces, and what is left without a newline at the
 * end of the stream is passed on by `end()`.
 */
export function lineSplitter(
  onLine: (line: string) => void,
  maxChars = MAX_LINE_CHARS,
): { write(chunk: Buffer): void; end(): void } {
  const decoder = new StringDecoder('utf8');
  let buffered = '';
  const take = (text: string): void => {
    buffered += text;
    let nl: number;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      onLine(buffered.slice(0, nl));
      buffered = buffered.slice(nl + 1);
    }
    while (buffered.length > maxChars) {
      onLine(buffered.slice(0, maxChars));
      buffered = buffered.slice(maxChars);
    }
  };
  return {
    write: (chunk) => take(decoder.write(chunk)),
    end() {
      take(decoder.end());
      if (buffered !== '') onLine(buffered);
      buffered = '';
    },
  };
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
    // 'close': after the exit and the end of its output, so the last lines are in lastErrors by then.
    this.exited = new Promise((resolve) => child.once('close', (code) => resolve(code)));
    const label = `[${this.instance}]`;
    for (const stream of ['stdout', 'stderr'] as const) {
      const lines = lineSplitter((line) => {
        for (const l of this.lineListeners) l(line);
        if (stream === 'stderr' && this.stderrTail.push(line) > 40) this.stderrTail.shift();
        if (this.options.output) this.options.output(line, stream);
        else (stream === 'stdout' ? process.stdout : process.stderr).write(`${label} ${line}\n`);
      });
      child[stream]?.on('data', (chunk: Buffer) => lines.write(chunk));
      child[stream]?.on('end', () => lines.end());
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
