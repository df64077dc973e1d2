/**
 * Entry point of every demo process:
 *
 *   node demo-services/src/main.ts order|orchestrator|inventory|payment|notification
 *   node demo-services/src/main.ts loadgen [options]     (see --help)
 *   node demo-services/src/main.ts run-all [loadgen options]
 *
 * Tracing starts first, before kafkajs is loaded, so the instrumentation can patch it; the
 * rest is imported dynamically afterwards for the same reason.
 */
import { flushOnCrash, startTracing, type Tracing } from './tracing/sdk.ts';

const USAGE = `usage: node demo-services/src/main.ts <command> [options]

commands:
  order | orchestrator | inventory | payment | notification   run one service
  loadgen [options]      place orders and report (node src/main.ts loadgen --help)
  run-all [options]      every service as a child process plus the load generator
                         (default --rate 5 --forever --showcase; --steady: orders only);
                         Ctrl-C stops them all
`;

const SERVICE_NAMES = ['order', 'orchestrator', 'inventory', 'payment', 'notification'];

/** The process's tracing, once started: the crash paths flush it before exiting. */
let tracing: Tracing | undefined;

async function runService(name: string): Promise<void> {
  tracing = startTracing(name);
  flushOnCrash(tracing);
  const { startService } = await import('./lib/service.ts');
  const defs = await import('./services/index.ts');
  const def = defs.SERVICE_DEFINITIONS[name as keyof typeof defs.SERVICE_DEFINITIONS];
  const running = await startService(def);
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    running.ctx.log.info(`${signal}: stopping`);
    const force = setTimeout(() => process.exit(1), 25_000);
    force.unref();
    void running
      .stop()
      .then(() => tracing?.shutdown())
      .then(() => process.exit(0))
      .catch((error: unknown) => {
        console.error(error);
        process.exit(1);
      });
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

async function main(): Promise<void> {
  const [command, ...args] = process.argv.slice(2);
  if (!command || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(USAGE);
    return;
  }
  if (SERVICE_NAMES.includes(command)) return runService(command);
  if (command === 'loadgen') {
    tracing = startTracing('loadgen');
    flushOnCrash(tracing);
    const { runLoadgenCli } = await import('./loadgen/cli.ts');
    const code = await runLoadgenCli(args);
    await tracing.shutdown();
    process.exit(code);
  }
  if (command === 'run-all') {
    const { runAll } = await import('./run-all.ts');
    process.exit(await runAll(args));
  }
  process.stderr.write(`unknown command "${command}"\n\n${USAGE}`);
  process.exit(2);
}

main().catch((error: unknown) => {
  console.error(error);
  // A failed start flushes what it traced too (bounded, like flushOnCrash).
  const force = setTimeout(() => process.exit(1), 5_000);
  force.unref();
  void (tracing?.shutdown() ?? Promise.resolve()).catch(() => undefined).finally(() => process.exit(1));
});
