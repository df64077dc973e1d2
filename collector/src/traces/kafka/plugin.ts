/**
 * The optional OTLP-in-Kafka receiver as a plugin (`otlpKafkaTopics`; off when empty): spans from
 * Kafka go into the same intake queue, with the same admission, as OTLP/HTTP and gRPC.
 */
import fp from 'fastify-plugin';
import { Counter } from 'prom-client';
import { ExportAdmission } from '../admission.ts';
import { KafkaOtlpReceiver } from './receiver.ts';

declare module 'fastify' {
  interface FastifyInstance {
    otlpKafka: KafkaOtlpReceiver;
  }
}

export interface OtlpKafkaPluginOptions {
  /** Start with the app (default true). */
  background?: boolean;
}

export const otlpKafkaPlugin = fp<OtlpKafkaPluginOptions>(
  (app, opts, done) => {
    const c = app.config;
    const receiver = new KafkaOtlpReceiver({
      client: app.kafkaClientOptions('otlp'),
      groupId: c.otlpKafkaGroup,
      topics: c.otlpKafkaTopics,
      admission: new ExportAdmission(app.otlpReceiverOptions),
      metrics: {
        records: new Counter({
          name: 'eventscope_otlp_kafka_records_total',
          help: 'Records the OTLP-in-Kafka receiver read, by outcome: stored (its spans in the store, offset committable), empty (no value), undecodable (not an OTLP protobuf trace export; skipped), store_error (the store failed on it three times; skipped).',
          labelNames: ['outcome'],
          registers: [app.metrics],
        }),
        commitErrors: new Counter({
          name: 'eventscope_otlp_kafka_commit_errors_total',
          help: 'Offset commits of the OTLP-in-Kafka receiver that failed (most often: the partition moved to another collector, which reads those records again).',
          registers: [app.metrics],
        }),
      },
      log: app.log,
      retryMs: 200,
    });
    app.decorate('otlpKafka', receiver);
    if ((opts.background ?? true) && c.otlpKafkaTopics.length > 0) {
      // In the background: a broker that is down must not hold up the collector's start.
      app.addHook('onReady', (hookDone) => {
        receiver.start().catch((err: unknown) => app.log.error({ err }, 'OTLP Kafka receiver failed to start'));
        hookDone();
      });
    }
    // After the intake queue's preClose (registration order), which stores what it took: the batch
    // in hand is committed when all of it was taken, else left to the partition's next owner.
    app.addHook('preClose', async () => {
      await receiver.stop();
    });
    done();
  },
  { name: 'otlp-kafka', dependencies: ['traces', 'metrics', 'kafka'] },
);
