/**
 * Shared infrastructure: one Kafka adapter (one admin connection) per app, decorated as
 * `app.kafka`. Connects in the background (the app starts and answers /healthz while the
 * broker is away; /readyz says why it is not ready) and disconnects on app.close().
 */
import fp from 'fastify-plugin';
import { KafkaAdapter } from './adapter.ts';
import { kafkaSecurity, type KafkaClientBase } from './security.ts';

declare module 'fastify' {
  interface FastifyInstance {
    /** The Kafka adapter; only background services (lag/, dlq/) call it. */
    kafka: KafkaAdapter;
    /**
     * What every other Kafka client of the collector (tap, redrive producer, span receiver) is
     * built with: the cluster's bootstrap servers, TLS and SASL, and a client id of its own.
     */
    kafkaClientOptions: (clientIdSuffix: string) => KafkaClientBase;
  }
}

export const kafkaPlugin = fp(
  (app, _opts, done) => {
    const security = kafkaSecurity(app.config);
    const adapter = new KafkaAdapter({
      brokers: app.config.kafkaBrokers,
      clientId: app.config.kafkaClientId,
      security,
      log: (level, message, extra) => app.log[level](extra, message),
    });
    app.decorate('kafka', adapter);
    app.decorate('kafkaClientOptions', (suffix: string) => ({
      clientId: `${app.config.kafkaClientId}-${suffix}`,
      bootstrapBrokers: [...app.config.kafkaBrokers],
      ...security,
    }));
    app.addReadinessCheck({
      name: 'kafka',
      check: () =>
        adapter.connected
          ? undefined
          : `not connected to the Kafka cluster at ${app.config.kafkaBrokers.join(',')}${adapter.problem ? `: ${adapter.problem}` : ''}`,
    });
    app.addHook('onClose', async () => {
      await adapter.close();
    });
    done();
  },
  { name: 'kafka', dependencies: ['health'] },
);
