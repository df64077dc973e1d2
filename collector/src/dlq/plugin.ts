/**
 * DLQ capability, on every monitored Kafka cluster by the same rules (`dlqPattern`, latest
 * records, causes, redrive): a step of each cluster's monitor poll (depth, growth, latest
 * records) and of its triage, the routes (`?cluster=`, default the primary cluster) and the
 * metrics (a `cluster` label). Avro values are decoded through the schema registry when
 * schemaRegistryUrl is set. `app.dlqClusters` has each cluster's DLQs, `app.dlqs` the primary's.
 */
import type { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import fp from 'fastify-plugin';
import { Counter } from 'prom-client';
import type { KafkaMonitor } from '../lag/index.ts';
import { registerDlqMetrics } from './metrics.ts';
import { redrivePlugin } from './redrive/index.ts';
import { dlqRoutes } from './routes.ts';
import { DlqService, type Decoder } from './service.ts';
import { attachTriage, registerTriage, type DlqTriage } from './triage/index.ts';

/** One cluster's DLQs: its DLQ service (a step of that cluster's poll) and the triage of their records. */
export interface ClusterDlqs {
  /** The cluster's name in the config: the `cluster` of every DLQ answer and series. */
  name: string;
  /** The cluster's lag service, whose poll the DLQ steps run in (its snapshot time is the DLQs'). */
  monitor: KafkaMonitor;
  service: DlqService;
  triage: DlqTriage;
  /**
   * How the audit log names a DLQ of this cluster (`*`: every DLQ): `dlq=<topic>` on the primary
   * (as before there were clusters), `dlq=<cluster>/<topic>` on another (neither name has a `/`).
   */
  auditTarget: (topic: string) => string;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The primary cluster's DLQ service. */
    dlqs: DlqService;
    /** Every cluster's DLQs by name, the primary first. */
    dlqClusters: ReadonlyMap<string, ClusterDlqs>;
    /** The DLQs of the cluster `?cluster=` names (the primary when absent); CLUSTER_NOT_FOUND (404) as `app.cluster`. */
    dlqCluster: (name: string | undefined) => ClusterDlqs;
  }
}

/**
 * Decodes through the schema registry at `host`. The client library (~4 MB of heap once loaded) is
 * loaded on the first record to decode, so a collector without a registry never holds it.
 */
function registryDecoder(host: string): Decoder {
  let registry: Promise<SchemaRegistry> | undefined;
  return {
    async decode(buffer) {
      // A failed load is tried again on the next record, not remembered.
      registry ??= import('@kafkajs/confluent-schema-registry').then(
        (m) => new m.SchemaRegistry({ host }),
        (err: unknown) => {
          registry = undefined;
          throw err;
        },
      );
      const value: unknown = await (await registry).decode(buffer);
      return value;
    },
  };
}

export const dlqPlugin = fp(
  (app, _opts, done) => {
    const c = app.config;
    const incomplete = new Counter({
      name: 'eventscope_dlq_tail_reads_incomplete_total',
      help: "Reads of a DLQ's latest records that stopped before a partition's end (records after it not shown).",
      labelNames: ['cluster', 'topic'],
      registers: [app.metrics],
    });
    const decoder = c.schemaRegistryUrl ? registryDecoder(c.schemaRegistryUrl) : undefined;
    const clusters = new Map<string, ClusterDlqs>();
    for (const k of app.clusters.values()) {
      const service = new DlqService({
        pattern: c.dlqPattern,
        // Marks in the cluster's own directory: a DLQ of the same name on two clusters is two DLQs.
        dataDir: k.dataDir,
        statusWindow: c.statusWindow,
        latestCount: c.dlqLatestRecords,
        // About an hour of depth samples whatever the poll interval (at most 3,600 per DLQ).
        historySize: Math.min(3600, Math.max(60, Math.ceil(3_600_000 / c.pollIntervalMs))),
        decoder,
        onIncomplete: (topic, partition, reason) => {
          incomplete.inc({ cluster: k.name, topic });
          app.log.warn(
            { cluster: k.name, topic, partition, reason },
            'DLQ tail read stopped before the end; later records not shown',
          );
        },
      });
      service.attach(k.monitor);
      // Records grouped by cause: a step after the tails are read (issue #18, triage).
      const triage = attachTriage(service, k.monitor, c.dlqCausesMax);
      const auditTarget = (topic: string) => (k.primary ? `dlq=${topic}` : `dlq=${k.name}/${topic}`);
      clusters.set(k.name, { name: k.name, monitor: k.monitor, service, triage, auditTarget });
    }
    const primary = clusters.get(c.kafkaClusterName);
    if (!primary) throw new Error('unreachable: the lag plugin adds the primary cluster');
    app.decorate('dlqs', primary.service);
    app.decorate('dlqClusters', clusters as ReadonlyMap<string, ClusterDlqs>);
    app.decorate('dlqCluster', (name: string | undefined): ClusterDlqs => {
      // app.cluster answers the unknown name (404 CLUSTER_NOT_FOUND); every monitored cluster has its DLQs.
      const found = clusters.get(app.cluster(name).name);
      if (!found) throw new Error('unreachable: DLQs are watched on every monitored cluster');
      return found;
    });
    registerDlqMetrics(app.metrics, clusters);
    dlqRoutes(app, (cluster, topic, records) => app.redriveEngine(cluster).marks(topic, records));
    registerTriage(app, clusters);
    // Redrive (issue #18): records sent again to their original topic or the group's retry topic.
    void app.register(redrivePlugin, { decoder });
    done();
  },
  { name: 'dlq', dependencies: ['lag', 'metrics', 'masking'] },
);
