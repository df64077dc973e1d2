/**
 * The OTLP port: a second, minimal Fastify instance serving only `POST /v1/traces` into the
 * app's intake queue (the same queue as the main port's receiver). server.ts listens on it
 * and closes it before the app on shutdown.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { otlpReceiver } from './receiver.ts';

export async function createOtlpServer(app: FastifyInstance): Promise<FastifyInstance> {
  const otlp = Fastify({
    loggerInstance: app.log.child({ listener: 'otlp' }),
    bodyLimit: app.config.bodyLimitBytes,
  });
  // The same Host check and ingest token as /v1/traces on the main port (auth/plugin.ts).
  otlp.addHook('onRequest', app.otlpAuthGuard);
  await otlp.register(otlpReceiver, app.otlpReceiverOptions);
  otlp.setNotFoundHandler((req, reply) =>
    reply
      .code(404)
      .send({ error: 'NOT_FOUND', message: `the OTLP port serves only POST /v1/traces, not ${req.method} ${req.url}` }),
  );
  return otlp;
}
