/**
 * The Kafka monitor as a Fastify plugin: the lag service (background poll), its metrics,
 * routes, and `app.offsets` (OffsetsView) for other capabilities. `app.kafkaMonitor`
 * exposes the service (tests drive `pollOnce()` directly).
 */
import fp from 'fastify-plugin';
import { Gauge } from 'prom-client';
import { KafkaLease, SoleLease, type MonitorLease } from './leader.ts';
import { PostgresSnapshotStore } from '../store/postgres-snapshots.ts';
import { isSnapshotStore } from '../store/snapshot-types.ts';
import { shareSnapshots } from './shared-snapshot.ts';
import { registerLagMetrics } from './metrics.ts';
import { KafkaMonitor } from './monitor.ts';
import { createOffsetsView } from './offsets-view-impl.ts';
import { lagRoutes } from './routes.ts';

declare module 'fastify' {
  interface FastifyInstance {
    kafkaMonitor: KafkaMonitor;
    /** Whether this collector polls Kafka (`monitorElection`). */
    monitorLease: MonitorLease;
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
    // One poller per cluster among collectors (lag/leader.ts): the session is the poll interval, at
    // least the broker's minimum (6 s), so a dead leader is replaced within about two intervals.
    const lease: MonitorLease =
      c.monitorElection === 'kafka'
        ? new KafkaLease({
            client: app.kafkaClientOptions('lease'),
            topic: c.monitorLeaseTopic,
            sessionTimeoutMs: Math.min(30_000, Math.max(6_000, c.pollIntervalMs)),
            log: (level, message, extra) => app.log[level](extra ?? {}, message),
          })
        : new SoleLease();
    app.decorate('monitorLease', lease);
    lease.onChange((leading) => {
      if (leading) monitor.start();
      else void monitor.pause();
    });
    // Followers answer from the leader's snapshots when the store is shared (store/snapshot-types.ts).
    // PostgreSQL: a table of their own next to the store's (store/postgres-snapshots.ts).
    const store: unknown = app.hasDecorator('store') ? app.store : undefined;
    const pgSnapshots =
      c.monitorElection !== 'off' && !isSnapshotStore(store) && c.store === 'postgres'
        ? new PostgresSnapshotStore(c.postgresUrl)
        : undefined;
    const shared = pgSnapshots ?? (isSnapshotStore(store) ? store : undefined);
    const unshare =
      c.monitorElection !== 'off' && shared
        ? shareSnapshots(monitor, lease, shared, {
            intervalMs: c.pollIntervalMs,
            log: (level, message, extra) => app.log[level](extra ?? {}, message),
          })
        : undefined;
    new Gauge({
      name: 'eventscope_kafka_monitor_leader',
      help: 'Whether this collector polls Kafka (1) or another collector of the monitor election does (0).',
      registers: [app.metrics],
      collect() {
        this.set(lease.leading ? 1 : 0);
      },
    });
    lagRoutes(app, monitor);
    app.addReadinessCheck({
      name: 'kafka-poll',
      // A follower of the election is ready without one: another collector polls.
      check: () =>
        monitor.snapshot || (c.monitorElection !== 'off' && !lease.leading) ? undefined : 'no Kafka snapshot yet',
    });
    // Live views (GET /api/stream) refetch when a poll finished (DLQ tails included).
    monitor.onCycle((result) => {
      if (result.ok && result.snapshot) app.live.emit('snapshot', { at: result.snapshot.time });
    });
    if (opts.background ?? true) {
      app.addHook('onReady', (hookDone) => {
        // In the background: a broker that is down must not hold up the collector's start.
        lease.start().catch((err: unknown) => app.log.error({ err }, 'monitor election failed to start'));
        // A follower never polls, yet /readyz says whether the cluster is reachable (the kafka check).
        if (c.monitorElection !== 'off') app.kafka.connect().catch(() => undefined);
        hookDone();
      });
    }
    // Runs before the kafka plugin's onClose (hooks close in reverse registration order).
    app.addHook('onClose', async () => {
      unshare?.();
      await lease.stop();
      await pgSnapshots?.close();
      await monitor.stop();
    });
    done();
  },
  { name: 'lag', dependencies: ['kafka', 'metrics', 'health', 'live'] },
);
