/**
 * The trace intake capability: the intake queue (`app.intake`), its metrics, and the OTLP
 * receiver on the main app. server.ts mounts the same receiver on the OTLP port with
 * `createOtlpServer(app)` (otlp-server.ts), feeding the same queue.
 */
import fp from 'fastify-plugin';
import { Counter, Gauge } from 'prom-client';
import { IntakeQueue } from './intake.ts';
import type { ReceiverMetrics, ReceiverOptions } from './admission.ts';
import { otlpReceiver } from './receiver.ts';

declare module 'fastify' {
  interface FastifyInstance {
    intake: IntakeQueue;
    /** Receiver options to mount the OTLP receiver on another Fastify instance (the OTLP port). */
    otlpReceiverOptions: ReceiverOptions;
  }
}

export const tracesPlugin = fp(
  async (app) => {
    const metrics: ReceiverMetrics = {
      accepted: new Counter({
        name: 'eventscope_spans_accepted_total',
        help: 'Spans accepted by the OTLP receivers (queued for the store).',
        registers: [app.metrics],
      }),
      rejected: new Counter({
        name: 'eventscope_spans_rejected_total',
        help: 'Spans refused: invalid and time_window (partialSuccess), queue_full and fair_share (HTTP 503; gRPC UNAVAILABLE / RESOURCE_EXHAUSTED with RetryInfo), store_error (accepted, then failed to store).',
        labelNames: ['reason'],
        registers: [app.metrics],
      }),
      requests: new Counter({
        name: 'eventscope_otlp_requests_total',
        help: 'OTLP export requests by encoding (json, protobuf, grpc) and status (HTTP status; gRPC status name for grpc).',
        labelNames: ['encoding', 'code'],
        registers: [app.metrics],
      }),
    };
    const intake = new IntakeQueue({
      limit: app.config.intakeQueueSpans,
      log: app.log,
      onConsumerError: (n) => metrics.rejected.inc({ reason: 'store_error' }, n),
    });
    new Gauge({
      name: 'eventscope_intake_queue_spans',
      help: 'Spans accepted and waiting to be stored.',
      registers: [app.metrics],
      collect() {
        this.set(intake.depth);
      },
    });
    const options: ReceiverOptions = {
      intake,
      bodyLimit: app.config.bodyLimitBytes,
      metrics,
      maxAgeMs: app.config.retentionHours * 3_600_000,
      maxFutureMs: app.config.spanMaxFutureSeconds * 1000,
    };
    app.decorate('intake', intake);
    app.decorate('otlpReceiverOptions', options);
    await app.register(otlpReceiver, options);
    // Before the store closes: refuse new spans and store what was accepted.
    app.addHook('preClose', async () => {
      await intake.close();
    });
  },
  { name: 'traces', dependencies: ['metrics'] },
);
