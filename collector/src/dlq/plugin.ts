/**
 * DLQ capability: a step of the primary cluster's Kafka monitor poll (depth, growth, latest records), its
 * routes and metrics. Avro values are decoded through the schema registry when
 * schemaRegistryUrl is set. `app.dlqs` exposes the service.
 */
import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import fp from 'fastify-plugin';
import { Counter } from 'prom-client';
import { registerDlqMetrics } from './metrics.ts';
import { redrivePlugin } from './redrive/index.ts';
import { dlqRoutes } from './routes.ts';
import { DlqService, type Decoder } from './service.ts';
import { registerTriage } from './triage/index.ts';

declare module 'fastify' {
  interface FastifyInstance {
    dlqs: DlqService;
  }
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
    const registry = c.schemaRegistryUrl ? new SchemaRegistry({ host: c.schemaRegistryUrl }) : undefined;
    const decoder: Decoder | undefined = registry ? { decode: (buffer) => registry.decode(buffer) } : undefined;
    const service = new DlqService({
      pattern: c.dlqPattern,
      dataDir: c.dataDir,
      statusWindow: c.statusWindow,
      latestCount: c.dlqLatestRecords,
      // About an hour of depth samples whatever the poll interval (at most 3,600 per DLQ).
      historySize: Math.min(3600, Math.max(60, Math.ceil(3_600_000 / c.pollIntervalMs))),
      decoder,
      onIncomplete: (topic, partition, reason) => {
        incomplete.inc({ cluster: c.kafkaClusterName, topic });
        app.log.warn({ topic, partition, reason }, 'DLQ tail read stopped before the end; later records not shown');
      },
    });
    service.attach(app.kafkaMonitor);
    app.decorate('dlqs', service);
    registerDlqMetrics(app.metrics, service, c.kafkaClusterName);
    dlqRoutes(app, service, app.kafkaMonitor, (topic, records) => app.redrives.marks(topic, records));
    // Redrive (issue #18): records sent again to their original topic or the group's retry topic.
    void app.register(redrivePlugin, { decoder });
    // Records grouped by cause: a step after the tails are read (issue #18, triage).
    registerTriage(app, service, app.kafkaMonitor);
    done();
  },
  { name: 'dlq', dependencies: ['lag', 'metrics', 'masking'] },
);
