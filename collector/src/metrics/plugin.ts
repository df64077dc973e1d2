import fp from 'fastify-plugin';
import { collectDefaultMetrics, Registry } from 'prom-client';

declare module 'fastify' {
  interface FastifyInstance {
    /** This app's own Prometheus registry (never the global default, so tests can build many apps). */
    metrics: Registry;
  }
}

/**
 * Creates the app's metrics registry and serves it at GET /metrics. Capabilities register
 * their collectors on `app.metrics`; collectors read the last snapshot and never call Kafka.
 */
export const metricsPlugin = fp(
  (app, _opts, done) => {
    const registry = new Registry();
    collectDefaultMetrics({ register: registry, prefix: 'eventscope_collector_process_' });
    app.decorate('metrics', registry);
    app.get('/metrics', { schema: { hide: true } }, async (_req, reply) => {
      const body = await registry.metrics();
      return reply.type(registry.contentType).send(body);
    });
    done();
  },
  { name: 'metrics' },
);
