/** Hooks triage into the DLQ capability: a cycle step after the DLQ tails, its metrics and routes. */
import type { FastifyInstance } from 'fastify';
import type { KafkaMonitor } from '../../lag/index.ts';
import type { DlqService } from '../service.ts';
import { registerTriageMetrics } from './metrics.ts';
import { triageRoutes } from './routes.ts';
import { DlqTriage } from './service.ts';

declare module 'fastify' {
  interface FastifyInstance {
    dlqTriage: DlqTriage;
  }
}

/** Call after `service.attach(monitor)`: the step must run after the tails are read. */
export function registerTriage(app: FastifyInstance, service: DlqService, monitor: KafkaMonitor): DlqTriage {
  const triage = new DlqTriage({ maxCauses: app.config.dlqCausesMax });
  monitor.addCycleStep('dlq_triage', (ctx) => {
    triage.observe(service.list(), ctx.time);
    return Promise.resolve();
  });
  app.decorate('dlqTriage', triage);
  registerTriageMetrics(app.metrics, triage, app.masking, app.config.kafkaClusterName);
  triageRoutes(app, service, triage);
  return triage;
}
