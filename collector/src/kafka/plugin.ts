/**
 * Shared infrastructure: one Kafka adapter (one admin connection) per monitored cluster. The
 * primary cluster (the `kafka*` keys, named `kafkaClusterName`) is `app.kafka`; every cluster,
 * the primary first, is in `app.kafkaClusters` (the further ones from `kafkaClusters`).
 * Connects in the background (the app starts and answers /healthz while a broker is away;
 * /readyz says which cluster is not ready and why) and disconnects on app.close().
 */
import path from 'node:path';
import fp from 'fastify-plugin';
import { KafkaAdapter } from './adapter.ts';
import { kafkaSecurity, specSecurity, type KafkaClientBase, type KafkaSecurity } from './security.ts';

/** One Kafka cluster the collector watches. */
export interface KafkaCluster {
  name: string;
  /** The cluster of the `kafka*` keys: the tap and the OTLP-in-Kafka receiver read it; `app.offsets` is its view. */
  primary: boolean;
  brokers: readonly string[];
  /** Where this cluster's files go (lag table, DLQ marks, redrive ledger): `dataDir`, or `dataDir/clusters/<name>/`. */
  dataDir: string;
  adapter: KafkaAdapter;
  /** Options for a further client of this cluster (its brokers, TLS, SASL), with a client id of its own. */
  clientOptions: (clientIdSuffix: string) => KafkaClientBase;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The primary cluster's Kafka adapter; only background services (lag/, dlq/) call it. */
    kafka: KafkaAdapter;
    /**
     * What the collector's other Kafka clients of the primary cluster (tap, span receiver) are
     * built with: its bootstrap servers, TLS and SASL, and a client id of its own. (A redrive
     * producer is built from its own cluster's `clientOptions`.)
     */
    kafkaClientOptions: (clientIdSuffix: string) => KafkaClientBase;
    /** Every cluster by name, the primary first (names come from the config, never from requests). */
    kafkaClusters: ReadonlyMap<string, KafkaCluster>;
  }
}

export const kafkaPlugin = fp(
  (app, _opts, done) => {
    const c = app.config;
    const clusters = new Map<string, KafkaCluster>();
    const add = (name: string, brokers: readonly string[], clientId: string, security: KafkaSecurity): void => {
      const primary = clusters.size === 0;
      const adapter = new KafkaAdapter({
        brokers,
        clientId,
        security,
        log: (level, message, extra) => app.log[level]({ ...extra, cluster: name }, message),
      });
      clusters.set(name, {
        name,
        primary,
        brokers,
        // The primary's files stay where they always were; another cluster's in a directory of its own.
        dataDir: primary ? c.dataDir : path.join(c.dataDir, 'clusters', name),
        adapter,
        clientOptions: (suffix) => ({ clientId: `${clientId}-${suffix}`, bootstrapBrokers: [...brokers], ...security }),
      });
      app.addReadinessCheck({
        // The primary's check keeps its name (`kafka`); the others are `kafka:<name>`.
        name: primary ? 'kafka' : `kafka:${name}`,
        check: () =>
          adapter.connected
            ? undefined
            : `not connected to the Kafka cluster ${name} at ${brokers.join(',')}${adapter.problem ? `: ${adapter.problem}` : ''}`,
      });
    };
    add(c.kafkaClusterName, c.kafkaBrokers, c.kafkaClientId, kafkaSecurity(c));
    for (const spec of c.kafkaClusters) {
      add(spec.name, spec.brokers, spec.clientId ?? c.kafkaClientId, specSecurity(spec));
    }
    const primary = clusters.get(c.kafkaClusterName);
    if (!primary) throw new Error('unreachable: the primary cluster is added first');
    app.decorate('kafka', primary.adapter);
    app.decorate('kafkaClientOptions', primary.clientOptions);
    app.decorate('kafkaClusters', clusters as ReadonlyMap<string, KafkaCluster>);
    app.addHook('onClose', async () => {
      await Promise.all([...clusters.values()].map((k) => k.adapter.close()));
    });
    done();
  },
  { name: 'kafka', dependencies: ['health'] },
);
