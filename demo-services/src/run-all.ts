/**
 * `main.ts run-all [loadgen options]`: every demo service as a child process, then the load
 * generator (default `--rate 5 --forever --showcase`: every pattern the product shows; `--steady`
 * alone: `--rate 5 --forever`, orders only). SIGINT/SIGTERM stop the load generator first, then
 * the services (SIGTERM, so they commit offsets and flush spans). `startDemo()` does the same
 * for callers such as `npm start`.
 */
import { readFile } from 'node:fs/promises';
import type { LoadgenSummary } from './loadgen/run.ts';
import { ServiceProcess, SERVICES, type ChildOptions } from './supervisor.ts';

export interface RunningDemo {
  services: ServiceProcess[];
  loadgen: ServiceProcess | undefined;
  /** The order service's port (from its ORDER_LISTENING line). */
  orderPort: number;
  /**
   * With `summaryFile`: the load generator's summary (its ground truth), once it has exited.
   * Rejects if it exits with an error. Give it a bounded run (`--count` or `--duration`).
   */
  summary: Promise<LoadgenSummary> | undefined;
  stop(): Promise<void>;
}

export const DEFAULT_LOADGEN_ARGS: readonly string[] = ['--rate', '5', '--forever', '--showcase'];
export const STEADY_LOADGEN_ARGS: readonly string[] = ['--rate', '5', '--forever', '--steady'];

/** No arguments: the showcase; `--steady` alone: steady traffic only; anything else as given. */
export function loadgenArgs(given: readonly string[] | undefined): string[] {
  if (!given?.length) return [...DEFAULT_LOADGEN_ARGS];
  if (given.length === 1 && given[0] === '--steady') return [...STEADY_LOADGEN_ARGS];
  return [...given];
}

export async function startDemo(
  options: {
    env?: NodeJS.ProcessEnv;
    loadgenArgs?: string[];
    withLoadgen?: boolean;
    /** Where child output goes (default: this process's stdout/stderr, prefixed). */
    output?: ChildOptions['output'];
    /** Passed to the load generator as `--json-out`; `summary` reads it when the load generator exits. */
    summaryFile?: string;
  } = {},
): Promise<RunningDemo> {
  const env = { ...process.env, ...options.env };
  const output = options.output ? { output: options.output } : {};
  const services = SERVICES.map((name) => new ServiceProcess(name, name, { env, ...output }));
  const listening = services[0]?.waitForLine(/^ORDER_LISTENING port=(\d+)/, 120_000);
  for (const s of services) s.start();
  // A service that exits during startup (bad config, registry down) fails the whole start.
  const earlyExit = Promise.race(
    services.map((s) =>
      s.exit.then((code) => Promise.reject(new Error(`${s.name} exited during startup (code ${code})`))),
    ),
  );
  let orderPort: number;
  try {
    orderPort = Number((await Promise.race([listening, earlyExit]))?.[1]);
  } catch (error) {
    await Promise.all(services.map((s) => s.stop()));
    throw error;
  } finally {
    earlyExit.catch(() => undefined);
  }
  let loadgen: ServiceProcess | undefined;
  let summary: Promise<LoadgenSummary> | undefined;
  if (options.withLoadgen !== false) {
    const host = env.ORDER_HOST && env.ORDER_HOST !== '0.0.0.0' ? env.ORDER_HOST : '127.0.0.1';
    const args = loadgenArgs(options.loadgenArgs);
    if (options.summaryFile !== undefined) args.push('--json-out', options.summaryFile);
    const started = new ServiceProcess('loadgen', 'loadgen', {
      // Always the order service started here (its port may have been 0 = any).
      env: { ...env, ORDER_URL: `http://${host}:${orderPort}` },
      args,
      ...output,
    }).start();
    loadgen = started;
    const file = options.summaryFile;
    if (file !== undefined) {
      summary = started.exit.then(async (code) => {
        if (code !== 0) {
          const tail = started.lastErrors.join('\n');
          throw new Error(
            `the load generator exited with code ${code}${tail ? `; its last error output:\n${tail}` : ''}`,
          );
        }
        return JSON.parse(await readFile(file, 'utf8')) as LoadgenSummary;
      });
      // Callers that never ask for it must not see an unhandled rejection.
      summary.catch(() => undefined);
    }
  }
  return {
    services,
    loadgen,
    orderPort,
    summary,
    stop: async () => {
      await loadgen?.stop();
      await Promise.all(services.map((s) => s.stop()));
    },
  };
}

export async function runAll(args: string[]): Promise<number> {
  const signalled = new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  const demo = await startDemo({ loadgenArgs: args });
  process.stdout.write(`demo running: order service on port ${demo.orderPort}; Ctrl-C stops everything\n`);
  await signalled;
  await demo.stop();
  return 0;
}
