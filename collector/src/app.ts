/**
 * Builds the collector as a Fastify app. server.ts only adds logging, listen and graceful
 * shutdown; tests build exactly this app and call it with app.inject().
 */
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { dashboardPlugin } from './api/dashboard.ts';
import { healthPlugin } from './api/health.ts';
import { authPlugin, swaggerUiCsp } from './auth/index.ts';
import { oidcPlugin } from './auth/oidc.ts';
import { overviewPlugin } from './api/overview.ts';
import { streamPlugin } from './api/stream.ts';
import { type Config } from './config.ts';
import { dlqPlugin } from './dlq/index.ts';
import { CollectorError } from './errors.ts';
import { kafkaPlugin } from './kafka/index.ts';
import { lagPlugin } from './lag/index.ts';
import { metricsPlugin } from './metrics/index.ts';
import { flowsPlugin } from './flows/index.ts';
import { MAX_PATH_PARAM_LENGTH } from './flows/schemas.ts';
import { guardJsonBodies } from './lib/json-guard.ts';
import { guardNumericQueries } from './lib/query-guard.ts';
import { routerErrors } from './lib/router-errors.ts';
import { storePlugin } from './store/index.ts';
import { tapPlugin } from './tap/index.ts';
import { maskingPlugin } from './masking/index.ts';
import { tracesPlugin } from './traces/index.ts';
import { otlpGrpcPlugin } from './traces/grpc/index.ts';
import { otlpKafkaPlugin } from './traces/kafka/index.ts';

declare module 'fastify' {
  interface FastifyInstance {
    config: Config;
  }
}

export interface BuildOptions {
  config: Config;
  logger?: FastifyServerOptions['logger'] | FastifyBaseLogger;
  /** Start background work (Kafka poll, tap). Tests of the HTTP surface alone can turn it off. */
  background?: boolean;
}

export type App = FastifyInstance;

export async function buildApp(options: BuildOptions): Promise<App> {
  const { config } = options;
  const app = Fastify({
    logger: options.logger ?? false,
    bodyLimit: config.bodyLimitBytes,
    // Opening the store migrates its schema when an older collector wrote it: minutes on a file of
    // millions of events, far past Fastify's default of 10 s per plugin.
    pluginTimeout: 600_000,
    // Every id the API accepts or links to fits (percent-encoded); longer is a 400, not Fastify's 414.
    routerOptions: { maxParamLength: MAX_PATH_PARAM_LENGTH },
    frameworkErrors: routerErrors,
  }).withTypeProvider<TypeBoxTypeProvider>();

  app.decorate('config', config);
  // Every JSON body of the API is checked for nesting before it is parsed (lib/json-guard.ts).
  guardJsonBodies(app);
  // Numeric query parameters that overflow to Infinity are refused before validation (lib/query-guard.ts).
  guardNumericQueries(app);

  app.setErrorHandler((err: Error & { statusCode?: number; code?: string; validation?: unknown }, req, reply) => {
    if (err instanceof CollectorError) {
      if (err.statusCode >= 500) req.log.error({ err }, err.message);
      if (err.retryable) void reply.header('retry-after', '1');
      return reply.code(err.statusCode).send({ error: err.code, message: err.message, retryable: err.retryable });
    }
    const status = err.statusCode ?? 500;
    if (status < 500) {
      const code =
        status === 413
          ? 'PAYLOAD_TOO_LARGE'
          : status === 415
            ? 'UNSUPPORTED_MEDIA_TYPE'
            : status === 404
              ? 'NOT_FOUND'
              : 'BAD_REQUEST';
      return reply.code(status).send({ error: code, message: err.message });
    }
    req.log.error({ err }, 'unhandled error');
    return reply.code(500).send({ error: 'INTERNAL', message: 'internal error; see the collector log' });
  });

  // First, so it sees every route: who may do what, decided on the route the router matched;
  // Host/Origin checks; security headers; the audit log (auth/index.ts).
  await app.register(authPlugin);

  await app.register(swagger, {
    openapi: {
      info: {
        title: 'eventscope collector API',
        version: '0.1.0',
        description: 'Lag in messages and seconds, DLQs, sagas, flows and where-is-my-event for Kafka.',
      },
      components:
        config.apiToken || config.tokens.length > 0
          ? { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } }
          : undefined,
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs', ...swaggerUiCsp });

  await app.register(metricsPlugin);
  // Dashboard single sign-on (OpenID Connect) and GET /auth/me; a session resolver for authPlugin.
  await app.register(oidcPlugin);
  await app.register(healthPlugin);
  await app.register(streamPlugin);

  // Capabilities register here, each a plugin with its routes, metrics and background work.
  // (lag/, dlq/, store/, traces/, flows/, api/overview)
  await app.register(storePlugin);
  await app.register(tracesPlugin);
  await app.register(otlpGrpcPlugin);
  await app.register(kafkaPlugin);
  await app.register(lagPlugin, { background: options.background ?? true });
  // Before the capabilities that show record payloads and headers (dlq/).
  await app.register(maskingPlugin);
  await app.register(dlqPlugin);
  // After lag: flows read its offsets (pending positions, the loss audit).
  await app.register(flowsPlugin, { background: options.background ?? true });
  await app.register(tapPlugin, { background: options.background ?? true });
  await app.register(otlpKafkaPlugin, { background: options.background ?? true });
  await app.register(overviewPlugin);

  // Last: the built dashboard, and the not-found handler (JSON 404, or index.html for app paths).
  await app.register(dashboardPlugin, { dir: config.dashboardDir });

  return app;
}
