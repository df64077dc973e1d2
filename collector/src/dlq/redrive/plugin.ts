/**
 * DLQ redrive capability (issue #18), on every monitored Kafka cluster: per cluster an engine
 * (engine.ts) with its store (`redrive.sqlite` in that cluster's data directory), a Kafka writer
 * to that cluster, and the resume of redrives a previous run left unfinished; one set of routes
 * (`?cluster=`). `app.redriveEngine(cluster)` gives a cluster's engine; the DLQ record list asks
 * it which records were redriven.
 */
import { join } from 'node:path';
import fp from 'fastify-plugin';
import { Counter, Gauge } from 'prom-client';
import { KafkaWriter } from '../../kafka/producer.ts';
import { SqliteRedriveStore } from '../../store/sqlite-redrive.ts';
import { toDlqRecord, type Decoder } from '../service.ts';
import { RedriveEngine } from './engine.ts';
import { redriveRoutes } from './routes.ts';

declare module 'fastify' {
  interface FastifyInstance {
    /** Each cluster's redrive engine by name, the primary first. */
    redriveEngines: ReadonlyMap<string, RedriveEngine>;
    /** The redrive engine of the cluster `?cluster=` names (the primary when absent); CLUSTER_NOT_FOUND as `app.cluster`. */
    redriveEngine: (cluster: string | undefined) => RedriveEngine;
  }
}

export interface RedrivePluginOptions {
  /** The DLQ view's value decoder (the schema registry), for dry-run samples. */
  decoder?: Decoder;
}

export const redrivePlugin = fp<RedrivePluginOptions>(
  (app, opts, done) => {
    const records = new Counter({
      name: 'eventscope_dlq_redrive_records_total',
      help: 'Records redriven from a DLQ by this collector, by result: sent (acknowledged by the target) or failed.',
      labelNames: ['cluster', 'topic', 'result'],
      registers: [app.metrics],
    });
    const engines = new Map<string, RedriveEngine>();
    const closers: (() => Promise<void>)[] = [];
    for (const k of app.clusters.values()) {
      const dlqs = app.dlqCluster(k.name);
      const store = new SqliteRedriveStore(join(k.dataDir, 'redrive.sqlite'));
      const writer = new KafkaWriter(k.clientOptions('redrive'));
      const engine = new RedriveEngine({
        cluster: k.name,
        reader: k.adapter,
        writer,
        store,
        flows: app.store,
        isDlq: (topic) => dlqs.service.isDlq(topic),
        toDlqRecord: (r) => toDlqRecord(r, opts.decoder),
        log: app.log.child({ cluster: k.name }),
        onRecords: (topic, result, count) => records.inc({ cluster: k.name, topic, result }, count),
        onEnd: (r) => {
          // Ended by itself, not by a request: the row names who started it.
          app.store
            .addAuditEntry({
              timeUs: Date.now() * 1000,
              subject: r.createdBy,
              role: null,
              via: null,
              action: 'dlq.redrive.end',
              target: r.dlqTopic,
              result: r.status,
              detail: JSON.stringify({
                id: r.id,
                cluster: r.cluster,
                selected: r.selected,
                sent: r.sent,
                failed: r.failed,
                error: r.error,
              }),
              remoteAddress: '-',
              userAgent: null,
            })
            .catch((err: unknown) => app.log.error({ err, redrive: r.id }, 'could not write the audit log row'));
        },
      });
      engines.set(k.name, engine);
      closers.push(async () => {
        await engine.close();
        await writer.close();
        await store.close();
      });
    }
    new Gauge({
      name: 'eventscope_dlq_redrives_running',
      help: 'Redrives sending in this collector now.',
      labelNames: ['cluster'],
      registers: [app.metrics],
      collect() {
        for (const [cluster, engine] of engines) this.set({ cluster }, engine.running);
      },
    });
    app.decorate('redriveEngines', engines as ReadonlyMap<string, RedriveEngine>);
    app.decorate('redriveEngine', (cluster: string | undefined): RedriveEngine => {
      const found = engines.get(app.dlqCluster(cluster).name);
      if (!found) throw new Error('unreachable: every monitored cluster has a redrive engine');
      return found;
    });
    redriveRoutes(app);
    app.addHook('onReady', async () => {
      for (const [cluster, engine] of engines) {
        const resumed = await engine.resume();
        if (resumed > 0) app.log.warn({ cluster, resumed }, 'resuming redrives left running by the previous run');
      }
    });
    // Before the store and the Kafka adapters close (onClose hooks run in reverse order).
    app.addHook('onClose', async () => {
      await Promise.all(closers.map((close) => close()));
    });
    done();
  },
  // Registered by the DLQ plugin (dlq/plugin.ts), whose services it uses.
  { name: 'dlq-redrive', dependencies: ['store', 'kafka', 'lag'] },
);
