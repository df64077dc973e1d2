/**
 * `main.ts run-all [loadgen options]`: every demo service as a child process, then the load
 * generator (default `--rate 5 --forever`). SIGINT/SIGTERM stop the load generator first, then
 * the services (SIGTERM, so they commit offsets and flush spans). `startDemo()` does the same
 * for callers such as `npm start`.
 */
import { ServiceProcess, SERVICES, type ChildOptions } from './supervisor.ts';

export interface RunningDemo {
  services: ServiceProcess[];
  loadgen: ServiceProcess | undefined;
  /** The order service's port (from its ORDER_LISTENING line). */
  orderPort: number;
  stop(): Promise<void>;
}

export async function startDemo(
  options: {
    env?: NodeJS.ProcessEnv;
    loadgenArgs?: string[];
    withLoadgen?: boolean;
    /** Where child output goes (default: this process's stdout/stderr, prefixed). */
    output?: ChildOptions['output'];
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
  if (options.withLoadgen !== false) {
    const host = env.ORDER_HOST && env.ORDER_HOST !== '0.0.0.0' ? env.ORDER_HOST : '127.0.0.1';
    const args = options.loadgenArgs?.length ? options.loadgenArgs : ['--rate', '5', '--forever'];
    loadgen = new ServiceProcess('loadgen', 'loadgen', {
      // Always the order service started here (its port may have been 0 = any).
      env: { ...env, ORDER_URL: `http://${host}:${orderPort}` },
      args,
      ...output,
    }).start();
  }
  return {
    services,
    loadgen,
    orderPort,
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
