/**
 * The Kafka monitor as a Fastify plugin: one lag service (background poll) per cluster
 * (`app.kafkaClusters`), their metrics (a `cluster` label), routes (`?cluster=`), and an
 * OffsetsView per cluster for other capabilities (`app.clusters`' `offsets`; the flows and the
 * loss audit read every cluster's), `app.offsets` being the primary's.
 * `app.kafkaMonitor` is the primary cluster's service (tests drive `pollOnce()` directly).
 */
import fp from 'fastify-plugin';
import { Gauge } from 'prom-client';
import { CollectorError } from '../errors.ts';
import type { KafkaCluster } from '../kafka/index.ts';
import { KafkaLease, SoleLease, type MonitorLease } from './leader.ts';
import { isSnapshotStore } from '../store/snapshot-types.ts';
import { LAG_SNAPSHOT_KIND, shareSnapshots } from './shared-snapshot.ts';
import { registerLagMetrics } from './metrics.ts';
import { monitorOptions } from './cycle.ts';
import { KafkaMonitor } from './monitor.ts';
import { createOffsetsView } from './offsets-view-impl.ts';
import type { OffsetsView } from './offsets-view.ts';
import { clusterRoutes, lagRoutes } from './routes.ts';

/** A cluster with its lag service and its place in the monitor election. */
export interface MonitoredCluster extends KafkaCluster {
  monitor: KafkaMonitor;
  /** Whether this collector polls the cluster (`monitorElection`: one lease per cluster, on it). */
  lease: MonitorLease;
  /** The cluster's last snapshot for other capabilities (never calls Kafka). */
  offsets: OffsetsView;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The primary cluster's lag service. */
    kafkaMonitor: KafkaMonitor;
    /** Whether this collector polls the primary cluster (`monitorElection`). */
    monitorLease: MonitorLease;
    /** Every monitored cluster by name, the primary first. */
    clusters: ReadonlyMap<string, MonitoredCluster>;
    /** The cluster `?cluster=` names (the primary when absent); CLUSTER_NOT_FOUND (404) for another name. */
    cluster: (name: string | undefined) => MonitoredCluster;
  }
}

export interface LagPluginOptions {
  /** Start the background poll (default true). */
  background?: boolean;
}

export const lagPlugin = fp<LagPluginOptions>(
  async (app, opts) => {
    const c = app.config;
    const log = (cluster: string) => (level: 'error' | 'warn' | 'info' | 'debug', message: string, extra?: object) =>
      app.log[level]({ ...extra, cluster }, message);
    const clusters = new Map<string, MonitoredCluster>();
    for (const k of app.kafkaClusters.values()) {
      // Each cluster's offset/time table in a file of its own (the primary's where it always was).
      const monitor = new KafkaMonitor(k.adapter, { ...monitorOptions(c, k.dataDir), log: log(k.name) });
      // One poller per cluster among collectors (lag/leader.ts), elected on that cluster: the session
      // is the poll interval, at least the broker's minimum (6 s), so a dead leader is replaced
      // within about two intervals.
      const lease: MonitorLease =
        c.monitorElection === 'kafka'
          ? new KafkaLease({
              client: k.clientOptions('lease'),
              topic: c.monitorLeaseTopic,
              sessionTimeoutMs: Math.min(30_000, Math.max(6_000, c.pollIntervalMs)),
              log: log(k.name),
            })
          : new SoleLease();
      lease.onChange((leading) => {
        if (leading) monitor.start();
        else void monitor.pause();
      });
      clusters.set(k.name, { ...k, monitor, lease, offsets: createOffsetsView(monitor) });
    }
    const primary = clusters.get(c.kafkaClusterName);
    if (!primary) throw new Error('unreachable: the kafka plugin adds the primary cluster');
    app.decorate('clusters', clusters as ReadonlyMap<string, MonitoredCluster>);
    app.decorate('cluster', (name: string | undefined): MonitoredCluster => {
      if (name === undefined) return primary;
      const found = clusters.get(name);
      if (found) return found;
      throw new CollectorError(
        'CLUSTER_NOT_FOUND',
        `no Kafka cluster named ${JSON.stringify(name)}; known clusters: ${[...clusters.keys()].join(', ')}`,
      );
    });
    app.decorate('kafkaMonitor', primary.monitor);
    app.decorate('monitorLease', primary.lease);
    app.decorate('offsets', primary.offsets);
    registerLagMetrics(app.metrics, clusters, { perPartition: c.perPartitionMetrics });

    // Followers answer from the leader's snapshots when the store is shared (store/snapshot-types.ts),
    // one snapshot per cluster. PostgreSQL: a table of their own next to the store's (store/postgres-snapshots.ts).
    const store: unknown = app.hasDecorator('store') ? app.store : undefined;
    // The PostgreSQL driver is loaded only with a PostgreSQL store.
    const pgSnapshots =
      c.monitorElection !== 'off' && !isSnapshotStore(store) && c.store === 'postgres'
        ? new (await import('../store/postgres-snapshots.ts')).PostgresSnapshotStore(c.postgresUrl)
        : undefined;
    const shared = pgSnapshots ?? (isSnapshotStore(store) ? store : undefined);
    const unshare =
      c.monitorElection !== 'off' && shared
        ? [...clusters.values()].map((k) =>
            shareSnapshots(k.monitor, k.lease, shared, {
              // The primary's kind stays `lag`: collectors of an older version share it during an upgrade.
              kind: k.primary ? LAG_SNAPSHOT_KIND : `${LAG_SNAPSHOT_KIND}:${k.name}`,
              intervalMs: c.pollIntervalMs,
              log: log(k.name),
            }),
          )
        : [];
    new Gauge({
      name: 'eventscope_kafka_monitor_leader',
      help: 'Whether this collector polls the Kafka cluster (1) or another collector of the monitor election does (0).',
      labelNames: ['cluster'],
      registers: [app.metrics],
      collect() {
        for (const k of clusters.values()) this.set({ cluster: k.name }, k.lease.leading ? 1 : 0);
      },
    });
    lagRoutes(app);
    clusterRoutes(app);
    for (const k of clusters.values()) {
      app.addReadinessCheck({
        name: k.primary ? 'kafka-poll' : `kafka-poll:${k.name}`,
        // A follower of the election is ready without one: another collector polls.
        check: () =>
          k.monitor.snapshot || (c.monitorElection !== 'off' && !k.lease.leading)
            ? undefined
            : `no snapshot of the Kafka cluster ${k.name} yet`,
      });
      // Live views (GET /api/stream) refetch when a poll finished (DLQ tails included).
      k.monitor.onCycle((result) => {
        if (result.ok && result.snapshot) app.live.emit('snapshot', { at: result.snapshot.time, cluster: k.name });
      });
    }
    if (opts.background ?? true) {
      app.addHook('onReady', (hookDone) => {
        for (const k of clusters.values()) {
          // In the background: a broker that is down must not hold up the collector's start.
          k.lease
            .start()
            .catch((err: unknown) => app.log.error({ err, cluster: k.name }, 'monitor election failed to start'));
          // A follower never polls, yet /readyz says whether the cluster is reachable (the kafka check).
          if (c.monitorElection !== 'off') k.adapter.connect().catch(() => undefined);
        }
        hookDone();
      });
    }
    // Runs before the kafka plugin's onClose (hooks close in reverse registration order).
    app.addHook('onClose', async () => {
      for (const stop of unshare) stop();
      await Promise.all([...clusters.values()].map((k) => k.lease.stop()));
      await pgSnapshots?.close();
      await Promise.all([...clusters.values()].map((k) => k.monitor.stop()));
    });
  },
  { name: 'lag', dependencies: ['kafka', 'metrics', 'health', 'live'] },
);
