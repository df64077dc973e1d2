/**
 * The collector process: parses config, builds the app, listens on the main port, the
 * OTLP/HTTP port and the OTLP/gRPC port, and shuts down cleanly on SIGINT/SIGTERM (stop
 * taking requests, drain, close). Started through start.ts, which adds its Node flags.
 */
import { getHeapStatistics } from 'node:v8';
import { buildApp } from './app.ts';
import { CONFIG_KEYS, loadConfig, redactConfig } from './config.ts';
import { CollectorError } from './errors.ts';
import { startedWithNodeFlags } from './node-flags.ts';
import { createOtlpServer } from './traces/index.ts';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    process.stderr.write(`eventscope-collector: ${(err as Error).message}\n`);
    process.exit(2);
  }
  const app = await buildApp({
    config,
    logger: { level: config.logLevel, redact: ['req.headers.authorization'] },
  });
  // The V8 heap limit: node-flags.ts's flags set it (old generation `heapMb`, passed by start.ts); without them V8 picks one from the machine's memory.
  const heapLimitMb = Math.round(getHeapStatistics().heap_size_limit / 1024 / 1024);
  // glibc's malloc arena limit (node-flags.ts COLLECTOR_ENV), read by the C library at process start.
  const mallocArenaMax = process.env.MALLOC_ARENA_MAX ?? 'unset';
  app.log.info({ config: redactConfig(config), heapLimitMb, mallocArenaMax }, 'starting');
  if (!startedWithNodeFlags(config.heapMb)) {
    // devstack, the benchmarks and tests start server.ts with the default flags or none: say so rather than ignore the key.
    app.log.warn(
      { heapMb: config.heapMb, heapLimitMb, execArgv: process.execArgv },
      `heapMb (${CONFIG_KEYS.heapMb.env}) ${config.heapMb} is not applied: the server was started without its Node flags (the heap limit is ${heapLimitMb} MB); start the collector through src/start.ts (npm start -w collector)`,
    );
  }
  // The OTLP port: only POST /v1/traces, into the same intake queue as the main port.
  const otlp = await createOtlpServer(app);

  let closing = false;
  const shutdown = (signal: string): void => {
    if (closing) return;
    closing = true;
    app.log.info({ signal }, 'shutting down');
    const force = setTimeout(() => {
      app.log.error('shutdown took longer than 20 s; exiting');
      process.exit(1);
    }, 20_000);
    force.unref();
    // The OTLP listeners first (no new spans), then the app (the accepted spans stored, the store closed).
    app.otlpGrpc
      .close()
      .then(() => otlp.close())
      .catch((err: unknown) => app.log.error({ err }, 'error closing the OTLP listeners'))
      .then(() => app.close())
      .then(
        () => process.exit(0),
        (err: unknown) => {
          app.log.error({ err }, 'error during shutdown');
          process.exit(1);
        },
      );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));

  try {
    await app.listen({ host: config.host, port: config.port });
    await otlp.listen({ host: config.host, port: config.otlpPort });
    // OTLP/gRPC on its own port (0: off).
    if (config.otlpGrpcPort !== 0) {
      const port = await app.otlpGrpc.listen(config.host, config.otlpGrpcPort);
      app.log.info({ host: config.host, port }, 'OTLP/gRPC receiver listening');
    } else {
      app.log.info('OTLP/gRPC receiver off (otlpGrpcPort 0)');
    }
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    // grpc-js names the cause only in its message ("No address added ... EADDRINUSE ...").
    const message =
      e.code === 'EADDRINUSE' || /EADDRINUSE/.test(e.message)
        ? `port already in use (${e.message}); set EVENTSCOPE_PORT / EVENTSCOPE_OTLP_PORT / EVENTSCOPE_OTLP_GRPC_PORT to free ports`
        : e.message;
    app.log.error({ err }, message);
    await app.otlpGrpc.close();
    await otlp.close();
    await app.close();
    process.exit(1);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`eventscope-collector: ${err instanceof CollectorError ? err.message : String(err)}\n`);
  process.exit(1);
});
