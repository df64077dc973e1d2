/**
 * Hooks triage into the DLQ capability: on each cluster a cycle step after the DLQ tails; once,
 * the metrics and routes over every cluster's triage.
 */
import type { FastifyInstance } from 'fastify';
import type { KafkaMonitor } from '../../lag/index.ts';
import type { DlqService } from '../service.ts';
import { registerTriageMetrics } from './metrics.ts';
import { triageRoutes } from './routes.ts';
import { DlqTriage } from './service.ts';

/** A cluster's triage. Call after `service.attach(monitor)`: the step must run after the tails are read. */
export function attachTriage(service: DlqService, monitor: KafkaMonitor, maxCauses: number): DlqTriage {
  const triage = new DlqTriage({ maxCauses });
  monitor.addCycleStep('dlq_triage', (ctx) => {
    triage.observe(service.list(), ctx.time);
    return Promise.resolve();
  });
  return triage;
}

/** The metrics (a `cluster` label) and routes (`?cluster=`, via `app.dlqCluster`) of every cluster's triage. */
export function registerTriage(
  app: FastifyInstance,
  clusters: ReadonlyMap<string, { name: string; triage: DlqTriage }>,
): void {
  registerTriageMetrics(app.metrics, clusters, app.masking);
  triageRoutes(app);
}
