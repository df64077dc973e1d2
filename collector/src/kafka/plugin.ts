/**
 * Shared infrastructure: one Kafka adapter (one admin connection) per app, decorated as
 * `app.kafka`. Connects in the background (the app starts and answers /healthz while the
 * broker is away; /readyz says why it is not ready) and disconnects on app.close().
 */
import fp from 'fastify-plugin';
import { KafkaAdapter } from './adapter.ts';

declare module 'fastify' {
  interface FastifyInstance {
    /** The Kafka adapter; only background services (lag/, dlq/) call it. */
    kafka: KafkaAdapter;
  }
}

export const kafkaPlugin = fp(
  (app, _opts, done) => {
    const adapter = new KafkaAdapter({
      brokers: app.config.kafkaBrokers,
      clientId: app.config.kafkaClientId,
      log: (level, message, extra) => app.log[level](extra, message),
    });
    app.decorate('kafka', adapter);
    app.addReadinessCheck({
      name: 'kafka',
      check: () => (adapter.connected ? undefined : `not connected to ${app.config.kafkaBrokers.join(',')}`),
    });
    app.addHook('onClose', async () => {
      await adapter.close();
    });
    done();
  },
  { name: 'kafka', dependencies: ['health'] },
);
