/**
 * The Kafka monitor as a Fastify plugin: the lag service (background poll), its metrics,
 * routes, and `app.offsets` (OffsetsView) for other capabilities. `app.kafkaMonitor`
 * exposes the service (tests drive `pollOnce()` directly).
 */
import fp from 'fastify-plugin';
import { registerLagMetrics } from './metrics.ts';
import { KafkaMonitor } from './monitor.ts';
import { createOffsetsView } from './offsets-view-impl.ts';
import { lagRoutes } from './routes.ts';

declare module 'fastify' {
  interface FastifyInstance {
    kafkaMonitor: KafkaMonitor;
  }
}

export interface LagPluginOptions {
  /** Start the background poll (default true). */
  background?: boolean;
}

export const lagPlugin = fp<LagPluginOptions>(
  (app, opts, done) => {
    const c = app.config;
    const monitor = new KafkaMonitor(app.kafka, {
      pollIntervalMs: c.pollIntervalMs,
      pollConcurrency: c.pollConcurrency,
      groupsInclude: c.groupsInclude,
      groupsExclude: c.groupsExclude,
      lagTolerance: c.lagTolerance,
      lagBudgetSeconds: c.lagBudgetSeconds,
      statusWindow: c.statusWindow,
      dataDir: c.dataDir,
      maxRecordReadsPerCycle: c.recordReadsPerCycle,
      pollDeadlineMs: c.pollDeadlineMs,
      log: (level, message, extra) => app.log[level](extra ?? {}, message),
    });
    app.decorate('kafkaMonitor', monitor);
    app.decorate('offsets', createOffsetsView(monitor));
    registerLagMetrics(app.metrics, monitor, { perPartition: c.perPartitionMetrics });
    lagRoutes(app, monitor);
    app.addReadinessCheck({
      name: 'kafka-poll',
      check: () => (monitor.snapshot ? undefined : 'no Kafka snapshot yet'),
    });
    // Live views (GET /api/stream) refetch when a poll finished (DLQ tails included).
    monitor.onCycle((result) => {
      if (result.ok && result.snapshot) app.live.emit('snapshot', { at: result.snapshot.time });
    });
    if (opts.background ?? true) {
      app.addHook('onReady', (hookDone) => {
        monitor.start();
        hookDone();
      });
    }
    // Runs before the kafka plugin's onClose (hooks close in reverse registration order).
    app.addHook('onClose', async () => {
      await monitor.stop();
    });
    done();
  },
  { name: 'lag', dependencies: ['kafka', 'metrics', 'health', 'live'] },
);
