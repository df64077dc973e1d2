/**
 * DLQ redrive capability (issue #18): the engine (engine.ts) with its store (redrive.sqlite in
 * the data directory), the collector's Kafka writer, its routes, and the resume of redrives a
 * previous run left unfinished. `app.redrives` exposes the engine; the DLQ record list asks it
 * which records were redriven.
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
    redrives: RedriveEngine;
  }
}

export interface RedrivePluginOptions {
  /** The DLQ view's value decoder (the schema registry), for dry-run samples. */
  decoder?: Decoder;
}

export const redrivePlugin = fp<RedrivePluginOptions>(
  (app, opts, done) => {
    const { config } = app;
    const store = new SqliteRedriveStore(join(config.dataDir, 'redrive.sqlite'));
    const writer = new KafkaWriter(app.kafkaClientOptions('redrive'));
    const engine = new RedriveEngine({
      reader: app.kafka,
      writer,
      store,
      flows: app.store,
      isDlq: (topic) => app.dlqs.isDlq(topic),
      toDlqRecord: (r) => toDlqRecord(r, opts.decoder),
      log: app.log,
      onRecords: (topic, result, count) => records.inc({ cluster: app.config.kafkaClusterName, topic, result }, count),
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
            detail: JSON.stringify({ id: r.id, selected: r.selected, sent: r.sent, failed: r.failed, error: r.error }),
            remoteAddress: '-',
            userAgent: null,
          })
          .catch((err: unknown) => app.log.error({ err, redrive: r.id }, 'could not write the audit log row'));
      },
    });
    const records = new Counter({
      name: 'eventscope_dlq_redrive_records_total',
      help: 'Records redriven from a DLQ by this collector, by result: sent (acknowledged by the target) or failed.',
      labelNames: ['cluster', 'topic', 'result'],
      registers: [app.metrics],
    });
    new Gauge({
      name: 'eventscope_dlq_redrives_running',
      help: 'Redrives sending in this collector now.',
      registers: [app.metrics],
      collect() {
        this.set(engine.running);
      },
    });
    app.decorate('redrives', engine);
    redriveRoutes(app, engine);
    app.addHook('onReady', async () => {
      const resumed = await engine.resume();
      if (resumed > 0) app.log.warn({ resumed }, 'resuming redrives left running by the previous run');
    });
    // Before the store and the Kafka adapter close (onClose hooks run in reverse order).
    app.addHook('onClose', async () => {
      await engine.close();
      await writer.close();
      await store.close();
    });
    done();
  },
  // Registered by the DLQ plugin (dlq/plugin.ts), whose service it uses at request time.
  { name: 'dlq-redrive', dependencies: ['store', 'kafka'] },
);
